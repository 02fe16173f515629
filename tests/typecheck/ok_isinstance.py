# must pass: a union narrowed with isinstance; a transition inherited from a superstate
from agent import Acting, Failed, Planning


def step(p: Planning) -> Failed:
    r = p.plan([])
    if isinstance(r, Acting):
        return r.cancel()  # inherited from the superstate Working
    return r
