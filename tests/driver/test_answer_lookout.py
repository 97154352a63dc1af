"""The answer lookout (driver/oracle/answer_lookout.py): the history is read the moment an
answer arrives, and what that read found is judged by the person's verifier."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from driver.client.errors import ApiError
from driver.client.models import Message
from driver.oracle.answer_lookout import AnswerLookout
from tests.driver.test_verifier import LAPTOP, PHONE, RUN, THREAD, Conversation, ack, good_run

ANSWER = Message("m-answer", "assistant", "Save $3,100 a month", "t2", RUN)
QUESTION = Message("m-q-1", "user", "How can we cut our spend?", "t1", RUN)


class History:
    """What a read of the history returns, and which threads were read when."""

    def __init__(self, messages: Sequence[Message] = (), *, down: bool = False) -> None:
        self.messages = list(messages)
        self.down = down
        self.reads: list[str] = []

    async def read(self, thread_id: str) -> Sequence[Message]:
        self.reads.append(thread_id)
        if self.down:
            raise ApiError(503, "temporarily_unavailable", "down for a moment")
        return list(self.messages)


def watched(history: History) -> tuple[Conversation, AnswerLookout, list[str]]:
    conversation, notes = Conversation(), []
    lookout = AnswerLookout(conversation.verifier, history.read, notes.append)
    return conversation, lookout, notes


def arrives(conversation: Conversation, lookout: AnswerLookout, socket: str = LAPTOP) -> None:
    """The run's frames arrive on the socket (asked on the laptop): the verifier sees each
    first, then the lookout, as the socket's observers are ordered."""
    conversation.open(socket)
    if socket == LAPTOP:
        conversation.ask(socket)
        conversation.receive(ack(), socket=socket)
    for frame in good_run():
        conversation.receive(frame, socket=socket)
        lookout.frame_received(socket, frame, conversation.now)


async def test_an_answer_missing_from_the_history_as_it_arrives_is_caught() -> None:
    history = History([QUESTION])
    conversation, lookout, _ = watched(history)
    arrives(conversation, lookout)
    # The answer is stored a moment later: too late, the read began as the answer arrived.
    await asyncio.sleep(0)
    history.messages.append(ANSWER)
    await lookout.settled()
    assert history.reads == [THREAD]
    assert lookout.found == {RUN: "missing"}
    assert any(
        "read the moment the answer arrived does not hold it" in f for f in conversation.findings
    )


async def test_an_answer_already_in_the_history_passes_and_is_not_read_again() -> None:
    history = History([QUESTION, ANSWER])
    conversation, lookout, _ = watched(history)
    arrives(conversation, lookout)
    arrives(conversation, lookout, PHONE)  # the phone sees the same answer: one read is enough
    await lookout.settled()
    assert history.reads == [THREAD]
    assert lookout.found == {RUN: "held"}
    assert conversation.findings == []
    assert conversation.verifier.answers_to_check() == []


async def test_a_read_that_cannot_be_made_gives_no_verdict() -> None:
    conversation, lookout, notes = watched(History(down=True))
    arrives(conversation, lookout)
    await lookout.settled()
    assert lookout.found[RUN].startswith("unread")
    assert notes and "could not read the history" in notes[0]
    assert conversation.findings == []
    assert conversation.verifier.answers_to_check() == [(RUN, THREAD)]  # checked later instead


async def test_a_lookout_turned_off_reads_nothing() -> None:
    history = History()
    conversation, lookout, _ = watched(history)
    lookout.enabled = False
    arrives(conversation, lookout)
    await lookout.settled()
    assert history.reads == []
