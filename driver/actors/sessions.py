"""Sessions as a person lives them: devices signed in on their own, renewing the pass, signing
out (here or everywhere), changing the password. One task per step, in business words."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from http import HTTPStatus

from driver.actors.abilities import CallTheApi
from driver.actors.actor import Actor
from driver.actors.probe import pass_still_works
from driver.actors.questions import HowTheChatWasClosed
from driver.client.api import ChatApi
from driver.client.errors import ApiError
from driver.client.models import Tokens


async def sign_in_on(person: Actor, device: str, *, service_url: str | None = None) -> Tokens:
    """The device signs in on its own (a session of its own), optionally on another instance."""
    api = person.ability_to(CallTheApi).on(service_url)
    tokens = await api.login(person.email, person.password)
    person.device_passes[device] = tokens
    if service_url:
        person.chat.serve_from(device, service_url)
    person.note(f"signed in on her {device}")
    return tokens


def tokens_of(person: Actor, device: str | None = None) -> Tokens:
    tokens = person.device_passes.get(device) if device else person.tokens
    if tokens is None:
        raise AssertionError(
            f"{person.name} is not signed in" + (f" on {device}" if device else "")
        )
    return tokens


async def renew(person: Actor, device: str | None = None) -> Tokens:
    """Renew the pass (of a device, or the person's): a new pair; the old renewal is spent."""
    fresh = await person.api.refresh(tokens_of(person, device).refresh_token)
    if device:
        person.device_passes[device] = fresh
    else:
        person.tokens = fresh
    person.note("renewed the pass")
    return fresh


async def try_renewal(api: ChatApi, refresh_token: str) -> Tokens | ApiError:
    try:
        return await api.refresh(refresh_token)
    except ApiError as refused:
        return refused


async def renew_twice_at_once(person: Actor) -> list[Tokens | ApiError]:
    """Two devices holding the same renewal renew at the same moment."""
    refresh_token = tokens_of(person).refresh_token
    return list(
        await asyncio.gather(
            try_renewal(person.api, refresh_token), try_renewal(person.api, refresh_token)
        )
    )


async def sign_out(person: Actor, device: str | None = None) -> None:
    await person.api.logout(tokens_of(person, device).access_token)
    person.note("signed out" + (f" on her {device}" if device else ""))


async def sign_out_everywhere(person: Actor, device: str | None = None) -> None:
    await person.api.logout_all(tokens_of(person, device).access_token)
    person.note("signed out everywhere")


async def change_password(person: Actor, device: str | None = None) -> str:
    """Change the password (from that device); returns the old one."""
    old, new = person.password, secrets.token_urlsafe(12)
    await person.api.change_password(tokens_of(person, device).access_token, old, new)
    person.password = new
    person.note("changed her password")
    return old


@dataclass(frozen=True)
class Closed:
    device: str
    code: int
    after_s: float


async def wait_closed_by_service(
    person: Actor, devices: list[str], *, within: float, since: float | None = None
) -> list[Closed]:
    """Every device's chat is closed by the service within `within` seconds (of `since`)."""
    start = time.monotonic() if since is None else since

    async def one(device: str) -> Closed:
        left = max(0.0, start + within - time.monotonic())
        code = await person.asks_for(HowTheChatWasClosed(device, left))
        closed_at = person.chat.sockets[device].closed_at or time.monotonic()
        return Closed(device, code, closed_at - start)

    return list(await asyncio.gather(*(one(d) for d in devices)))


async def ended_sign_in(person: Actor, tokens: Tokens) -> list[str]:
    """What still works of a sign-in that should have ended (empty: nothing)."""
    working = []
    if await pass_still_works(person, tokens.access_token):
        working.append("the pass still opens the chat")
    renewed = await try_renewal(person.api, tokens.refresh_token)
    if isinstance(renewed, Tokens):
        working.append("the renewal still gives a new pass")
    return working


async def sign_out_on(person: Actor, service_url: str, device: str | None = None) -> None:
    """Sign out through a given instance of the service (the one that phone talks to)."""
    api = person.ability_to(CallTheApi).on(service_url)
    await api.logout(tokens_of(person, device).access_token)
    person.note("signed out" + (f" on her {device}" if device else ""))


async def let_in_between(
    api: ChatApi, token: str, *, start: float, until: float, every_s: float = 0.2
) -> list[str]:
    """Show an ended pass to that instance from `start` to `until` (monotonic times), every
    `every_s`: when it was let in (empty: it was refused every time)."""
    if (wait := start - time.monotonic()) > 0:
        await asyncio.sleep(wait)  # the promise only holds from `start` on
    let_in = []
    while time.monotonic() < until:
        raw = await api.raw("GET", "/api/me", access=token)
        if raw.status != HTTPStatus.UNAUTHORIZED:
            let_in.append(f"{raw.status} at {time.monotonic() - start:+.1f} s")
        await asyncio.sleep(every_s)
    return let_in
