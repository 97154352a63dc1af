"""What an attacker (or a confused client) tries, each as a task that notes how it was refused:
forged passes at the door, another person's conversation, pages on other sites, garbled and
oversized messages, floods, wrong passwords and forged provider passes.

A task raises AssertionError, in business words, when the service lets the attempt through;
whether the refusal was the right one is the step's to say (the refusal table).
"""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.notepad import Note
from driver.actors.tasks.accounts import ACCOUNT_REFUSAL, TryToSignIn
from driver.actors.tasks.conversation import ASK_REFUSED, TryToAskIn
from driver.actors.tasks.devices import OpenChat, TryToOpenChat, note_whether_let_in
from driver.client import passes
from driver.client.contract import ErrorCode
from driver.client.errors import (
    ApiError,
    FrameRefused,
    HandshakeRefused,
    SocketClosed,
    error_fields,
)
from driver.client.eventually import eventually
from driver.client.models import ErrorFrame
from driver.client.passes import PassFactory
from driver.client.socket import ChatSocket
from driver.oracle import refusals

MAX_FRAME_BYTES = 64 * 1024
# The forgeries a scenario can name (the steps' parameter types read their names here).
FORGERIES = passes.FORGERIES


@dataclass(frozen=True)
class Refusal:
    where: str
    status: int
    code: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.where} answered {self.status} {self.code}"


TURNED_AWAY_SHOWING_PASSES = Note[list[Refusal]]("where she was turned away showing her pass")
PROVIDER_REFUSALS = Note[list[ApiError]]("how her sign-ins through the provider were refused")
REACH_REFUSED = Note[str]("what she was told reaching into someone else's conversation")
LAST_WRONG_PASSWORD_AT = Note[float]("when the last wrong password was typed on her account")
LOCKED_OUT = Note[ApiError | None]("how her sign-in was answered while her account was locked")
# What the scene remembers of the provider (on the cast's notepad).
KEY_FETCHES_BEFORE = Note[int]("how often the provider had been asked for its keys before")


# -- passes at the door ---------------------------------------------------------------------


@dataclass(frozen=True)
class TryToGetIn:
    """Show a pass (None: none) at the chat's door and at the conversation history; both must
    refuse. The two refusals are noted under TURNED_AWAY_SHOWING_PASSES."""

    token: str | None
    showing: str

    @classmethod
    def with_forgery(cls, forgery: str, factory: PassFactory) -> TryToGetIn:
        """The pass forged the way a scenario names (FORGERIES) from the attacker's material."""
        return cls(passes.forge(forgery, factory), forgery)

    async def perform_as(self, actor: Actor) -> None:
        turned_away = [await _knock_on_chat(actor, self.token, self.showing)]
        raw = await actor.api.raw("GET", "/api/threads", access=self.token)
        if 200 <= raw.status < 300:
            raise AssertionError(
                f"{actor.name} could read conversations showing {self.showing}: {raw.text[:200]}"
            )
        code, _, retry_after = error_fields(raw.status, raw.text, raw.headers)
        turned_away.append(Refusal("the conversation history", raw.status, code, retry_after))
        actor.note(f"was turned away showing {self.showing}", kind="error")
        actor.notes.write(TURNED_AWAY_SHOWING_PASSES, turned_away)


async def _knock_on_chat(person: Actor, token: str | None, showing: str) -> Refusal:
    try:
        socket = await ChatSocket.connect(
            person.chat.ws_url, access_token=token, name=f"{person.name}'s attempt with {showing}"
        )
    except HandshakeRefused as refused:
        return Refusal("the chat", refused.status, refused.code, refused.retry_after)
    await socket.close()
    raise AssertionError(f"{person.name} was let into the chat showing {showing}")


# The passes a person may show at the chat's door, by a scenario's words (None: no pass).
DOOR_PASSES: dict[str, Callable[[PassFactory], str | None]] = {
    "without a pass": lambda f: None,
    "with a made-up pass": lambda f: passes.made_up_pass(),
    "with a pass that has expired": lambda f: passes.expired_pass(
        f.need(f.secret, "the service's signing secret"), issuer=f.issuer, audience=f.audience
    ),
    "with a pass signed by someone else": lambda f: passes.pass_signed_by_someone_else(
        issuer=f.issuer, audience=f.audience
    ),
}


