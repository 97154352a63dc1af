"""What an attacker (or a confused client) tries, each as one task that reports the refusal.

Every task raises AssertionError, in business words, when the service lets the attempt through.
"""

# Waits take an explicit timeout because it is part of the failure message a reader sees.
# ruff: noqa: ASYNC109

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from http import HTTPStatus

from driver.actors.actor import Actor
from driver.actors.tasks import OpenChat, TryToAskIn
from driver.client.api import ChatApi
from driver.client.contract import ErrorCode
from driver.client.errors import (
    ApiError,
    FrameRefused,
    HandshakeRefused,
    SocketClosed,
    error_fields,
)
from driver.client.models import ErrorFrame
from driver.client.socket import ChatSocket
from driver.oracle import refusals

MAX_FRAME_BYTES = 64 * 1024


@dataclass(frozen=True)
class Refusal:
    where: str
    status: int
    code: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.where} answered {self.status} {self.code}"


async def try_to_get_in(person: Actor, token: str | None, *, showing: str) -> list[Refusal]:
    """Show a pass at the chat's door and at the conversation history; both must refuse."""
    refusals = [await _knock_on_chat(person, token, showing)]
    raw = await person.api.raw("GET", "/api/threads", access=token)
    if 200 <= raw.status < 300:
        raise AssertionError(
            f"{person.name} could read conversations showing {showing}: {raw.text[:200]}"
        )
    code, _, retry_after = error_fields(raw.status, raw.text, raw.headers)
    refusals.append(Refusal("the conversation history", raw.status, code, retry_after))
    person.note(f"was turned away showing {showing}", kind="error")
    return refusals


async def _knock_on_chat(person: Actor, token: str | None, showing: str) -> Refusal:
    try:
        socket = await ChatSocket.connect(
            person.chat.ws_url, access_token=token, name=f"{person.name}'s attempt with {showing}"
        )
    except HandshakeRefused as refused:
        return Refusal("the chat", refused.status, refused.code, refused.retry_after)
    await socket.close()
    raise AssertionError(f"{person.name} was let into the chat showing {showing}")


async def try_enterprise_sign_in(api: ChatApi, id_token: str) -> ApiError:
    try:
        await api.enterprise_sign_in(id_token)
    except ApiError as refused:
        return refused
    raise AssertionError("the enterprise sign-in accepted a forged provider pass")


# -- garbled messages on an open chat ---------------------------------------------------------

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


# What is wrong with each, as a scenario says it (driver/oracle/refusals.py; the outline of
# features/security/the_chat_connection.feature lists the same).
GARBLED_PROBLEM: dict[str, str] = {
    "half a message": "the message cannot be read",
    "a message that is not text": "the message is incomplete or wrong",
    "a request of a kind that does not exist": "the request is of an unknown kind",
    "a question without its reference": "the message is incomplete or wrong",
    "a question whose words are a number": "the message is incomplete or wrong",
    "a question hiding an invisible null character": "the message is incomplete or wrong",
    "a number too large to store": "the message cannot be read",
    "a list instead of a request": "the message is incomplete or wrong",
    "a request nested a thousand levels deep": "the message cannot be read",
    "a question longer than the assistant reads": "the message is incomplete or wrong",
}


async def send_garbled(socket: ChatSocket, name: str, timeout: float = 5.0) -> ErrorFrame:
    """Send a garbled message; the explanation the service answers with."""
    if name not in GARBLED:
        known = "\n  ".join(GARBLED)
        raise AssertionError(f"no garbled message called {name!r}; known:\n  {known}")
    await socket.send_raw(GARBLED[name])
    try:
        return await socket.next_error(timeout)
    except TimeoutError:
        raise AssertionError(f"the service never explained what was wrong with {name}") from None


def garbled_in_a_row(count: int) -> list[str]:
    """The names of the `count` garbled messages `send_many_garbled` sends, in order."""
    names = list(GARBLED)
    return [names[i % len(names)] for i in range(count)]


async def send_many_garbled(socket: ChatSocket, count: int) -> None:
    """Send `count` garbled messages back to back (without waiting for the answers)."""
    for name in garbled_in_a_row(count):
        try:
            await socket.send_raw(GARBLED[name])
        except SocketClosed:
            return


