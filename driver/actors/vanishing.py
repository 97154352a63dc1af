"""A device that vanishes (its network froze: no close, no reset) as its owner lives it: the
place it held is given back once the service notices, and nothing it was following is lost."""

from __future__ import annotations

import time

from driver.actors import delivery
from driver.actors.actor import Actor
from driver.actors.tasks import CloseChat, OpenChat, Reconnect
from driver.client.contract import ErrorCode, short_id
from driver.client.errors import HandshakeRefused
from driver.client.eventually import eventually


async def place_taken_by(person: Actor, device: str, *, since: float, within: float) -> float:
    """Open the chat on `device` until the service lets it in (a place was freed), then close it
    again; the seconds from `since` (time.monotonic()) until it was let in. Only "too many chats
    open" is waited out; past `within`, an AssertionError naming the last refusal."""

    async def admitted() -> None:
        try:
            await person.attempts_to(OpenChat(device))
        except HandshakeRefused as refused:
            if refused.code != ErrorCode.TOO_MANY_CHATS:
                raise
            raise AssertionError(
                f"{person.name}'s {device} was refused: {refused.message}"
            ) from None

    await eventually(
        admitted,
        timeout=max(0.0, since + within - time.monotonic()),
        interval=0.1,
        describe=f"{person.name}'s {device} never got a place among her open chats",
    )
    taken = time.monotonic() - since
    person.note(f"{device} took a freed place {taken:.1f} s after the other device vanished")
    await person.attempts_to(CloseChat(device))
    return taken


async def reconnect_when_a_place_is_free(person: Actor, device: str, *, within: float) -> None:
    """Reconnect `device` and catch up; a place another device just gave back may take a moment
    to be counted free, so "too many chats open" is waited out for `within` seconds."""

    async def reconnected() -> None:
        try:
            await person.attempts_to(Reconnect(device))
        except HandshakeRefused as refused:
            if refused.code != ErrorCode.TOO_MANY_CHATS:
                raise
            raise AssertionError(f"refused: {refused.message}") from None

    await eventually(
        reconnected,
        timeout=within,
        interval=0.1,
        describe=f"{person.name}'s {device} never got back in",
    )


def not_everything(person: Actor, device: str) -> list[str]:
    """What the device (over all its connections) got wrong of every run the person asked: no
    answer, or not every step from the first to the answer, each once and in order."""
    problems = []
    for run in delivery.runs_asked(person):
        events = delivery.events_on(person, run, device)
        final = next((e for e in events if e.is_final), None)
        got = [e.seq for e in events]
        if final is None:
            problems.append(f"question {short_id(run)}: no answer (received steps {got})")
        elif got != list(range(1, (final.seq or 0) + 1)):
            problems.append(
                f"question {short_id(run)}: received steps {got}, not 1 to {final.seq} once each"
            )
    return problems
