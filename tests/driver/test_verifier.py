"""The stream verifier against hand-written frame sequences: each broken rule is caught by name,
and a good conversation passes."""

from __future__ import annotations

from typing import Any

import pytest

from driver.client.contract import Frame
from driver.client.models import Message
from driver.oracle.verifier import RunDirectory, StreamVerifier

RUN = "3f2a9c1d-0000-4000-8000-000000000001"
OTHER_RUN = "7b7b7b7b-0000-4000-8000-000000000002"
THREAD = "9c1d0000-0000-4000-8000-0000000000aa"
OTHER_THREAD = "5e5e5e5e-0000-4000-8000-0000000000bb"
LAPTOP, PHONE = "Alice's laptop", "Alice's phone"


def event(seq: int, kind: str, *, run: str = RUN, thread: str = THREAD, **payload: Any) -> Frame:
    frame: Frame = {
        "v": 1,
        "type": kind,
        "event_id": f"{run}:{seq}",
        "thread_id": thread,
        "run_id": run,
        "seq": seq,
        "ts": "2025-01-01T00:00:00Z",
        "final": kind in ("agent_completed", "agent_error"),
        "payload": payload,
    }
    if "call" in payload:
        frame["tool_call_id"] = payload.pop("call")
    return frame


def started(run: str = RUN, thread: str = THREAD, msg: str = "q-1") -> Frame:
    return event(
        1,
        "agent_started",
        run=run,
        thread=thread,
        agent="triage",
        input_message_id=f"m-{msg}",
        client_msg_id=msg,
    )


def thinking(seq: int, run: str = RUN, thread: str = THREAD) -> Frame:
    return event(seq, "agent_thinking", run=run, thread=thread, text="Looking at your spend")


def executing(seq: int, call: str = "c1", tool: str = "usage_report", run: str = RUN) -> Frame:
    return event(seq, "tool_executing", run=run, call=call, tool=tool, args={})


def completed_tool(seq: int, call: str = "c1", tool: str = "usage_report") -> Frame:
    return event(
        seq, "tool_completed", call=call, tool=tool, status="ok", summary="3 models", duration_ms=12
    )


def answer(seq: int, run: str = RUN, text: str = "Save $3,100 a month") -> Frame:
    return event(
        seq, "agent_completed", run=run, final_message_id="m-answer", text=text, outcome="success"
    )


def good_run() -> list[Frame]:
    return [started(), thinking(2), executing(3), completed_tool(4), thinking(5), answer(6)]


def ack(msg: str = "q-1", run: str = RUN, thread: str = THREAD, duplicate: bool = False) -> Frame:
    return {
        "type": "ack",
        "client_msg_id": msg,
        "thread_id": thread,
        "message_id": f"m-{msg}",
        "run_id": run,
        "duplicate": duplicate,
    }


class Conversation:
    """Feeds a verifier as real sockets do, with a clock that moves on each frame."""

    def __init__(self, directory: RunDirectory | None = None) -> None:
        self.verifier = StreamVerifier("Alice", directory=directory)
        self.now = 100.0

    def tick(self) -> float:
        self.now += 0.01
        return self.now

    def open(self, socket: str = LAPTOP) -> None:
        self.verifier.socket_opened(socket, self.tick())

    def ask(self, socket: str = LAPTOP, msg: str = "q-1") -> None:
        frame = {"type": "send", "client_msg_id": msg, "text": "How can we cut our spend?"}
        self.verifier.frame_sent(socket, "...", frame, self.tick())

    def receive(self, *frames: Frame, socket: str = LAPTOP) -> None:
        for frame in frames:
            self.verifier.frame_received(socket, frame, self.tick())

    def resume(self, run: str, last_seq: int, socket: str = LAPTOP) -> None:
        frame = {"type": "resume", "runs": [{"run_id": run, "last_seq": last_seq}]}
        self.verifier.frame_sent(socket, "...", frame, self.tick())

    def close(self, code: int = 1000, socket: str = LAPTOP) -> None:
        self.verifier.socket_closed(socket, code, "", self.tick())

    def asked_and_answered(self, frames: list[Frame]) -> None:
        self.open()
        self.ask()
        self.receive(ack(), *frames)

    @property
    def findings(self) -> list[str]:
        return self.verifier.findings(require_finished=True)


