"""People who keep asking while the servers are restarted under them, as the app behaves.

Each asks a question, follows it to the answer, and asks the next one in the same conversation,
until told to stop. When a restart closes their chat (1001, the server going away), the app
reopens it (through the balancer, so on another server) and catches up on the question it was
following; a question whose confirmation was lost with the chat is sent again with the same id
(the service keeps it once). A refusal that says "come back in a moment" is tried again after
the wait it names. What each person lived is kept for the checks (`answer_problems`, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.questions import TheMessages
from driver.actors.tasks import OpenChat, Reconnect
from driver.actors.tasks.crowd import Customer
from driver.client.contract import AGENT_COMPLETED, CloseCode, ErrorCode, TimedEvent
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
class Question:
    """One question a person asked and what became of it, over every connection."""

    text: str
    client_msg_id: str
    asked_at: float
    run_id: str | None = None  # from the confirmation
    answered_at: float | None = None


@dataclass
class Asker:
    """One person asking again and again; `closes` holds each chat closure they lived."""

    customer: Customer
    questions: list[Question] = field(default_factory=list)
    closes: list[int] = field(default_factory=list)
    reopened: int = 0

    @property
    def person(self) -> Actor:
        return self.customer.person

    async def keep_asking(self, stop: asyncio.Event) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            question = Question(
                f"{self.customer.question} (question {number})",
                str(uuid.uuid4()),
                time.monotonic(),
            )
            self.questions.append(question)
            run = await self._ask(question)
            await self._follow(run)
            question.answered_at = time.monotonic()

    async def _ask(self, question: Question) -> RunStream:
        person = self.person
        deadline = time.monotonic() + REOPEN_WITHIN_S
        while True:
            socket = await self._open()
            try:
                ack = await socket.send(
                    question.text,
                    thread_id=person.current_thread,
                    client_msg_id=question.client_msg_id,
                    timeout=person.chat.timeout,
                )
            except SocketClosed as closed:
                await self._closed(closed.code, deadline, "before its question was confirmed")
                continue
            except SendRefused as refused:
                if refused.code != ErrorCode.TEMPORARILY_UNAVAILABLE or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(refused.retry_after or 1.0)
                continue
            break
        question.run_id = ack.run_id
        person.current_thread, person.last_ack = ack.thread_id, ack
        person.last_run = run = socket.run(ack.run_id)
        if ack.duplicate:  # sent again after a lost confirmation: it may have started already
            await socket.resume([(ack.run_id, person.chat.last_in_order(ack.run_id))])
        return run

    async def _follow(self, run: RunStream) -> TimedEvent:
        person = self.person
        deadline = time.monotonic() + ANSWER_WITHIN_S
        while True:
            left = max(0.0, deadline - time.monotonic())
            try:
                return await run.wait_final(left, who=person.name)
            except StreamStalled:
                socket = person.chat.sockets[DEFAULT_DEVICE]
                if socket.is_open or socket.close_code is None:
                    raise
                await self._closed(socket.close_code, deadline, "in the middle of an answer")
            await self._reconnect(deadline)
            assert person.last_run is not None
            run = person.last_run

    async def _closed(self, code: int, deadline: float, when: str) -> None:
        self.closes.append(code)
        if code not in RECONNECT_ON:
            raise AssertionError(f"{self.person.name}'s chat was closed with {code} {when}")
        self.person.note(f"the chat was closed ({code}) {when}; reopening it")
        if time.monotonic() > deadline:
            raise AssertionError(f"{self.person.name}'s chat kept closing {when}")

    async def _open(self) -> ChatSocket:
        socket: ChatSocket = await self._patiently(lambda: self.person.attempts_to(OpenChat()))
        return socket

    async def _reconnect(self, deadline: float) -> None:
        await self._patiently(lambda: self.person.attempts_to(Reconnect()))
        self.reopened += 1

    async def _patiently(self, action: Callable[[], Awaitable[T]]) -> T:
        """The action, tried again while the chat cannot open yet or closes while catching up
        (the server it reached was going away too)."""
        deadline = time.monotonic() + REOPEN_WITHIN_S
        while True:
            try:
                return await action()
            except (HandshakeRefused, SocketClosed, OSError, TimeoutError) as error:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{self.person.name} could not reopen the chat within "
                        f"{REOPEN_WITHIN_S:g} s: {error}"
                    ) from error
                wait = error.retry_after if isinstance(error, HandshakeRefused) else None
                await asyncio.sleep(wait or 0.2)


@dataclass
class KeepAsking:
    """Everyone asking again and again, in the background of the scenario's loop."""

    askers: list[Asker]
    stop: asyncio.Event
    tasks: list[asyncio.Task[None]]

    @classmethod
    def start(cls, customers: Sequence[Customer]) -> KeepAsking:
        askers = [Asker(c) for c in customers]
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(a.keep_asking(stop), name=f"{a.person.name} keeps asking")
            for a in askers
        ]
        return cls(askers, stop, tasks)

    async def all_in_the_middle(self, timeout: float) -> None:  # noqa: ASYNC109 - in the message
        """Until everyone has a question confirmed and not yet answered."""
        deadline = time.monotonic() + timeout
        while True:
            waiting = [a.person.name for a in self.askers if not _in_the_middle(a)]
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
            f"{asker.person.name}: {task.exception()}"
            for asker, task in zip(self.askers, self.tasks, strict=True)
            if task.done() and not task.cancelled() and task.exception() is not None
        ]

    async def finish(self) -> list[str]:
        """Let everyone finish the question they are on; what went wrong for whom."""
        self.stop.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        return self.failures()


