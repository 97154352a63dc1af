"""What people do and see while something the service depends on is in trouble: the tasks and
questions of the resilience scenarios, on top of Actor's public API.
"""

# Waits take an explicit timeout because it is part of the failure message a reader sees.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import aiohttp

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.questions import TheAnswer, TheAnswerSinceAsking
from driver.actors.tasks import Ask, CloseChat, OpenChat, SignIn
from driver.client.contract import AGENT_ERROR, ErrorCode, short_id
from driver.client.errors import HandshakeRefused, SendRefused, SocketClosed
from driver.client.eventually import eventually
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


async def ask_until_stored(
    person: Actor,
    question: str,
    *,
    within: float,
    device: str = DEFAULT_DEVICE,
) -> Persistence:
    """Ask, and while the service answers `temporarily_unavailable`, send the same question
    (same client_msg_id) again after a pause (backing off), as a well-behaved app does. Any
    other refusal, or no ack within `within` seconds, fails in business words."""
    attempt = Persistence(question, str(uuid.uuid4()), first_sent_at=time.monotonic())
    deadline = attempt.first_sent_at + within
    pause = RETRY_PAUSE_S
    while True:
        sent_at = time.monotonic()
        try:
            attempt.run = await person.attempts_to(
                Ask(question, client_msg_id=attempt.client_msg_id, device=device)
            )
            attempt.ack = person.last_ack
            return attempt
        except (SendRefused, HandshakeRefused) as refusal:  # the question, or opening the chat
            now = time.monotonic()
            attempt.refusals.append(Refusal(refusal.code, refusal.message, now, now - sent_at))
            if refusal.code != ErrorCode.TEMPORARILY_UNAVAILABLE:
                raise AssertionError(
                    f"{person.name}'s question was refused with {refusal.code} "
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
                f"{person.name}'s question was never stored within {within:g} s "
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


async def usual_routine(person: Actor, question: str, *, timeout: float = 15.0) -> Routine:
    """Sign in, open the chat, ask, wait for the answer; each part timed."""
    began = time.monotonic()
    await person.attempts_to(SignIn())
    signed_in = time.monotonic()
    await person.attempts_to(OpenChat())
    opened = time.monotonic()
    await person.attempts_to(Ask(question))
    stored = time.monotonic()
    await person.asks_for(TheAnswer(timeout))
    answered = time.monotonic()
    return Routine(signed_in - began, opened - signed_in, stored - opened, answered - stored)


def describe_final(run: RunStream) -> str:
    final = run.final
    if final is None:
        return f"no final event ({run.where_it_stopped()})"
    if final.type == AGENT_ERROR:
        return f"agent_error {final.payload.get('error')}: {final.payload.get('message')}"
    return f"{final.type} (run {short_id(run.run_id)})"


@dataclass(frozen=True)
class Readiness:
    sent_at: float  # monotonic, when the probe was sent
    status: int | None  # None: no answer at all within the probe's timeout
    body: Any
    took_s: float


class ReadinessWatch:
    """Asks a server whether it is ready every `interval` seconds, in the background of the
    scenario, without waiting for earlier answers (a hanging answer must not hide the next
    probes); the answers, and how long each took, are kept for the checks."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        service_url: str,
        *,
        interval: float = 0.2,
        probe_timeout: float = 5.0,
    ) -> None:
        self.service_url = service_url.rstrip("/")
        self.samples: list[Readiness] = []
        self._session = session
        self._interval = interval
        self._probe_timeout = probe_timeout
        self._task: asyncio.Task[None] | None = None
        self._probes: set[asyncio.Task[Readiness]] = set()

    def start(self) -> ReadinessWatch:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())
        return self

    async def settle(self) -> None:
        """Wait for the answers still on their way (each bounded by the probe timeout)."""
        if self._probes:
            await asyncio.wait(set(self._probes))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for probe in self._probes:
            probe.cancel()
        await asyncio.gather(*self._probes, return_exceptions=True)

    async def probe(self) -> Readiness:
        began = time.monotonic()
        try:
            async with self._session.get(
                f"{self.service_url}/readyz",
                timeout=aiohttp.ClientTimeout(total=self._probe_timeout),
            ) as response:
                body = await response.json(content_type=None)
                status: int | None = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            status, body = None, repr(exc)
        sample = Readiness(began, status, body, time.monotonic() - began)
        self.samples.append(sample)
        return sample

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            probe = loop.create_task(self.probe())
            self._probes.add(probe)
            probe.add_done_callback(self._probes.discard)
            await asyncio.sleep(self._interval)

    def between(self, start: float, end: float | None) -> list[Readiness]:
        """The answers to the probes sent within [start, end), however late they came."""
        return [
            s
            for s in sorted(self.samples, key=lambda s: s.sent_at)
            if s.sent_at >= start and (end is None or s.sent_at < end)
        ]


async def readiness(session: aiohttp.ClientSession, service_url: str) -> Readiness:
    """One readiness answer of that server."""
    return await ReadinessWatch(session, service_url).probe()


# --- verdicts, in business words ------------------------------------------------------------------
def refusals_during(
    who: str, attempt: Persistence, start: float, end: float | None, *, within_s: float
) -> list[str]:
    """Problems with how `who` was refused while a fault lasted (between start and end): each
    attempt, refused or not, must have been told to try again, within `within_s`."""

    def lasting(found: list[Refusal]) -> list[Refusal]:
        return [r for r in found if r.at >= start and (end is None or r.at < end)]

    during = lasting(attempt.refusals)
    problems = [
        f"{who}'s chat was {c.code} ({c.message or 'no reason'}) after {c.waited_s:.2f} s, "
        f"instead of {who} being told to try again"
        for c in lasting(attempt.closures)
    ]
    if not during:
        problems.append(f"{who} was never told to try again while it lasted")
    for refusal in during:
        if refusal.code != ErrorCode.TEMPORARILY_UNAVAILABLE:
            problems.append(f"{who} was refused with {refusal.code}: {refusal.message}")
        if refusal.waited_s > within_s:
            problems.append(f"{who} waited {refusal.waited_s:.2f} s to be told to try again")
    return problems


def readiness_during(
    watch: ReadinessWatch, start: float, end: float | None, *, within_s: float
) -> list[str]:
    """Problems with the readiness answers to probes sent while a dependency was away: each must
    come within `within_s`, and say "not ready" (except a probe sent in the last `within_s`,
    which may rightly see the dependency come back)."""
    during = watch.between(start, end)
    problems = []
    if not during:
        problems.append("readiness was never asked while it lasted")
    for sample in during:
        settled_before_the_end = end is None or sample.sent_at + within_s < end
        if sample.took_s > within_s:
            problems.append(
                f"readiness took {sample.took_s:.2f} s to answer ({sample.status} {sample.body})"
            )
        elif sample.status is None:
            problems.append(f"readiness gave no answer within {sample.took_s:.2f} s")
        elif sample.status != HTTPStatus.SERVICE_UNAVAILABLE and settled_before_the_end:
            problems.append(f"readiness answered {sample.status} {sample.body}")
    return problems


# --- waits ----------------------------------------------------------------------------------------
# `instance` (not draining) and `runs` (the line of questions not wedged) are ok in both;
# "instance" is "draining" once an operator takes the server out of rotation before a restart.
HEALTHY = {"postgres": "ok", "redis": "ok", "live_delivery": "ok", "instance": "ok", "runs": "ok"}
# Without Redis, events and sign-outs from the other instances cannot arrive either.
CACHE_DEGRADED = {**HEALTHY, "redis": "degraded", "live_delivery": "degraded"}


async def wait_readiness(
    session: aiohttp.ClientSession, service_url: str, body: dict[str, str], *, within: float
) -> Readiness:
    """Until the server answers readiness 200 with exactly `body`."""

    async def check() -> Readiness:
        answer = await readiness(session, service_url)
        if (answer.status, answer.body) != (200, body):
            raise AssertionError(f"readiness answered {answer.status} {answer.body}")
        return answer

    probe: Callable[[], Awaitable[Readiness]] = check
    found: Readiness = await eventually(
        probe, timeout=within, interval=0.1, describe=f"{service_url} is ready with {body}"
    )
    return found


async def wait_ready_at_once(
    watch: ReadinessWatch, body: dict[str, str], *, within: float, timeout: float
) -> Readiness:
    """The watched server (watched since it was spawned) answers readiness within `timeout`,
    and is ready "at once": its first answer is 200 with exactly `body`, given within `within`
    seconds (how long a process takes to start is the machine's business, not the product's)."""

    def answered() -> list[Readiness]:
        found = sorted((s for s in watch.samples if s.status is not None), key=lambda s: s.sent_at)
        if not found:
            raise AssertionError(f"it has not answered yet ({len(watch.samples)} probes)")
        return found

    probe: Callable[[], list[Readiness]] = answered
    await eventually(
        probe, timeout=timeout, interval=0.1, describe=f"{watch.service_url} answers readiness"
    )
    await watch.settle()  # a probe sent earlier may still be on its way
    first = answered()[0]
    if (first.status, first.body) != (HTTPStatus.OK, body):
        raise AssertionError(
            f"{watch.service_url} first said {first.status} {first.body}, not ready with {body}"
        )
    if first.took_s > within:  # holding the answer back until it was ready
        raise AssertionError(
            f"{watch.service_url} took {first.took_s:.2f} s to say it was ready "
            f"(at most {within:g} s)"
        )
    return first


async def wait_not_ready(
    watch: ReadinessWatch, still_running: Callable[[], bool], *, within: float
) -> bool:
    """Until the watched server has answered "not ready" twice in a row, and never "ready";
    `still_running` must stay true throughout (the server did not give up)."""

    def refused_twice() -> bool:
        if not still_running():
            raise RuntimeError(f"the server at {watch.service_url} exited")
        answers = sorted(
            (s for s in watch.samples if s.status is not None), key=lambda s: s.sent_at
        )
        if any(s.status == HTTPStatus.OK for s in answers):
            raise RuntimeError(f"the server at {watch.service_url} said it was ready")
        if [s.status for s in answers[-2:]] != [HTTPStatus.SERVICE_UNAVAILABLE] * 2:
            raise AssertionError(f"its readiness answers so far: {[s.status for s in answers]}")
        return True

    probe: Callable[[], bool] = refused_twice
    said: bool = await eventually(
        probe, timeout=within, interval=0.1, describe="the server says twice it is not ready"
    )
    return said


async def expect_run_error(
    person: Actor, error: str, *, within: float, since: float | None = None
) -> None:
    """The person's last question ends, within `within` seconds of asking (or of `since`,
    a monotonic time), with `agent_error` `error` that invites them to ask again."""
    if since is None:
        final = await person.asks_for(TheAnswerSinceAsking(within))
    else:
        final = await person.asks_for(TheAnswer(max(0.0, since + within - time.monotonic())))
        late = final.at - since
        if late > within:
            raise AssertionError(
                f"{person.name} was told {final.describe()} only {late:.1f} s later "
                f"(at most {within:g} s)"
            )
    payload = final.payload
    outcome = (final.type, payload.get("error"), payload.get("retryable"))
    if outcome != (AGENT_ERROR, error, True) and person.last_run is not None:
        raise AssertionError(f"{person.name} was told {describe_final(person.last_run)}")


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


async def open_chat_until(
    person: Actor, done: Callable[[], bool], *, pause: float = RETRY_PAUSE_S
) -> list[ChatOpening]:
    """Open the chat (and check it answers) again and again until `done()`, then once more;
    each attempt's outcome. A chat that opens and then closes counts as closed, with its code."""
    openings: list[ChatOpening] = []
    last = False
    while not last:
        last = done()
        await person.attempts_to(CloseChat())
        try:
            socket = await person.attempts_to(OpenChat())
            await socket.ping(timeout=5.0)
            outcome = OPENED
        except HandshakeRefused as refusal:
            outcome = f"refused: {refusal.status} {refusal.code}"
        except (SocketClosed, TimeoutError) as closed:
            outcome = f"closed: {closed}"
        openings.append(ChatOpening(outcome, time.monotonic()))
        if not last:
            await asyncio.sleep(pause)
    return openings
