# must fail: a generic state's payload and data keep their type parameter
from ok_generic import Asking

answered = Asking().answer(3)
answered.confirm("three")
text: str = answered.value

# expect mypy:
#   5: error: Argument 1 to "confirm" of "Answered" has incompatible type "str"; expected "int | None"  [arg-type]
#   6: error: Incompatible types in assignment (expression has type "int", variable has type "str")  [assignment]
# expect pyright:
#   5:18 - error: Argument of type "Literal['three']" cannot be assigned to parameter "correction" of type "int | None" in function "confirm"
#     Type "Literal['three']" is not assignable to type "int | None"
#       "Literal['three']" is not assignable to "int"
#       "Literal['three']" is not assignable to "None" (reportArgumentType)
#   6:13 - error: Type "int" is not assignable to declared type "str"
#     "int" is not assignable to "str" (reportAssignmentType)