@dataclass(frozen=True)
class TryToOpenChatShowing:
    """Open the chat with the pass a scenario names (DOOR_PASSES), expecting to be turned
    away; the refusal is noted under TURNED_AWAY (by TryToOpenChat)."""

    kind: str
    factory: PassFactory

    async def perform_as(self, actor: Actor) -> None:
        token = DOOR_PASSES[self.kind](self.factory)
        attempt = TryToOpenChat.without_a_pass() if token is None else TryToOpenChat.showing(token)
        await actor.attempts_to(attempt)


@dataclass(frozen=True)
class OpenChatFromAPage:
    """Open the chat from a page on `origin`, as their signed-in browser would; how the door
    answered (None: the chat opened) is noted under TURNED_AWAY."""

    origin: str

    async def perform_as(self, actor: Actor) -> None:
        await note_whether_let_in(actor, OpenChat(origin=self.origin, browser=True))


# -- signing in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TryToSignInThroughProvider:
    """Sign in through the company's provider with each of those provider passes, expecting
    every one refused; the refusals are noted under PROVIDER_REFUSALS."""

    id_tokens: tuple[str, ...]

    async def perform_as(self, actor: Actor) -> None:
        refused: list[ApiError] = []
        for id_token in self.id_tokens:
            try:
                await actor.api.enterprise_sign_in(id_token)
            except ApiError as refusal:
                refused.append(refusal)
            else:
                raise AssertionError("the enterprise sign-in accepted a forged provider pass")
        actor.notes.write(PROVIDER_REFUSALS, refused)


@dataclass(frozen=True)
class TryWrongPasswords:
    """Try `count` wrong passwords on the account of `on` (the attacker may be its owner); each
    must be refused as wrong. The moment of the last one is noted on the owner's notepad
    (LAST_WRONG_PASSWORD_AT): a lock's window runs from it."""

    on: Actor
    count: int

    async def perform_as(self, actor: Actor) -> None:
        for attempt in range(1, self.count + 1):
            try:
                await actor.api.login(self.on.email, f"guess-{attempt}-password")
            except ApiError as refused:
                refusals.expect_refused(
                    refused,
                    "the email or password is not correct",
                    who=f"{actor.name}'s guess {attempt} (locked too early?)",
                )
            else:
                raise AssertionError(f"{actor.name}'s guess {attempt} signed in as {self.on.name}")
        self.on.notes.write(LAST_WRONG_PASSWORD_AT, time.monotonic())


@dataclass(frozen=True)
class TryToSignInDespiteTheLock:
    """Sign in with their right password after the wrong ones; the refusal (None: let in) is
    noted under LOCKED_OUT, with how long they were told to wait."""

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(TryToSignIn())
        actor.notes.write(LOCKED_OUT, actor.notes.read(ACCOUNT_REFUSAL))


@dataclass(frozen=True)
class SignInOnceTheLockLifts:
    """Sign in with their password until it works, for up to `within` seconds of the last wrong
    password typed on their account (LAST_WRONG_PASSWORD_AT)."""

    within: float

    async def perform_as(self, actor: Actor) -> None:
        async def signed_in() -> bool:
            await actor.attempts_to(TryToSignIn())
            return actor.notes.read(ACCOUNT_REFUSAL) is None

        since = actor.notes.read(LAST_WRONG_PASSWORD_AT)
        await eventually(
            signed_in,
            timeout=max(0.0, since + self.within - time.monotonic()),
            interval=0.2,
            describe=(
                f"{actor.name} was still locked out {self.within:g} s after the last wrong password"
            ),
        )


# -- another person's data --------------------------------------------------------------------


