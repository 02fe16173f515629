# must fail: an async transition not awaited
from agent import Acting, Done


async def run(a: Acting) -> Done:
    return a.finish()

# expect mypy:
#   6: error: Incompatible return value type (got "Coroutine[Any, Any, Done]", expected "Done")  [return-value]
#   6: note: Maybe you forgot to use "await"?
# expect pyright:
#   6:12 - error: Type "CoroutineType[Any, Any, Done]" is not assignable to return type "Done"
#     "CoroutineType[Any, Any, Done]" is not assignable to "Done" (reportReturnType)
