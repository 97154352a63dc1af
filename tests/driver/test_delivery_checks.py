"""The delivery checks (interactions/delivery.py) on answers made by hand: what each holds a
catch-up, a repeat, an ending and a stored record to, and the words it fails in."""

from __future__ import annotations

from driver.actors.actor import Actor
from driver.actors.interactions import (
    CaughtUpOnceInOrder,
    Failed,
    KeepsWhatTheySaw,
    ToldAlreadyArrived,
)
from driver.actors.questions import Replay, SeenAndKept
from driver.actors.tasks import FIRST_CONFIRMATION
from driver.client.contract import EventType, TimedEvent
from driver.client.models import Ack
from driver.evidence.transcript import Transcript

ALICE = Actor("Alice", "alice@example.com", "a long password", Transcript("checks"))


def _replay(first: int, last: int, after: list[int], seen_before: int = 2) -> Replay:
    resumed = {"type": "resumed", "run_id": "r", "from": first, "to": last}
    return Replay("Alice's laptop", "r", seen_before, resumed, after)


def test_a_catch_up_resumes_right_after_what_was_seen_and_sends_each_step_once() -> None:
    caught_up = CaughtUpOnceInOrder()
    assert caught_up.problems(ALICE, _replay(3, 5, [3, 4, 5, 6])) == []
    assert caught_up.problems(ALICE, _replay(2, 5, [2, 3, 4, 5])) == [
        "Alice's laptop had seen up to seq 2 but was resumed "
        "{'type': 'resumed', 'run_id': 'r', 'from': 2, 'to': 5}"
    ]
    assert caught_up.problems(ALICE, _replay(3, 5, [3, 5])) == [
        "Alice's laptop received seqs [3, 5] after resuming from 3"
    ]
    told_to_reload = Replay("Alice's laptop", "r", 2, {"type": "resync_required"}, [])
    assert caught_up.problems(ALICE, told_to_reload)[0].startswith(
        "Alice's laptop was not resumed on run"
    )


def test_several_steps_or_none_again_is_said_of_the_replay() -> None:
    one = _replay(3, 3, [3, 4])
    assert CaughtUpOnceInOrder(several=True).problems(ALICE, one) == [
        "Alice's laptop missed only [3], not several steps"
    ]
    assert CaughtUpOnceInOrder(nothing_again=True).problems(ALICE, one) == [
        "Alice's laptop was sent again seqs [3]"
    ]


def test_a_repeat_is_the_same_confirmation_marked_as_already_arrived() -> None:
    alice = Actor("Alice", "alice@example.com", "a long password", Transcript("checks"))
    first = Ack("m1", "t1", "msg1", "run1", duplicate=False, at=0.0)
    same = ToldAlreadyArrived(same_as_before=True)
    assert same.problems(alice, first) == ["Alice had asked nothing before"]
    alice.notes.write(FIRST_CONFIRMATION, first)
    again = Ack("m1", "t1", "msg1", "run1", duplicate=True, at=1.0)
    assert same.problems(alice, again) == []
    assert ToldAlreadyArrived().problems(alice, first) == [
        "Alice's repeat was taken as a new question"
    ]
    elsewhere = Ack("m1", "t1", "msg1", "run2", duplicate=True, at=1.0)
    assert same.problems(alice, elsewhere)[0].startswith("Alice's repeat was confirmed as")


def test_an_ending_is_held_to_the_error_the_person_was_told() -> None:
    def error(code: str, message: str, retryable: bool = False) -> TimedEvent:
        payload = {"error": code, "message": message, "retryable": retryable}
        return TimedEvent(0.0, {"type": "agent_error", "seq": 4, "payload": payload})

    assert (
        Failed("tool_failed", mentioning="usage").problems(
            ALICE, error("tool_failed", "Could not read your usage data.")
        )
        == []
    )
    assert Failed("tool_failed").problems(ALICE, error("timeout", "Too slow.")) == [
        "Alice was told timeout: Too slow."
    ]
    assert Failed("interrupted", retryable=True).problems(
        ALICE, error("interrupted", "The server stopped.", retryable=False)
    ) == ["Alice was told interrupted: The server stopped."]
    completed = TimedEvent(0.0, {"type": EventType.AGENT_COMPLETED, "seq": 5, "payload": {}})
    assert (
        Failed("timeout")
        .problems(ALICE, completed)[0]
        .startswith("the assistant did not fail: it ended with")
    )


def test_the_record_keeps_exactly_what_was_seen_and_shows_what_is_said() -> None:
    stored = [
        {"seq": 1, "type": "tool_executing", "payload": {}},
        {"seq": 2, "type": "tool_completed", "payload": {"status": "error"}},
        {"seq": 3, "type": "agent_error", "payload": {}},
    ]
    seen: list[tuple[int | None, str]] = [
        (1, "tool_executing"),
        (2, "tool_completed"),
        (3, "agent_error"),
    ]
    record = SeenAndKept(seen, stored)
    assert KeepsWhatTheySaw("the failed step").problems(ALICE, record) == []
    assert KeepsWhatTheySaw("the answer at the end").problems(ALICE, record) == [
        "the record of Alice's question does not show the answer at the end: "
        "['tool_executing', 'tool_completed', 'agent_error']"
    ]
    partly = SeenAndKept(seen, stored[:2])
    assert (
        KeepsWhatTheySaw("the failed step")
        .problems(ALICE, partly)[0]
        .startswith("Alice saw [(1, 'tool_executing')")
    )