@dataclass(frozen=True)
class TryToReach:
    """Try to reach the owner's last conversation or run; the error code it was refused with is
    noted under REACH_REFUSED. `how`: open / read the log of / ask a question inside / catch up
    on (words of a scenario)."""

    owner: Actor
    how: str

    async def perform_as(self, actor: Actor) -> None:
        actor.notes.write(REACH_REFUSED, await self._refused_code(actor))

    async def _refused_code(self, intruder: Actor) -> str:
        owner, how = self.owner, self.how
        run = owner.last_run
        thread = owner.current_thread
        if run is None or thread is None:
            raise AssertionError(f"{owner.name} has no conversation for {intruder.name} to reach")
        what = f"{owner.name}'s conversation {thread[:8]}"
        try:
            if how.startswith("open"):
                await intruder.api.messages(intruder.access_token, thread)
            elif how.startswith("read the log"):
                await intruder.api.run_events(intruder.access_token, thread, run.run_id)
            elif how.startswith("ask a question inside"):
                await intruder.attempts_to(TryToAskIn(thread, "What did they spend?"))
                return intruder.notes.read(ASK_REFUSED).code
            elif how.startswith("catch up"):
                await intruder.attempts_to(OpenChat())
                socket = intruder.chat.socket(DEFAULT_DEVICE, intruder.name)
                answers = await socket.resume([(run.run_id, 0)])
                raise AssertionError(f"{intruder.name} caught up on {what}: {answers}")
            else:
                raise AssertionError(f"no way to reach a conversation called {how!r}")
        except ApiError as refused:
            return refused.code
        except FrameRefused as refused:
            return refused.code
        raise AssertionError(f"{intruder.name} could {how} ({what})")


@dataclass(frozen=True)
class BrowserAnswer:
    """What a browser learns when a page on `origin` asks first whether it may read the history
    (the preflight), then reads it: a browser hands the page the history only when the history's
    own answer names the page's origin too."""

    origin: str
    status: int
    code: str
    allowed_origin: str | None
    read_status: int
    read_allowed_origin: str | None

    @property
    def lets_page_read(self) -> bool:
        asked = self.status == HTTPStatus.NO_CONTENT and self.allowed_origin == self.origin
        read = self.read_status == HTTPStatus.OK and self.read_allowed_origin == self.origin
        return asked and read


BROWSER_ANSWER = Note[BrowserAnswer]("what her browser learnt when the page asked for her history")


