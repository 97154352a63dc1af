"""People who keep asking while the servers are restarted under them, as the app behaves.

Each asks a question, follows it to the answer, and asks the next one in the same conversation,
until told to stop. When a restart closes their chat (1001, the server going away), the app
reopens it (through the balancer, so on another server) and catches up on the question it was
following; a question whose confirmation was lost with the chat is sent again with the same id
(the service keeps it once). A refusal that says "come back in a moment" is tried again after
the wait it names. What each person lived is noted under ASKED_THROUGH_RESTARTS; the group,
under EVERYONE_ASKING on the cast's notepad.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.notepad import Note
from driver.actors.tasks.devices import OpenChat, Reconnect
from driver.client.contract import CloseCode, ErrorCode, TimedEvent
from driver.client.errors import HandshakeRefused, SendRefused, SocketClosed
from driver.client.socket import ChatSocket
from driver.client.stream import RunStream, StreamStalled

T = TypeVar("T")

# Closures an app answers by reconnecting: the server going away (a restart) or the line
# dropping; anything else (a refused pass, a policy close) is a failure here.
RECONNECT_ON = frozenset({CloseCode.GOING_AWAY, CloseCode.DROPPED, CloseCode.NO_CODE})
# How long an app keeps trying to reopen its chat before it gives up.
REOPEN_WITHIN_S = 30.0
# A question may wait in line behind the others on a busy server.
ANSWER_WITHIN_S = 60.0


@dataclass
class AskedQuestion:
    """One question a person asked and what became of it, over every connection."""

    text: str
    client_msg_id: str
    asked_at: float
    run_id: str | None = None  # from the confirmation
    answered_at: float | None = None


@dataclass
class Asking:
    """What one person asking again and again lived: their questions, each chat closure."""

    questions: list[AskedQuestion] = field(default_factory=list)
    closes: list[int] = field(default_factory=list)
    reopened: int = 0

    def in_the_middle(self) -> bool:
        return any(q.run_id is not None and q.answered_at is None for q in self.questions)


ASKED_THROUGH_RESTARTS = Note[Asking]("the questions she kept asking through the restarts")


@dataclass(frozen=True)
class KeepAskingUntil:
    """Ask `question` (numbered), follow it to its answer and ask again, until `stop` is set;
    noted under ASKED_THROUGH_RESTARTS as it goes."""

    question: str
    stop: asyncio.Event

    async def perform_as(self, actor: Actor) -> None:
        asking = actor.notes.write(ASKED_THROUGH_RESTARTS, Asking())
        number = 0
        while not self.stop.is_set():
            number += 1
            text = f"{self.question} (question {number})"
            question = AskedQuestion(text, str(uuid.uuid4()), time.monotonic())
            asking.questions.append(question)
            run = await _ask(actor, asking, question)
            await _follow(actor, asking, run)
            question.answered_at = time.monotonic()


async def _ask(actor: Actor, asking: Asking, question: AskedQuestion) -> RunStream:
    deadline = time.monotonic() + REOPEN_WITHIN_S
    while True:
        socket = await _open(actor)
        try:
            ack = await socket.send(
                question.text,
                thread_id=actor.current_thread,
                client_msg_id=question.client_msg_id,
                timeout=actor.chat.timeout,
            )
        except SocketClosed as closed:
            _closed(actor, asking, closed.code, deadline, "before its question was confirmed")
            continue
        except SendRefused as refused:
            if refused.code != ErrorCode.TEMPORARILY_UNAVAILABLE or time.monotonic() > deadline:
                raise
            await asyncio.sleep(refused.retry_after or 1.0)
            continue
        break
    question.run_id = ack.run_id
    actor.current_thread, actor.last_ack = ack.thread_id, ack
    actor.last_run = run = socket.run(ack.run_id)
    if ack.duplicate:  # sent again after a lost confirmation: it may have started already
        await socket.resume([(ack.run_id, actor.chat.last_in_order(ack.run_id))])
    return run


async def _follow(actor: Actor, asking: Asking, run: RunStream) -> TimedEvent:
    deadline = time.monotonic() + ANSWER_WITHIN_S
    while True:
        left = max(0.0, deadline - time.monotonic())
        try:
            return await run.wait_final(left, who=actor.name)
        except StreamStalled:
            socket = actor.chat.sockets[DEFAULT_DEVICE]
            if socket.is_open or socket.close_code is None:
                raise
            _closed(actor, asking, socket.close_code, deadline, "in the middle of an answer")
        await _patiently(actor, lambda: actor.attempts_to(Reconnect()))
        asking.reopened += 1
        run = actor.asked_last()


def _closed(actor: Actor, asking: Asking, code: int, deadline: float, when: str) -> None:
    asking.closes.append(code)
    if code not in RECONNECT_ON:
        raise AssertionError(f"{actor.name}'s chat was closed with {code} {when}")
    actor.note(f"the chat was closed ({code}) {when}; reopening it")
    if time.monotonic() > deadline:
        raise AssertionError(f"{actor.name}'s chat kept closing {when}")


async def _open(actor: Actor) -> ChatSocket:
    await _patiently(actor, lambda: actor.attempts_to(OpenChat()))
    return actor.chat.socket(DEFAULT_DEVICE, actor.name)


async def _patiently(actor: Actor, action: Callable[[], Awaitable[T]]) -> T:
    """The action, tried again while the chat cannot open yet or closes while catching up (the
    server it reached was going away too)."""
    deadline = time.monotonic() + REOPEN_WITHIN_S
    while True:
        try:
            return await action()
        except (HandshakeRefused, SocketClosed, OSError, TimeoutError) as error:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{actor.name} could not reopen the chat within {REOPEN_WITHIN_S:g} s: {error}"
                ) from error
            wait = error.retry_after if isinstance(error, HandshakeRefused) else None
            await asyncio.sleep(wait or 0.2)


@dataclass
class EveryoneKeepsAsking:
    """Everyone asking again and again (each performing KeepAskingUntil), in the background of
    the scenario's loop; noted on the cast's notepad under EVERYONE_ASKING."""

    people: list[Actor]
    stop: asyncio.Event
    tasks: list[asyncio.Task[None]]

    @classmethod
    def start(cls, askers: Sequence[tuple[Actor, str]]) -> EveryoneKeepsAsking:
        """Each person starts asking their question again and again."""
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(
                person.attempts_to(KeepAskingUntil(question, stop)),
                name=f"{person.name} keeps asking",
            )
            for person, question in askers
        ]
        return cls([person for person, _ in askers], stop, tasks)

    def asking(self, person: Actor) -> Asking:
        return person.notes.read(ASKED_THROUGH_RESTARTS)

    async def all_in_the_middle(self, timeout: float) -> None:  # noqa: ASYNC109 - in the message
        """Until everyone has a question confirmed and not yet answered."""
        deadline = time.monotonic() + timeout
        while True:
            waiting = [
                p.name
                for p in self.people
                if not (p.notes.has(ASKED_THROUGH_RESTARTS) and self.asking(p).in_the_middle())
            ]
            if not waiting:
                return
            broken = [t for t in self.tasks if t.done()]
            if broken or time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(waiting)} people were not in the middle of an answer after "
                    f"{timeout:g} s (e.g. {waiting[:3]}); {self.failures()[:3]}"
                )
            await asyncio.sleep(0.05)

    def failures(self) -> list[str]:
        return [
            f"{person.name}: {task.exception()}"
            for person, task in zip(self.people, self.tasks, strict=True)
            if task.done() and not task.cancelled() and task.exception() is not None
        ]

    async def finish(self) -> list[str]:
        """Let everyone finish the question they are on; what went wrong for whom."""
        self.stop.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        return self.failures()

    def asked(self) -> int:
        """How many questions they asked in all."""
        return sum(len(self.asking(p).questions) for p in self.people)

    def in_flight_at(self, moment: float) -> int:
        """How many people were in the middle of an answer at that moment."""
        return sum(
            1
            for person in self.people
            for q in self.asking(person).questions
            if q.asked_at < moment and (q.answered_at is None or q.answered_at > moment)
        )


EVERYONE_ASKING = Note[EveryoneKeepsAsking]("the people who keep asking through the redeploy")
