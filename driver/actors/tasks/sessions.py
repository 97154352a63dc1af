"""Sessions as a person lives them: devices signed in on their own, renewing the pass, signing
out (here, everywhere, through another server), changing the password. Each task notes what the
person remembers of it (their previous pass, when the sign-in ended, the old password)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from driver.actors.abilities import CallTheApi
from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.actors.questions.seen import HowTheChatWasClosed
from driver.actors.questions.sessions import RENEWED_TWICE_AT_ONCE as RENEWED_TWICE_AT_ONCE
from driver.actors.questions.sessions import ThePass, WhatARenewalGets
from driver.actors.tasks.accounts import SignIn
from driver.client.errors import ApiError
from driver.client.eventually import eventually
from driver.client.models import Tokens

PREVIOUS_PASS = Note[Tokens]("her pass before the renewal")
SIGN_IN_ENDED_AT = Note[float]("when she signed out")
OLD_PASSWORD = Note[str]("her old password")
COPIED_RENEWAL = Note[str]("the renewal they copied")
RENEWED_WITH_THE_COPY = Note[Tokens | ApiError]("what renewing with the copy got")
SIGNED_IN_AT = Note[float]("when she signed in")
CHAT_CLOSED_WITH = Note[int]("how her chat was closed as her pass expired")


@dataclass(frozen=True)
class SignInOn:
    """The device signs in on its own (a session of its own), optionally on another server. The
    person's first sign-in (or one that is `main`) becomes the pass they show."""

    device: str
    service_url: str | None = None
    main: bool = False

    async def perform_as(self, actor: Actor) -> None:
        api = actor.ability_to(CallTheApi).on(self.service_url)
        tokens = await api.login(actor.email, actor.password)
        actor.device_passes[self.device] = tokens
        if self.main or actor.tokens is None:
            actor.tokens = tokens
        if self.service_url:
            actor.chat.serve_from(self.device, self.service_url)
        actor.note(f"signed in on her {self.device}")


@dataclass(frozen=True)
class RenewThePass:
    """Renew the pass (of a device, or the person's): a new pair; the old renewal is spent. The
    pass before is noted; with `main`, the device's new pass becomes the one they show."""

    device: str | None = None
    main: bool = False

    async def perform_as(self, actor: Actor) -> None:
        before = actor.notes.write(PREVIOUS_PASS, await ThePass(self.device).answered_by(actor))
        fresh = await actor.api.refresh(before.refresh_token)
        if self.device:
            actor.device_passes[self.device] = fresh
        if self.main or not self.device:
            actor.tokens = fresh
        actor.note("renewed the pass")


@dataclass(frozen=True)
class RenewTwiceAtOnce:
    """Two devices holding the same renewal renew at the same moment (both outcomes noted)."""

    async def perform_as(self, actor: Actor) -> None:
        refresh_token = (await ThePass().answered_by(actor)).refresh_token
        twice = WhatARenewalGets(refresh_token)
        outcomes = await asyncio.gather(twice.answered_by(actor), twice.answered_by(actor))
        actor.notes.write(RENEWED_TWICE_AT_ONCE, list(outcomes))


@dataclass(frozen=True)
class CopyTheRenewalOf:
    """An attacker copies someone's current renewal."""

    victim: Actor

    async def perform_as(self, actor: Actor) -> None:
        copied = (await ThePass().answered_by(self.victim)).refresh_token
        actor.notes.write(COPIED_RENEWAL, copied)


@dataclass(frozen=True)
class RenewWithTheCopy:
    """An attacker tries to renew with the renewal they copied (the outcome noted)."""

    async def perform_as(self, actor: Actor) -> None:
        outcome = await WhatARenewalGets(actor.notes.read(COPIED_RENEWAL)).answered_by(actor)
        actor.notes.write(RENEWED_WITH_THE_COPY, outcome)


@dataclass(frozen=True)
class SignOut:
    """Sign out (on that device, or the person's sign-in), optionally through another server."""

    device: str | None = None
    through: str | None = None  # the service URL of the server that device talks to

    async def perform_as(self, actor: Actor) -> None:
        access = (await ThePass(self.device).answered_by(actor)).access_token
        actor.notes.write(SIGN_IN_ENDED_AT, time.monotonic())
        await actor.ability_to(CallTheApi).on(self.through).logout(access)
        actor.note("signed out" + (f" on her {self.device}" if self.device else ""))


@dataclass(frozen=True)
class SignOutEverywhere:
    device: str | None = None

    async def perform_as(self, actor: Actor) -> None:
        access = (await ThePass(self.device).answered_by(actor)).access_token
        actor.notes.write(SIGN_IN_ENDED_AT, time.monotonic())
        await actor.api.logout_all(access)
        actor.note("signed out everywhere")


@dataclass(frozen=True)
class ChangePassword:
    """Change the password (from that device); the old one is noted."""

    device: str | None = None

    async def perform_as(self, actor: Actor) -> None:
        access = (await ThePass(self.device).answered_by(actor)).access_token
        old, new = actor.password, secrets.token_urlsafe(12)
        actor.notes.write(SIGN_IN_ENDED_AT, time.monotonic())
        await actor.api.change_password(access, old, new)
        actor.password = new
        actor.notes.write(OLD_PASSWORD, old)
        actor.note("changed her password")


@dataclass(frozen=True)
class SignInNotingWhen:
    """Sign in, noting the moment just before (SIGNED_IN_AT): the pass's life runs from it."""

    async def perform_as(self, actor: Actor) -> None:
        actor.notes.write(SIGNED_IN_AT, time.monotonic())
        await actor.attempts_to(SignIn())


@dataclass(frozen=True)
class KeepTheChatOpenPastThePass:
    """Keep the chat open until the service closes it, at most until `grace` seconds past the
    pass's expiry; the close code is noted under CHAT_CLOSED_WITH."""

    grace: float = 2.0

    async def perform_as(self, actor: Actor) -> None:
        lifetime = (await ThePass().answered_by(actor)).expires_in
        code = await HowTheChatWasClosed(within=lifetime + self.grace).answered_by(actor)
        actor.notes.write(CHAT_CLOSED_WITH, code)


@dataclass(frozen=True)
class SignInThroughProvider:
    """Sign in through the company's provider with a pass it issues (`id_token`, asked anew at
    each try). A new provider key is picked up within the key-refresh interval, not instantly:
    they try again for up to `within` seconds."""

    id_token: Callable[[], str]
    within: float

    async def perform_as(self, actor: Actor) -> None:
        async def signed_in() -> None:
            actor.tokens = await actor.api.enterprise_sign_in(self.id_token())

        await eventually(
            signed_in,
            timeout=self.within,
            interval=0.2,
            describe=f"{actor.name} could not sign in through her provider",
            retry_on=(ApiError,),
        )