@dataclass(frozen=True)
class LetAPageAskForTheHistory:
    """Their signed-in browser, on a page at `origin`, asks whether the page may read their
    conversations, then reads them (with their pass, as the page's script would send it); what
    the browser learnt is noted under BROWSER_ANSWER."""

    origin: str

    async def perform_as(self, actor: Actor) -> None:
        allow = "Access-Control-Allow-Origin"
        asked = await actor.api.raw(
            "OPTIONS",
            "/api/threads",
            headers={
                "Origin": self.origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        code = (
            "" if asked.status < 400 else error_fields(asked.status, asked.text, asked.headers)[0]
        )
        read = await actor.api.raw(
            "GET", "/api/threads", access=actor.access_token, headers={"Origin": self.origin}
        )
        answer = BrowserAnswer(
            self.origin,
            asked.status,
            code,
            asked.headers.get(allow),
            read.status,
            read.headers.get(allow),
        )
        actor.notes.write(BROWSER_ANSWER, answer)


# -- garbled and oversized messages on an open chat -----------------------------------------

# Business names of garbled messages (what each must be told is the scenario's to say).
GARBLED: dict[str, str | bytes] = {
    "half a message": '{"type": "send", "text": "How can we',
    "a message that is not text": b"\x00\x01\x02",
    "a request of a kind that does not exist": '{"type": "dance"}',
    "a question without its reference": '{"type": "send", "text": "Hi"}',
    "a question whose words are a number": json.dumps(
        {"type": "send", "client_msg_id": str(uuid.uuid4()), "text": 42}
    ),
    "a question hiding an invisible null character": json.dumps(
        {"type": "send", "client_msg_id": str(uuid.uuid4()), "text": "a\u0000b"}
    ),
    "a number too large to store": (
        f'{{"type": "resume", "runs": [{{"run_id": "{uuid.uuid4()}", "last_seq": 1e999}}]}}'
    ),
    "a list instead of a request": "[1, 2, 3]",
    "a request nested a thousand levels deep": "[" * 1000 + "]" * 1000,
    "a question longer than the assistant reads": json.dumps(
        {"type": "send", "client_msg_id": str(uuid.uuid4()), "text": "why " * 2500}
    ),
}

EXPLANATION = Note[ErrorFrame]("what she was told was wrong with her message")


@dataclass(frozen=True)
class SendAGarbledMessage:
    """Open the chat and send the garbled message of that name (GARBLED); the explanation the
    service answers with is noted under EXPLANATION."""

    name: str
    timeout: float = 5.0

    async def perform_as(self, actor: Actor) -> None:
        if self.name not in GARBLED:
            known = "\n  ".join(GARBLED)
            raise AssertionError(f"no garbled message called {self.name!r}; known:\n  {known}")
        await actor.attempts_to(OpenChat())
        socket = actor.chat.socket(DEFAULT_DEVICE, actor.name)
        await socket.send_raw(GARBLED[self.name])
        try:
            explanation = await socket.next_error(self.timeout)
        except TimeoutError:
            raise AssertionError(
                f"the service never explained what was wrong with {self.name}"
            ) from None
        actor.notes.write(EXPLANATION, explanation)


def garbled_in_a_row(count: int) -> list[str]:
    """The names of the `count` garbled messages `SendGarbledMessagesInARow` sends, in order."""
    names = list(GARBLED)
    return [names[i % len(names)] for i in range(count)]


@dataclass(frozen=True)
class SendGarbledMessagesInARow:
    """Open the chat and send `count` garbled messages back to back (without waiting for the
    answers; see `garbled_in_a_row`)."""

    count: int

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(OpenChat())
        socket = actor.chat.socket(DEFAULT_DEVICE, actor.name)
        for name in garbled_in_a_row(self.count):
            try:
                await socket.send_raw(GARBLED[name])
            except SocketClosed:
                return


@dataclass(frozen=True)
class SendTooLargeAMessage:
    """Open the chat and send one message just over the 64 KiB limit."""

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(OpenChat())
        socket = actor.chat.socket(DEFAULT_DEVICE, actor.name)
        text = "x" * (MAX_FRAME_BYTES + 1 - len('{"type": "ping", "pad": ""}'))
        await socket.send_raw(json.dumps({"type": "ping", "pad": text}) + " ")


# -- a flood ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flood:
    sent: int
    acked: int  # questions confirmed, or pings answered
    slowed_down: int  # `rate_limited` answers
    close_code: int | None
    seconds: float


FLOOD = Note[Flood]("how her flood went")


@dataclass(frozen=True)
class FloodTheChat:
    """Send many questions (or app-level pings) as fast as possible on the device's open chat,
    then wait for the service to cut it off; noted under FLOOD (`acked` counts the
    confirmations, or the pongs)."""

    count: int
    with_: Literal["questions", "pings"] = "questions"
    device: str = DEFAULT_DEVICE
    settle_timeout: float = 5.0

    async def perform_as(self, actor: Actor) -> None:
        socket = actor.chat.socket(self.device, actor.name)
        began = time.monotonic()
        sent = 0
        for i in range(self.count):
            try:
                if self.with_ == "pings":
                    await socket.send_frame({"type": "ping"})
                else:
                    await socket.post(f"Flood question {i}: how can we cut our model spend?")
            except SocketClosed:
                break
            sent += 1
        try:
            code: int | None = await socket.wait_closed(self.settle_timeout)
        except TimeoutError:
            code = None
        # Once closed, the reader has filed every frame that arrived before the close.
        slowed = sum(1 for e in socket.errors if e.code == ErrorCode.RATE_LIMITED)
        acked = socket.pongs_received if self.with_ == "pings" else len(socket.acks)
        flood = Flood(sent, acked, slowed, code, time.monotonic() - began)
        actor.notes.write(FLOOD, flood)
