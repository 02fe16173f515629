"""An HTTP request builder, the classic typestate example.

A request is built in order: the method and URL first, then any number of
headers, then the body, then it is sent. Each step is a state class, so the
type checker rejects a header after the body or a request sent twice, and the
run time refuses a builder that was already used (:class:`typestate.StateConsumed`).

Run ``python examples/http_request.py``. The transport is a fake that echoes
the request, so the script runs offline.
"""

from __future__ import annotations

from typing_extensions import Self

import fsm
import typestate
from typestate import State, transition


class Request(State):
    """Nothing chosen yet."""

    @transition
    def method(self, verb: str, url: str) -> Headers:
        return Headers(verb=verb, url=url)


class Headers(State):
    """Method and URL chosen; headers may be added."""

    verb: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()

    @transition
    def header(self, name: str, value: str) -> Self:
        return type(self)(verb=self.verb, url=self.url, headers=(*self.headers, (name, value)))

    @transition
    def body(self, content: bytes) -> Ready:
        return Ready(verb=self.verb, url=self.url, headers=self.headers, content=content)


class Ready(State):
    """The request is complete; all that is left is to send it."""

    verb: str
    url: str
    headers: tuple[tuple[str, str], ...]
    content: bytes

    @transition
    def send(self) -> Response:
        lines = [f"{self.verb} {self.url} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        lines.append(f"Content-Length: {len(self.content)}")
        print("\n".join(f"> {line}" for line in lines))
        return Response(status=200, content=b"echo: " + self.content)


class Response(State, final=True):
    """What the server answered."""

    status: int
    content: bytes


def main() -> None:
    headers = Request().method("POST", "https://example.org/tasks")
    headers = headers.header("Content-Type", "application/json")
    headers = headers.header("Accept", "application/json")
    ready = headers.body(b'{"task": "write the docs"}')
    # The mistakes the types rule out. mypy says, for the lines below:
    #   ready.header("X-Late", "1")
    #     error: "Ready" has no attribute "header"; maybe "headers"?  [attr-defined]
    #   Request().send()
    #     error: "Request" has no attribute "send"  [attr-defined]
    #   ready.send().send()
    #     error: "Response" has no attribute "send"  [attr-defined]
    response = ready.send()
    print(f"< {response.status} {response.content.decode()}")

    # The type checker follows names, not objects: sending the same request
    # twice type-checks, and the run time refuses it.
    try:
        ready.send()
    except typestate.StateConsumed as error:
        print(error)

    # The protocol the classes define, as a diagram (Mermaid, and the fsm DSL):
    print(fsm.dumps(typestate.protocol(Request, name="HTTPRequest")), end="")


if __name__ == "__main__":
    main()