def only_finding(conversation: Conversation, *words: str) -> str:
    findings = conversation.findings
    assert len(findings) == 1, findings
    for word in words:
        assert word in findings[0], findings[0]
    return findings[0]


def test_a_good_conversation_passes() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run())
    conversation.verifier.assert_clean()
    assert conversation.findings == []


def test_a_seq_gap_is_caught() -> None:
    conversation = Conversation()
    frames = good_run()
    del frames[2]  # seq 3 never arrives
    conversation.asked_and_answered(frames)
    only_finding(conversation, "Alice's run 3f2a9c1d…", "skipped from seq 2 to tool_completed")


def test_a_run_that_never_finishes_is_caught_while_the_socket_is_open() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run()[:3])
    found = only_finding(conversation, "Alice's laptop never saw", "finish")
    assert 'last event: tool_executing "usage_report", seq 3' in found
    with pytest.raises(AssertionError, match=r"What Alice saw broke the chat\.v1 contract"):
        conversation.verifier.assert_clean()
    assert conversation.verifier.findings(require_finished=False) == []


def test_a_run_cut_short_by_a_closed_socket_is_not_unfinished() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run()[:3])
    conversation.close(4401)
    assert conversation.findings == []


def test_an_event_after_the_final_one_is_caught() -> None:
    conversation = Conversation()
    conversation.asked_and_answered([*good_run(), thinking(7)])
    only_finding(conversation, "emitted agent_thinking (seq 7) after its final event")


def test_a_second_final_event_is_caught() -> None:
    conversation = Conversation()
    error = event(7, "agent_error", error="internal", message="boom", retryable=False)
    conversation.asked_and_answered([*good_run(), error])
    assert any("after its final event" in f for f in conversation.findings)
    assert any("ended twice" in f for f in conversation.findings)


def test_a_tool_that_never_completes_is_caught() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(
        [started(), thinking(2), executing(3), completed_tool(4), executing(5, "c2"), answer(6)]
    )
    only_finding(conversation, "never completed tool 'usage_report' before agent_completed")


def test_a_tool_completion_without_a_start_is_caught() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(
        [
            started(),
            thinking(2),
            executing(3),
            completed_tool(4),
            completed_tool(5, "c9"),
            answer(6),
        ]
    )
    only_finding(
        conversation,
        "Alice's run 3f2a9c1d… emitted tool_completed 'usage_report' with no matching start",
    )


def test_a_completed_run_without_thinking_is_caught() -> None:
    conversation = Conversation()
    conversation.asked_and_answered([started(), executing(2), completed_tool(3), answer(4)])
    only_finding(conversation, "completed without showing agent_thinking")


def test_an_error_run_need_not_show_all_five_types() -> None:
    conversation = Conversation()
    error = event(2, "agent_error", error="llm_unavailable", message="down", retryable=True)
    conversation.asked_and_answered([started(), error])
    assert conversation.findings == []


def test_someone_elses_run_is_caught_and_the_owner_named() -> None:
    directory = RunDirectory()
    directory.claim("Bob", run_id=OTHER_RUN, thread_id=OTHER_THREAD)
    conversation = Conversation(directory)
    conversation.asked_and_answered(good_run())
    foreign = [started(OTHER_RUN, OTHER_THREAD, "b-1"), thinking(2, OTHER_RUN, OTHER_THREAD)]
    conversation.receive(*foreign)
    found = only_finding(conversation, "received 2 event(s) of Bob's run 7b7b7b7b…")
    assert "which is not Alice's" in found


def test_a_run_of_a_thread_learned_from_history_is_own() -> None:
    conversation = Conversation()
    conversation.open()
    conversation.verifier.learn_threads([OTHER_THREAD])
    frames = [started(OTHER_RUN, OTHER_THREAD), thinking(2, OTHER_RUN, OTHER_THREAD)]
    conversation.receive(*frames)
    conversation.close()
    assert conversation.findings == []


def test_events_that_race_ahead_of_the_ack_are_no_false_alarm() -> None:
    conversation = Conversation()
    conversation.open()
    conversation.ask()
    conversation.receive(*good_run()[:2], ack(), *good_run()[2:])
    assert conversation.findings == []


