"""What people do while something the service depends on is in trouble: keep asking until the
question is stored, their usual routine (timed), opening the chat again and again. What they
lived is noted for the checks (driver/actors/interactions/outages.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.notepad import Note
from driver.actors.questions.answers import TheAnswer
from driver.actors.tasks.accounts import SignIn
from driver.actors.tasks.conversation import Ask
from driver.actors.tasks.devices import CloseChat, OpenChat
from driver.client.contract import ErrorCode
from driver.client.errors import HandshakeRefused, SendRefused, SocketClosed
from driver.client.models import Ack
from driver.client.stream import RunStream

# A refused question is sent again after a pause that doubles up to a cap, as a well-behaved app
# does: quick after a blip, about once a second during a long outage (within the rate limit).
RETRY_PAUSE_S = 0.25
RETRY_PAUSE_CAP_S = 1.0


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    at: float  # monotonic, when the refusal arrived
    waited_s: float  # from sending to the refusal


@dataclass
class Persistence:
    """A question sent again and again, with the same id, until it was stored."""

    question: str
    client_msg_id: str
    refusals: list[Refusal] = field(default_factory=list)
    # Attempts whose chat closed instead of answering (code: "closed <close code>").
    closures: list[Refusal] = field(default_factory=list)
    ack: Ack | None = None
    run: RunStream | None = None
    first_sent_at: float = 0.0


PERSISTENCE = Note[Persistence]("her question asked again and again until it was stored")


@dataclass(frozen=True)
class AskUntilStored:
    """Ask, and while the service answers `temporarily_unavailable`, send the same question
    (same client_msg_id) again after a pause (backing off), as a well-behaved app does; every
    attempt is noted under PERSISTENCE. Any other refusal, or no confirmation within `within`
    seconds, fails in business words."""

    question: str
    within: float
    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        attempt = Persistence(self.question, str(uuid.uuid4()), first_sent_at=time.monotonic())
        actor.notes.write(PERSISTENCE, attempt)
        deadline = attempt.first_sent_at + self.within
        pause = RETRY_PAUSE_S
        while True:
            sent_at = time.monotonic()
            try:
                await actor.attempts_to(
                    Ask(self.question, client_msg_id=attempt.client_msg_id, device=self.device)
                )
                attempt.run = actor.asked_last()
                attempt.ack = actor.last_ack
                return
            except (SendRefused, HandshakeRefused) as refusal:  # the question, or the chat
                now = time.monotonic()
                attempt.refusals.append(Refusal(refusal.code, refusal.message, now, now - sent_at))
                if refusal.code != ErrorCode.TEMPORARILY_UNAVAILABLE:
                    raise AssertionError(
                        f"{actor.name}'s question was refused with {refusal.code} "
                        f"({refusal.message}), not as temporarily unavailable"
                    ) from None
            except SocketClosed as closed:  # the next attempt opens the chat again
                now = time.monotonic()
                attempt.closures.append(
                    Refusal(f"closed {closed.code}", closed.reason, now, now - sent_at)
                )
            if time.monotonic() + pause > deadline:
                found = [*attempt.refusals, *attempt.closures]
                codes = ", ".join(sorted({r.code for r in found})) or "no refusal"
                raise AssertionError(
                    f"{actor.name}'s question was never stored within {self.within:g} s "
                    f"({len(found)} refusals or closed chats: {codes})"
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_PAUSE_CAP_S)


@dataclass(frozen=True)
class Routine:
    """How long each part of a person's usual routine took, in seconds."""

    sign_in: float
    open_chat: float
    question_stored: float
    answer: float

    def parts(self) -> dict[str, float]:
        return {
            "signing in": self.sign_in,
            "opening the chat": self.open_chat,
            "having the question stored": self.question_stored,
            "getting the answer": self.answer,
        }


USUAL_ROUTINE = Note[Routine]("how long her usual routine took while all was well")
ROUTINE = Note[Routine]("how long her routine took")


@dataclass(frozen=True)
class DoTheirUsualRoutine:
    """Sign in, open the chat, ask, wait for the answer; each part timed, noted under
    `remembered_as` (ROUTINE, or USUAL_ROUTINE for the one timed while all was well)."""

    question: str
    remembered_as: Note[Routine] = ROUTINE
    timeout: float = 15.0

    async def perform_as(self, actor: Actor) -> None:
        began = time.monotonic()
        await actor.attempts_to(SignIn())
        signed_in = time.monotonic()
        await actor.attempts_to(OpenChat())
        opened = time.monotonic()
        await actor.attempts_to(Ask(self.question))
        stored = time.monotonic()
        await actor.asks_for(TheAnswer(self.timeout))
        answered = time.monotonic()
        routine = Routine(signed_in - began, opened - signed_in, stored - opened, answered - stored)
        actor.notes.write(self.remembered_as, routine)


@dataclass(frozen=True)
class ChatOpening:
    """One attempt to open the chat: how it went, and when (monotonic)."""

    outcome: str  # "opened", or what the refusal or the close said
    at: float

    @property
    def clear(self) -> bool:
        """The chat opened and answered, or the person was told to try again shortly."""
        return self.outcome in (OPENED, TRY_AGAIN_SHORTLY)


OPENED = "opened"
TRY_AGAIN_SHORTLY = (
    f"refused: {HTTPStatus.SERVICE_UNAVAILABLE.value} {ErrorCode.TEMPORARILY_UNAVAILABLE}"
)
OPENINGS = Note[list[ChatOpening]]("each time she opened the chat")


@dataclass(frozen=True)
class KeepOpeningTheChat:
    """Open the chat (and check it answers) again and again until `done()`, then once more;
    each attempt's outcome is noted under OPENINGS. A chat that opens and then closes counts
    as closed, with its code."""

    done: Callable[[], bool]
    pause: float = RETRY_PAUSE_S

    async def perform_as(self, actor: Actor) -> None:
        openings = actor.notes.write(OPENINGS, [])
        last = False
        while not last:
            last = self.done()
            await actor.attempts_to(CloseChat())
            try:
                await actor.attempts_to(OpenChat())
                socket = actor.chat.socket(DEFAULT_DEVICE, actor.name)
                await socket.ping(timeout=5.0)
                outcome = OPENED
            except HandshakeRefused as refusal:
                outcome = f"refused: {refusal.status} {refusal.code}"
            except (SocketClosed, TimeoutError) as closed:
                outcome = f"closed: {closed}"
            openings.append(ChatOpening(outcome, time.monotonic()))
            if not last:
                await asyncio.sleep(self.pause)
