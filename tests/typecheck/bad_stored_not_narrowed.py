# must fail: a stored state offers only what every state of its type has, until narrowed
import fsm
import typestate
from agent import Idle, Planning

Agent = Idle | Planning


def step(store: fsm.Store) -> None:
    agent = typestate.load(store, typestate.protocol(Idle), "a1", Agent)
    agent.save(agent.state.assign("t"))

# expect mypy:
#   11: error: Item "Planning" of "Idle | Planning" has no attribute "assign"  [union-attr]
# expect pyright:
#   11:28 - error: Cannot access attribute "assign" for class "Planning"
#     Attribute "assign" is unknown (reportAttributeAccessIssue)
#   11:16 - error: Type of "assign" is partially unknown
#     Type of "assign" is "((task: str) -> Planning) | Unknown" (reportUnknownMemberType)
#   11:16 - error: Argument type is partially unknown
#     Argument corresponds to parameter "state" in function "save"
#     Argument type is "Planning | Unknown" (reportUnknownArgumentType)