def test_a_device_that_joins_mid_run_may_start_late() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run()[:3])
    conversation.open(PHONE)
    conversation.receive(*good_run()[3:], socket=PHONE)
    conversation.receive(*good_run()[3:])
    assert conversation.findings == []


def test_a_device_open_before_the_question_must_see_it_from_the_start() -> None:
    conversation = Conversation()
    conversation.open(PHONE)
    conversation.asked_and_answered(good_run())
    conversation.receive(*good_run()[2:], socket=PHONE)
    only_finding(conversation, "began on Alice's phone at seq 3", "instead of agent_started")


def test_two_devices_that_disagree_about_a_seq_are_caught() -> None:
    conversation = Conversation()
    conversation.open(PHONE)
    conversation.asked_and_answered(good_run())
    phone = good_run()
    phone[1] = event(2, "agent_thinking", text="other")
    phone[1]["type"] = "tool_executing"
    phone[1]["tool_call_id"] = "c7"
    phone[1]["payload"] = {"tool": "usage_report", "args": {}}
    conversation.receive(*phone, socket=PHONE)
    assert any("two different events with seq 2" in f for f in conversation.findings)


def test_a_resumed_run_replays_exactly_what_was_missed() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run()[:3])
    conversation.close(1001)
    phone = "Alice's laptop (connection 2)"
    conversation.open(phone)
    conversation.resume(RUN, 3, socket=phone)
    resumed = {"type": "resumed", "run_id": RUN, "from": 4, "to": 5}
    conversation.receive(resumed, *good_run()[3:], socket=phone)
    assert conversation.findings == []


def test_a_replay_that_starts_at_the_wrong_seq_is_caught() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run()[:3])
    conversation.close(1001)
    laptop2 = "Alice's laptop (connection 2)"
    conversation.open(laptop2)
    conversation.resume(RUN, 3, socket=laptop2)
    resumed = {"type": "resumed", "run_id": RUN, "from": 5, "to": 5}
    conversation.receive(resumed, *good_run()[4:], socket=laptop2)
    findings = conversation.findings
    assert any("resumed after seq 3 but `resumed` says from 5" in f for f in findings), findings
    assert any(
        "resumed after seq 3 but the replay began at agent_thinking (seq 5)" in f for f in findings
    )


def test_a_resumed_answer_nobody_asked_for_is_caught() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run())
    conversation.receive({"type": "resumed", "run_id": RUN, "from": 1, "to": 6})
    only_finding(conversation, "did not ask to resume it")


def test_a_broken_envelope_is_caught() -> None:
    conversation = Conversation()
    frames = good_run()
    frames[1]["event_id"] = "wrong"
    frames[2]["v"] = 2
    del frames[4]["ts"]
    conversation.asked_and_answered(frames)
    findings = conversation.findings
    assert len(findings) == 3, findings
    assert "has event_id 'wrong'" in findings[0]
    assert "has v 2, not 1" in findings[1]
    assert "has no 'ts'" in findings[2]


def test_a_repeated_question_gets_the_identical_duplicate_ack() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run())
    conversation.ask()
    conversation.receive(ack(duplicate=True))
    assert conversation.findings == []
    conversation.receive(ack(run=OTHER_RUN, duplicate=True))
    assert any("not the identical duplicate" in f for f in conversation.findings)


def test_one_question_that_starts_two_runs_is_caught() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run())
    second = [started(OTHER_RUN), thinking(2, OTHER_RUN)]
    conversation.verifier.learn_run(OTHER_RUN, THREAD)
    conversation.receive(*second)
    conversation.close()
    assert any("asked one question (q-1) and it started 2 runs" in f for f in conversation.findings)


@pytest.mark.parametrize("code", [1011, 3000])
def test_a_close_code_outside_the_contract_is_caught(code: int) -> None:
    conversation = Conversation()
    conversation.open()
    conversation.close(code)
    only_finding(conversation, f"closed with {code}")


