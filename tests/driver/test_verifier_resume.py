"""Invariants 4 and 6 on resumes: what the verifier adds to catch a replay that breaks its word."""

from __future__ import annotations

from driver.oracle.verifier import RunDirectory
from tests.driver.test_verifier import RUN, Conversation, good_run, only_finding

LAPTOP2 = "Alice's laptop (connection 2)"


def resumed_after(conversation: Conversation, last_seq: int, to: int) -> None:
    conversation.asked_and_answered(good_run()[:last_seq])
    conversation.close(1006)
    conversation.open(LAPTOP2)
    conversation.resume(RUN, last_seq, socket=LAPTOP2)
    resumed = {"type": "resumed", "run_id": RUN, "from": last_seq + 1, "to": to}
    conversation.receive(resumed, socket=LAPTOP2)


def test_a_replay_that_stops_short_of_its_promise_is_caught() -> None:
    conversation = Conversation()
    resumed_after(conversation, 2, to=5)
    conversation.receive(*good_run()[2:4], socket=LAPTOP2)  # seqs 3 and 4, then nothing
    promised = [f for f in conversation.findings if "was promised" in f]
    assert promised and "events 3 to 5" in promised[0] and "stopped at seq 4" in promised[0]


def test_a_resume_that_delivers_nothing_on_an_open_socket_is_caught() -> None:
    conversation = Conversation()
    resumed_after(conversation, 3, to=3)  # nothing to replay: the rest must come live
    only_finding(conversation, "resumed", "never saw it finish")


def test_a_resume_of_a_finished_run_with_nothing_missed_is_fine() -> None:
    conversation = Conversation()
    resumed_after(conversation, 6, to=6)
    assert conversation.findings == []


def test_a_promise_that_ends_before_the_run_did_is_caught() -> None:
    conversation = Conversation()
    resumed_after(conversation, 2, to=9)  # the run ends at seq 6
    conversation.receive(*good_run()[2:], socket=LAPTOP2)
    assert any("events 3 to 9" in f for f in conversation.findings), conversation.findings


def test_nonsense_bounds_in_resumed_are_caught() -> None:
    conversation = Conversation()
    resumed_after(conversation, 3, to=1)
    conversation.receive(*good_run()[3:], socket=LAPTOP2)
    only_finding(conversation, "resumed after seq 3 but `resumed` says to 1")


def test_being_answered_about_someone_elses_run_is_caught() -> None:
    directory = RunDirectory()
    directory.claim("Bob", run_id=RUN)
    conversation = Conversation(directory)
    conversation.open()
    conversation.resume(RUN, 0)
    conversation.receive({"type": "resumed", "run_id": RUN, "from": 1, "to": 0})
    assert any("was answered about Bob's run" in f for f in conversation.findings)
