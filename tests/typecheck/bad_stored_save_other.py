# must fail: a stored instance saves only a state of the type it was loaded as
import fsm
import typestate
from agent import Done, Idle, Planning


def step(store: fsm.Store) -> None:
    agent = typestate.load(store, typestate.protocol(Idle), "a1", Idle | Planning)
    agent.save(Done())

# expect mypy:
#   9: error: Argument 1 to "save" of "Stored" has incompatible type "Done"; expected "Idle | Planning"  [arg-type]
# expect pyright:
#   9:16 - error: Argument of type "Done" cannot be assigned to parameter "state" of type "Idle | Planning" in function "save"
#     Type "Done" is not assignable to type "Idle | Planning"
#       "Done" is not assignable to "Idle"
#       "Done" is not assignable to "Planning" (reportArgumentType)