def _in_the_middle(asker: Asker) -> bool:
    return any(q.run_id is not None and q.answered_at is None for q in asker.questions)


def in_flight_at(askers: Sequence[Asker], moment: float) -> int:
    """How many people were in the middle of an answer at that moment."""
    return sum(
        1
        for asker in askers
        for q in asker.questions
        if q.asked_at < moment and (q.answered_at is None or q.answered_at > moment)
    )


def answer_problems(asker: Asker) -> list[str]:
    """Each question they asked and saw confirmed must end once, with the answer (every
    connection of the device counted)."""
    person, found = asker.person, []
    for number, question in enumerate(asker.questions, start=1):
        said = f"{person.name}'s question {number} ({question.text!r})"
        if question.run_id is None:
            found.append(f"{said} was never confirmed")
            continue
        finals = {e.seq: e for s in person.chat.streams_of(question.run_id) for e in s.events}
        ends = [e for e in finals.values() if e.is_final]
        if not ends:
            found.append(f"{said} never ended")
        elif len(ends) > 1:
            found.append(f"{said} ended {len(ends)} times: {[e.describe() for e in ends]}")
        elif ends[0].type != AGENT_COMPLETED:
            why = ends[0].payload.get("error")
            happened = "was interrupted" if why == "interrupted" else f"ended with {why}"
            found.append(f"{said} {happened} instead of answered")
    return found


async def conversation_problems(asker: Asker) -> list[str]:
    """Their conversation, as reopening it shows, holds each question then its answer, once."""
    person = asker.person
    expected: list[tuple[str, str]] = []
    for question in asker.questions:
        expected.append(("user", question.text))
        finals = [e for s in person.chat.streams_of(question.run_id or "") for e in s.events]
        answer = next((e for e in finals if e.type == AGENT_COMPLETED), None)
        if answer is not None:
            expected.append(("assistant", str(answer.payload.get("text"))))
    stored = [(m.role, m.text) for m in await person.asks_for(TheMessages())]
    if stored == expected:
        return []
    twice = sorted({message[1][:60] for message in stored if stored.count(message) > 1})
    missing = [message[1][:60] for message in expected if message not in stored]
    said = f"{person.name}'s conversation holds {len(stored)} messages, not {len(expected)}"
    return [f"{said}; twice: {twice}; missing: {missing}"]


def reconnection_problems(asker: Asker) -> list[str]:
    """A restart must have closed their chat (every server was restarted), as going away, and
    they must have come back; and nothing they saw may break the contract (the verifier:
    each event once, in order, no gap, whichever server sent it)."""
    person, found = asker.person, []
    if not asker.closes:
        found.append(f"{person.name}'s chat was never closed by a restart")
    cut = [code for code in asker.closes if code != CloseCode.GOING_AWAY]
    if cut:
        found.append(
            f"{person.name}'s chat was cut off ({cut}) instead of being told the server was "
            "going away"
        )
    if asker.closes and len(person.chat.connections()) < 2:
        found.append(f"{person.name}'s chat never came back after it closed")
    found += person.verifier.findings(require_finished=False)
    return found


async def hang_up(askers: Sequence[Asker]) -> None:
    for asker in askers:
        with contextlib.suppress(Exception):
            await asker.person.chat.close_all()