def explained_in_turn(explanations: list[ErrorFrame], count: int) -> list[str]:
    """What is amiss with the explanations of `send_many_garbled(count)`'s messages: one each,
    in order, each saying what was wrong with that message, in words."""
    names = garbled_in_a_row(count)
    problems = []
    if len(explanations) != count:
        problems.append(f"{len(explanations)} explanations for {count} messages")
    for number, (name, told) in enumerate(zip(names, explanations, strict=False), start=1):
        expected = GARBLED_PROBLEM[name]
        if not refusals.is_refused_because(told, expected):
            problems.append(
                f"message {number} ({name}): told {refusals.reason(told)} ({told.code}), "
                f"not that {expected}"
            )
        elif not told.message.strip():
            problems.append(f"message {number} ({name}): {told.code} without a word of why")
    return problems


async def send_oversized(socket: ChatSocket) -> None:
    """One message just over the 64 KiB limit."""
    text = "x" * (MAX_FRAME_BYTES + 1 - len('{"type": "ping", "pad": ""}'))
    await socket.send_raw(json.dumps({"type": "ping", "pad": text}) + " ")


# -- a flood of questions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Flood:
    sent: int
    acked: int
    slowed_down: int  # `rate_limited` answers
    close_code: int | None
    seconds: float


async def flood(socket: ChatSocket, questions: int, *, settle_timeout: float = 5.0) -> Flood:
    """Send many questions as fast as possible, then wait for the service to cut the chat off."""
    began = time.monotonic()
    sent = 0
    for i in range(questions):
        try:
            await socket.post(f"Flood question {i}: how can we cut our model spend?")
        except SocketClosed:
            break
        sent += 1
    try:
        code: int | None = await socket.wait_closed(settle_timeout)
    except TimeoutError:
        code = None
    # Once closed, the reader has filed every frame that arrived before the close.
    slowed = sum(1 for e in socket.errors if e.code == ErrorCode.RATE_LIMITED)
    return Flood(sent, len(socket.acks), slowed, code, time.monotonic() - began)


async def ping_flood(socket: ChatSocket, pings: int, *, settle_timeout: float = 5.0) -> Flood:
    """Send many app-level pings as fast as possible, then wait for the service to cut the chat
    off; `acked` counts the pongs."""
    began = time.monotonic()
    sent = 0
    for _ in range(pings):
        try:
            await socket.send_frame({"type": "ping"})
        except SocketClosed:
            break
        sent += 1
    try:
        code: int | None = await socket.wait_closed(settle_timeout)
    except TimeoutError:
        code = None
    slowed = sum(1 for e in socket.errors if e.code == ErrorCode.RATE_LIMITED)
    return Flood(sent, socket.pongs_received, slowed, code, time.monotonic() - began)


# -- another person's data -----------------------------------------------------------------------


async def reach_into(intruder: Actor, owner: Actor, how: str) -> str:
    """Try to reach the owner's last conversation or run; the error code it was refused with.
    `how`: open / read the log of / ask a question inside / catch up on (words of a scenario)."""
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
            return (await intruder.attempts_to(TryToAskIn(thread, "What did they spend?"))).code
        elif how.startswith("catch up"):
            socket = await intruder.attempts_to(OpenChat())
            answers = await socket.resume([(run.run_id, 0)])
            raise AssertionError(f"{intruder.name} caught up on {what}: {answers}")
        else:
            raise AssertionError(f"no way to reach a conversation called {how!r}")
    except ApiError as refused:
        return refused.code
    except FrameRefused as refused:
        return refused.code
    raise AssertionError(f"{intruder.name} could {how} ({what})")


def foreign_frames(intruder: Actor, owner: Actor) -> list[dict[str, object]]:
    """Frames on the intruder's sockets that belong to the owner's runs or conversations."""
    runs = {run_id for socket in owner.chat.sockets.values() for run_id in socket.streams}
    threads = {owner.current_thread} - {None}
    return [
        frame
        for socket in intruder.chat.sockets.values()
        for _, frame in socket.received
        if frame.get("run_id") in runs or frame.get("thread_id") in threads
    ]


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


async def ask_from_page(person: Actor, origin: str) -> BrowserAnswer:
    """The browser's question before a page on `origin` may read `person`'s conversations, then
    the reading itself (with her pass, as the page's script would send it)."""
    allow = "Access-Control-Allow-Origin"
    asked = await person.api.raw(
        "OPTIONS",
        "/api/threads",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    code = "" if asked.status < 400 else error_fields(asked.status, asked.text, asked.headers)[0]
    read = await person.api.raw(
        "GET", "/api/threads", access=person.access_token, headers={"Origin": origin}
    )
    return BrowserAnswer(
        origin, asked.status, code, asked.headers.get(allow), read.status, read.headers.get(allow)
    )