def test_the_answer_must_be_in_the_history() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run())
    assert conversation.verifier.answers_to_check() == [(RUN, THREAD)]
    user = Message("m-q-1", "user", "How can we cut our spend?", "t1", RUN)
    conversation.verifier.check_answer_visible(RUN, [user])
    only_finding(conversation, "the thread's messages do not show its answer")
    assert conversation.verifier.answers_to_check() == []


def test_an_answer_in_the_history_passes() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(good_run())
    shown = Message("m-answer", "assistant", "Save $3,100 a month", "t2", RUN)
    conversation.verifier.check_answer_visible(RUN, [shown])
    assert conversation.findings == []


def test_findings_can_be_limited_to_one_run() -> None:
    conversation = Conversation()
    frames = good_run()
    del frames[2]
    conversation.asked_and_answered(frames)
    conversation.receive(started(OTHER_RUN, OTHER_THREAD))
    assert len(conversation.verifier.findings(require_finished=False)) == 2
    about_mine = conversation.verifier.findings(require_finished=False, run_id=RUN)
    assert len(about_mine) == 1 and "skipped" in about_mine[0]


def test_frames_the_contract_does_not_know_are_caught() -> None:
    conversation = Conversation()
    conversation.open()
    conversation.receive({"type": "surprise"}, {"type": "error", "error": "oops", "message": "x"})
    conversation.verifier.frame_unreadable(LAPTOP, "not json", conversation.tick())
    findings = conversation.findings
    assert len(findings) == 3, findings


def test_a_conversation_of_someone_else_in_the_history_is_caught() -> None:
    directory = RunDirectory()
    directory.claim("Bob", run_id=OTHER_RUN, thread_id=OTHER_THREAD)
    conversation = Conversation(directory)
    conversation.open()
    conversation.verifier.learn_threads([OTHER_THREAD])
    conversation.receive(started(OTHER_RUN, OTHER_THREAD), thinking(2, OTHER_RUN, OTHER_THREAD))
    findings = conversation.findings
    assert findings[0] == "Alice was shown Bob's conversation 5e5e5e5e…", findings
    assert "of Bob's run 7b7b7b7b…" in findings[1]


# -- the place in line (issue 19)
def queued_start(position: int) -> Frame:
    frame = started()
    frame["payload"]["queued"] = {"position": position}
    return frame


def place(seq: int, position: object) -> Frame:
    return event(
        seq,
        "agent_thinking",
        text=f"You are number {position} in line",
        queued={"position": position},
    )


def waited(*places: Frame) -> list[Frame]:
    """A good run after waiting in line: its start, the places told, then the work."""
    n = len(places)
    rest = [thinking(2), executing(3), completed_tool(4), answer(5)]
    return [queued_start(3), *places, *(event_after(f, n) for f in rest)]


def event_after(frame: Frame, shift: int) -> Frame:
    seq = frame["seq"] + shift
    return {**frame, "seq": seq, "event_id": f"{frame['run_id']}:{seq}"}


def test_places_told_while_waiting_that_come_closer_pass() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(waited(place(2, 3), place(3, 2), place(4, 2), place(5, 1)))
    assert conversation.findings == []


def test_a_place_that_goes_back_is_caught() -> None:
    conversation = Conversation()
    conversation.asked_and_answered(waited(place(2, 2), place(3, 3)))
    only_finding(conversation, "number 3 in line after number 2")


def test_a_place_told_after_the_work_began_is_caught() -> None:
    conversation = Conversation()
    frames = [queued_start(1), thinking(2), place(3, 1), executing(4), completed_tool(5), answer(6)]
    conversation.asked_and_answered(frames)
    only_finding(conversation, "number 1 in line after it began working")


def test_a_place_told_to_a_question_that_never_waited_is_caught() -> None:
    conversation = Conversation()
    frames = [started(), place(2, 1), thinking(3), executing(4), completed_tool(5), answer(6)]
    conversation.asked_and_answered(frames)
    only_finding(conversation, "never had to wait")


@pytest.mark.parametrize("position", [0, -1, "2", None, True])
def test_a_place_that_is_not_a_position_from_1_is_caught(position: object) -> None:
    conversation = Conversation()
    conversation.asked_and_answered(waited(place(2, position)))
    assert any("not a position from 1" in f for f in conversation.findings), conversation.findings
