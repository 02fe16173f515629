"""The protocol examples run, print what they say, and their claims hold.

Each script runs in a subprocess (as a user would run it) and its output is
compared in full; the claims it prints are then checked again here, directly.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import analysis
import fsm
import typestate

from .test_cli import typestate as typestate_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    return result.stdout


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _spec(name: str) -> fsm.Machine:
    return fsm.load(EXAMPLES / f"{name}.mmd")


# -- contract net --------------------------------------------------------------

CONTRACT_NET = [
    "contract_net_manager",
    "contract_net_contractor_1",
    "contract_net_contractor_2",
    "contract_net_contractor_3",
]


def test_contract_net_script() -> None:
    assert _run("contract_net.py") == (
        "ContractNetManager: ok\n"
        "ContractNetContractor1: ok\n"
        "ContractNetContractor2: ok\n"
        "ContractNetContractor3: ok\n"
        "product: 53 states, 59 transitions, 25 final\n"
        "deadlocks: 0\n"
        "shortest run to Completed: cfp propose_1 propose_2 propose_3 award_1 inform_done_1\n"
        "shortest run to Failed: cfp propose_1 propose_2 propose_3 award_1 failure_1\n"
        "shortest run to Cancelled: cfp propose_1 propose_2 propose_3 cancel\n"
        "awards to a contractor that refused: 0\n"
    )


def test_contract_net_is_deadlock_free_and_ends_well() -> None:
    parts = [_spec(name) for name in CONTRACT_NET]
    assert all(analysis.check(m).ok for m in parts)
    assert analysis.deadlocks(*parts).ok
    product = analysis.compose(*parts)
    # Every product state can still end: the product itself has no dead end,
    # livelock or non-productive state.
    report = analysis.check(product)
    assert not [f for f in report if f.kind in {"dead-end", "livelock", "non-productive"}]


def test_contract_net_never_awards_a_contractor_that_refused() -> None:
    example = _load("contract_net")
    product = analysis.compose(*example.machines())
    assert example.awards_to_refusers(product) == []
    # The check would notice: a contractor 1 that takes award_1 after refusing.
    manager, one, two, three = example.machines()
    careless = fsm.parse(
        fsm.dumps(one).replace(
            "Refused --> Closed : award_2",
            "Refused --> Closed : award_2\n    Refused --> Working : award_1",
        )
    )
    assert example.awards_to_refusers(analysis.compose(manager, careless, two, three))


def test_contract_net_every_contractor_can_win() -> None:
    product = analysis.compose(*(_spec(name) for name in CONTRACT_NET))
    for n in (1, 2, 3):
        winners = [s for s in product.states if s.split("__")[n] == "Done"]
        assert winners
        assert all(s.split("__")[0] == "Completed" for s in winners)


# -- two-phase commit ----------------------------------------------------------


def test_two_phase_commit_script(tmp_path: Path) -> None:
    assert _run("two_phase_commit.py", str(tmp_path)) == (
        "Coordinator x Participant1 x Participant2: 10 states, 11 transitions\n"
        "  no deadlock\n"
        "BuggyCoordinator x Participant1 x Participant2: 8 states, 7 transitions\n"
        "  deadlock after prepare no_1: "
        "BuggyCoordinator in Aborting, Participant1 in VotedNo, Participant2 in Voting\n"
        f"  drawn: {tmp_path / 'deadlock.svg'}\n"
        f"  drawn: {tmp_path / 'deadlock.mmd'}\n"
    )
    svg = (tmp_path / "deadlock.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml")
    assert svg.rstrip().endswith("</svg>")
    assert "Aborting__VotedNo__Voting" in svg
    drawn = (tmp_path / "deadlock.mmd").read_text(encoding="utf-8")
    assert "%% highlight: trace prepare no_1" in drawn
    assert "class Aborting__VotedNo__Voting current" in drawn
    # The highlighted diagram is still the product's spec.
    participants = [
        _spec("two_phase_commit_participant_1"),
        _spec("two_phase_commit_participant_2"),
    ]
    buggy = analysis.compose(_spec("two_phase_commit_coordinator_buggy"), *participants)
    assert fsm.parse(drawn) == buggy


def test_two_phase_commit_commits_only_when_both_vote_yes() -> None:
    participants = [
        _spec("two_phase_commit_participant_1"),
        _spec("two_phase_commit_participant_2"),
    ]
    product = analysis.compose(_spec("two_phase_commit_coordinator"), *participants)
    assert analysis.deadlocks(product).ok
    assert sorted(product.final) == ["Aborted__Aborted__Aborted", "Committed__Committed__Committed"]
    commits = [t for t in product.transitions if t.event == "commit"]
    assert [t.source for t in commits] == ["Committing__Prepared__Prepared"]


def test_two_phase_commit_cli_finds_the_deadlock() -> None:
    files = [
        str(EXAMPLES / f"two_phase_commit_{part}.mmd")
        for part in ("coordinator_buggy", "participant_1", "participant_2")
    ]
    result = typestate_cli("compose", "--deadlocks", *files)
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout == (
        "BuggyCoordinator x Participant1 x Participant2: 1 deadlock\n"
        "  deadlock: no event is enabled with 'BuggyCoordinator' in 'Aborting', "
        "'Participant1' in 'VotedNo', 'Participant2' in 'Voting', "
        "and not every machine is in a final state\n"
        "    trace: prepare no_1\n"
    )
    fixed = typestate_cli("compose", "--deadlocks", *(f.replace("_buggy", "") for f in files))
    assert (fixed.returncode, fixed.stdout) == (
        0,
        "Coordinator x Participant1 x Participant2: no deadlock\n",
    )


# -- circuit breaker -----------------------------------------------------------


def test_circuit_breaker_script() -> None:
    assert _run("circuit_breaker.py") == (
        "t=  0s start                  -> Closed (failures: 0)\n"
        "t=  0s call: ok               -> Closed (failures: 0)\n"
        "t=  0s call: failed (timeout) -> Closed (failures: 1)\n"
        "t=  5s call: failed (timeout) -> Closed (failures: 2)\n"
        "t= 10s call: failed (timeout) -> Open (failures: 0)\n"
        "t= 15s call: refused          -> Open (failures: 0)\n"
        "t= 15s tick                   -> Open (failures: 0)\n"
        "t= 40s tick                   -> HalfOpen (failures: 0)\n"
        "t= 40s call: failed (timeout) -> Open (failures: 0)\n"
        "t= 70s tick                   -> HalfOpen (failures: 0)\n"
        "t= 70s call: ok               -> Closed (failures: 0)\n"
        "Can't send 'tick' in state 'Closed'; allowed here: success, failure.\n"
    )


def test_circuit_breaker_spec_is_clean() -> None:
    report = analysis.check(_spec("circuit_breaker"))
    assert report.ok
    assert {f.kind for f in report} == {"nondeterministic"}  # guarded groups, as meant


def test_circuit_breaker_guards_and_actions() -> None:
    example = _load("circuit_breaker")
    clock = example.FakeClock()
    context = example.Breaker(clock, threshold=2, cooldown=10.0)
    breaker = example.BOUND.start(context, history=True)
    breaker.send("failure")
    assert (breaker.state, context.failures) == ("Closed", 1)
    breaker.send("success")
    assert (breaker.state, context.failures) == ("Closed", 0)
    breaker.send("failure")
    breaker.send("failure")
    assert breaker.state == "Open"
    assert not breaker.can("success")
    clock.advance(9.9)
    assert breaker.send("tick") == "Open"
    clock.advance(0.1)
    assert breaker.send("tick") == "HalfOpen"
    assert [step.target for step in breaker.history] == [
        "Closed",
        "Closed",
        "Closed",
        "Open",
        "Open",
        "HalfOpen",
    ]


def test_circuit_breaker_context_names_every_handler() -> None:
    example = _load("circuit_breaker")

    class Forgetful:
        def too_many_failures(self) -> bool:
            return False

    with pytest.raises(fsm.DefinitionError, match="cooled_down"):
        example.MACHINE.bind(Forgetful)


# -- TCP -----------------------------------------------------------------------


def test_tcp_script(tmp_path: Path) -> None:
    assert _run("tcp_client.py", str(tmp_path)) == (
        "TCP: ok\n"
        "11 states, 20 transitions\n"
        "shortest way to ESTABLISHED: active_open rcv_syn_ack\n"
        "shortest way to TIME_WAIT: passive_open rcv_syn close rcv_ack_of_fin rcv_fin\n"
        f"drawn: {tmp_path / 'tcp.svg'}\n"
        "client: 9 states, 13 transitions\n"
        "client transitions not in RFC 793: none\n"
        "  example.net:443 <- SYN\n"
        "Can't send 'send' in state 'SynSent'; allowed here: rcv_syn_ack, close.\n"
        "a connection:\n"
        "  example.org:80 <- SYN\n"
        "  example.org:80 -> SYN,ACK\n"
        "  example.org:80 <- ACK\n"
        "  example.org:80 <- 18 bytes\n"
        "  sent 18 bytes in all\n"
        "  example.org:80 <- FIN\n"
        "  example.org:80 -> ACK\n"
        "  example.org:80 -> FIN\n"
        "  example.org:80 <- ACK\n"
        "  2MSL timeout\n"
        "back to Closed()\n"
    )
    svg = (tmp_path / "tcp.svg").read_text(encoding="utf-8")
    assert "FIN_WAIT_2" in svg


def test_tcp_spec_is_the_rfc_diagram() -> None:
    tcp = _spec("tcp")
    assert len(tcp.states) == 11
    assert set(tcp.states) == {
        "CLOSED", "LISTEN", "SYN_RCVD", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1",
        "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
    }  # fmt: skip
    assert (tcp.initial, tcp.final) == ("CLOSED", frozenset({"CLOSED"}))
    # Only CLOSED having a way out and being final is reported, as the script says.
    report = analysis.check(tcp)
    assert [f.kind for f in report] == ["final-has-outgoing"]
    # From every state, CLOSED is reachable again.
    closed_again = {t.source for t in tcp.transitions if t.target == "CLOSED"}
    grown = True
    while grown:
        before = len(closed_again)
        closed_again |= {t.source for t in tcp.transitions if t.target in closed_again}
        grown = len(closed_again) > before
    assert closed_again == set(tcp.states)


def test_tcp_client_cannot_send_before_established() -> None:
    example = _load("tcp_client")
    client = typestate.protocol(example.Closed)
    senders = {t.source for t in client.transitions if t.event == "send"}
    assert senders == {"Established"}
    assert not hasattr(example.SynSent, "send")
    assert example.not_in_rfc(client, _spec("tcp")) == []


def test_tcp_client_differing_from_the_rfc_is_caught() -> None:
    example = _load("tcp_client")
    client = typestate.protocol(example.Closed)
    wrong = fsm.Machine(
        client.name,
        client.states,
        client.initial,
        client.final,
        (
            *client.transitions,
            fsm.Transition("SynSent", "send", "SynSent", params=(("data", "bytes"),)),
        ),
    )
    assert example.not_in_rfc(wrong, _spec("tcp")) == ["SynSent --send--> SynSent"]


# -- HTTP request builder ------------------------------------------------------


def test_http_request_script() -> None:
    assert _run("http_request.py") == (
        "> POST https://example.org/tasks HTTP/1.1\n"
        "> Content-Type: application/json\n"
        "> Accept: application/json\n"
        "> Content-Length: 26\n"
        '< 200 echo: {"task": "write the docs"}\n'
        "Can't call Ready.send(): this Ready was consumed by Ready.send() -> Response; "
        "use the Response that call returned.\n"
        "---\n"
        "title: HTTPRequest\n"
        "---\n"
        "stateDiagram-v2\n"
        "    %% types: method(verb: str, url: str)\n"
        "    %% types: header(name: str, value: str)\n"
        "    %% types: body(content: bytes)\n"
        "    Request\n"
        "    Headers\n"
        "    Ready\n"
        "    Response\n"
        "    [*] --> Request\n"
        "    Request --> Headers : method(verb, url)\n"
        "    Headers --> Headers : header(name, value)\n"
        "    Headers --> Ready : body(content)\n"
        "    Ready --> Response : send\n"
        "    Response --> [*]\n"
    )


def test_http_request_order_is_enforced_at_run_time() -> None:
    example = _load("http_request")
    driver = typestate.drive(example.Request())
    with pytest.raises(fsm.InvalidTransition, match="allowed here: method"):
        driver.send("header", name="A", value="b")
    driver.send("method", verb="GET", url="/")
    driver.send("header", name="A", value="b")
    driver.send("body", content=b"")
    with pytest.raises(fsm.InvalidTransition, match="allowed here: send"):
        driver.send("header", name="C", value="d")
    driver.send("send")
    assert isinstance(driver.state, example.Response)
    assert driver.allowed == ()


# -- the examples page shows what the scripts print ----------------------------

SHOWN = re.compile(r"^```text\n\$ python examples/(\w+\.py)( \S+)?\n(.*?)^```", re.M | re.S)


def test_examples_page_shows_what_each_script_prints(tmp_path: Path) -> None:
    page = (EXAMPLES.parent / "docs" / "examples.md").read_text(encoding="utf-8")
    shown = SHOWN.findall(page)
    assert {script for script, _, _ in shown} == {
        "contract_net.py",
        "two_phase_commit.py",
        "circuit_breaker.py",
        "tcp_client.py",
        "http_request.py",
        "approval.py",
    }
    for script, arg, output in shown:
        if arg:
            out = tmp_path / script
            out.mkdir()
            assert _run(script, str(out)) == output.replace(arg.strip(), str(out))
        else:
            assert _run(script) == output
