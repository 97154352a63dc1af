"""The load tool's reading of one question's frames (load/stream.py): timings and fate."""

from __future__ import annotations

from typing import Any

from load.fates import all_answered, fate_table
from load.stream import Question
from load.usage import spent, usage_records

ACK = {"type": "ack", "client_msg_id": "q1", "thread_id": "t", "message_id": "m", "run_id": "r"}


def event(seq: int, kind: str, **extra: Any) -> dict[str, Any]:
    final = kind in ("agent_completed", "agent_error")
    return {"type": kind, "run_id": "r", "seq": seq, "final": final, "payload": {}, **extra}


def a_run() -> list[dict[str, Any]]:
    return [
        event(1, "agent_started", payload={"queued": {"position": 3}}),
        event(2, "agent_thinking", step="triage"),
        event(3, "tool_executing", tool_call_id="c", payload={"tool": "usage_report"}),
        event(4, "tool_completed", tool_call_id="c", payload={"tool": "usage_report"}),
        event(5, "agent_completed", payload={"text": "spent $3,785.00"}),
    ]


def fed(frames: list[dict[str, Any]]) -> Question:
    question = Question("q1")
    for at, frame in enumerate(frames, start=1):
        question.feed(frame, at / 10)
    return question


def test_an_answered_question_has_every_time_from_the_ask() -> None:
    question = fed([ACK, *a_run()])
    assert question.fate == "answered" and not question.violations
    assert (question.acked_at, question.started_at, question.answered_at) == (0.1, 0.2, 0.6)
    assert question.queued_position == 3
    assert [(s.kind, s.name) for s in question.steps] == [
        ("agent_thinking", "triage"),
        ("tool_executing", "usage_report"),
        ("tool_completed", "usage_report"),
    ]
    assert round(question.steps[0].gap, 3) == 0.1


def test_a_gap_in_seq_breaks_the_contract() -> None:
    frames = a_run()
    del frames[2]
    question = fed([ACK, *frames])
    assert question.fate == "contract broken"
    assert "agent_thinking" not in question.violations[0]


def test_a_completed_run_without_a_tool_breaks_the_contract() -> None:
    run = [event(1, "agent_started"), event(2, "agent_completed", payload={"text": "x"})]
    assert fed([ACK, *run]).fate == "contract broken"


def test_refusals_errors_and_silence_are_named() -> None:
    busy = fed([{"type": "error", "error": "busy", "ref": "q1", "retry_after": 2}])
    assert (busy.fate, busy.retry_after) == ("refused: busy", 2.0)
    failed = fed(
        [ACK, event(1, "agent_started"), event(2, "agent_error", payload={"error": "timeout"})]
    )
    assert failed.fate == "agent_error: timeout"
    other = fed([{"type": "error", "error": "busy", "ref": "another", "retry_after": 2}])
    assert not other.over
    other.gave_up(90)
    assert other.fate == "never acked"
    acked = fed([ACK, event(1, "agent_started")])
    acked.closed(1001, 5)
    assert acked.fate == "closed 1001"


def test_the_fate_table_and_the_usage_total() -> None:
    assert all_answered({"answered": 3}) and not all_answered({"answered": 3, "never ended": 1})
    assert "never ended" in fate_table({"answered": 3, "never ended": 1}, busy_resent=2)
    assert spent(usage_records(3)) == "$3,785.00"
    assert spent(usage_records(9)) == "$11,355.00"
    assert len({(r["day"], r["feature"]) for r in usage_records(200)}) == 200


def test_the_longest_silence_is_between_two_events_a_place_in_line_update_included() -> None:
    question = Question("q1")
    place = {"text": "You are number 2 in line", "queued": {"position": 2}}
    timeline = [
        (0.05, ACK),
        (0.1, event(1, "agent_started", payload={"queued": {"position": 3}})),
        (0.9, event(2, "agent_thinking", payload=place)),  # told their place: 0.8 s of silence
        (1.6, event(3, "agent_thinking", step="triage")),  # the longest: 0.7 s after the place
        (1.7, event(4, "tool_executing", tool_call_id="c", payload={"tool": "usage_report"})),
        (1.8, event(5, "tool_completed", tool_call_id="c", payload={"tool": "usage_report"})),
        (1.9, event(6, "agent_completed", payload={"text": "spent $3,785.00"})),
    ]
    for at, frame in timeline:
        question.feed(frame, at)
    assert question.fate == "answered"
    # The ask-to-first-event wait is first progress's, not a silence between two events.
    assert round(question.longest_silence or 0, 3) == 0.8
    # Without the place-in-line update, the person would have waited 1.5 s in silence.
    del timeline[2]
    unplaced = Question("q1")
    for at, frame in timeline:
        unplaced.feed({**frame, "seq": frame["seq"] - 1} if frame.get("seq", 0) > 2 else frame, at)
    assert round(unplaced.longest_silence or 0, 3) == 1.5
    assert Question("q1").longest_silence is None


def place(seq: int, position: int) -> dict[str, Any]:
    payload = {"text": f"You are number {position} in line", "queued": {"position": position}}
    return event(seq, "agent_thinking", payload=payload)


def waited(*places: dict[str, Any]) -> list[dict[str, Any]]:
    """a_run() with its places in line told after agent_started."""
    run = a_run()
    shifted = [{**e, "seq": e["seq"] + len(places)} for e in run[1:]]
    return [run[0], *places, *shifted]


def test_places_in_line_are_not_steps_and_count_in_the_longest_silence() -> None:
    question = Question("q1")
    times = [0.1, 0.2, 0.9, 1.7, 1.8, 1.9, 2.0, 2.1]  # ack, started, 2 places, 4 events
    for at, frame in zip(times, [ACK, *waited(place(2, 2), place(3, 1))], strict=True):
        question.feed(frame, at)
    assert question.fate == "answered" and not question.violations
    assert question.places == [3, 2, 1]
    assert [s.kind for s in question.steps] == [
        "agent_thinking",
        "tool_executing",
        "tool_completed",
    ]
    assert question.longest_silence is not None and round(question.longest_silence, 3) == 0.8


def test_a_place_that_goes_back_breaks_the_contract() -> None:
    question = fed([ACK, *waited(place(2, 2), place(3, 4))])
    assert question.fate == "contract broken"
    assert "place 4 in line after place 2" in question.violations[0]
