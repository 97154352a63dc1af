"""Tasks of an account: signing up and in, side by side with someone else, uploading usage."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.client.errors import ApiError
from driver.oracle.sign_in_answers import FORGIVEN_AFTER, ROUNDS, Attempt, SideBySide

SIGN_INS_SIDE_BY_SIDE = Note[SideBySide]("the sign-ins side by side")
# Each password of two sign-ups at the same moment, with what it got: the user id, or the refusal.
SIGN_UPS_AT_ONCE = Note[list[tuple[str, str | ApiError]]]("her two sign-ups at the same moment")
# What their last try to sign in or up got: the refusal, or None when it went through.
ACCOUNT_REFUSAL = Note[ApiError | None]("how their last try to sign in or up went")
# How many usage records the service accepted of their last upload.
USAGE_ACCEPTED = Note[int]("how many usage records the service accepted")


@dataclass(frozen=True)
class SignUp:
    """Create their account with their email and (strong) password; they remember their user id."""

    async def perform_as(self, actor: Actor) -> None:
        actor.user_id = await actor.api.register(actor.email, actor.password, actor.name)
        actor.note("signed up")


@dataclass(frozen=True)
class TryToSignUp:
    """Sign up with that password instead of a strong one (with someone else's `email`, if
    given); the refusal (None: signed up) is noted under ACCOUNT_REFUSAL."""

    password: str
    email: str | None = None

    async def perform_as(self, actor: Actor) -> None:
        email = actor.email if self.email is None else self.email
        try:
            actor.user_id = await actor.api.register(email, self.password, actor.name)
        except ApiError as refusal:
            actor.note(f"could not sign up: {refusal.code}", kind="error")
            actor.notes.write(ACCOUNT_REFUSAL, refusal)
            return
        actor.password = self.password
        actor.note("signed up")
        actor.notes.write(ACCOUNT_REFUSAL, None)


@dataclass(frozen=True)
class SignUpTwiceAtOnce:
    """Sign up twice at the same moment, with their email and two different passwords (as two
    devices would); each attempt's outcome, with its password (the user id, or the refusal), is
    noted under SIGN_UPS_AT_ONCE. The password of the attempt that got an account becomes theirs."""

    async def perform_as(self, actor: Actor) -> None:
        passwords = [actor.password, secrets.token_urlsafe(12)]

        async def attempt(password: str) -> str | ApiError:
            try:
                return await actor.api.register(actor.email, password, actor.name)
            except ApiError as refusal:
                return refusal

        outcomes = await asyncio.gather(*(attempt(p) for p in passwords))
        for password, outcome in zip(passwords, outcomes, strict=True):
            if isinstance(outcome, str):
                actor.user_id, actor.password = outcome, password
        actor.note("signed up twice at the same moment")
        actor.notes.write(SIGN_UPS_AT_ONCE, list(zip(passwords, outcomes, strict=True)))


@dataclass(frozen=True)
class SignIn:
    """Sign in with their password; they remember the pass."""

    async def perform_as(self, actor: Actor) -> None:
        actor.tokens = await actor.api.login(actor.email, actor.password)
        actor.note("signed in")


@dataclass(frozen=True)
class TryToSignIn:
    """Sign in with that password (default: theirs); the refusal (None: let in) is noted under
    ACCOUNT_REFUSAL."""

    password: str | None = None

    async def perform_as(self, actor: Actor) -> None:
        password = actor.password if self.password is None else self.password
        try:
            tokens = await actor.api.login(actor.email, password)
        except ApiError as refusal:
            actor.note(f"could not sign in: {refusal.code}", kind="error")
            actor.notes.write(ACCOUNT_REFUSAL, refusal)
            return
        actor.tokens = tokens
        actor.note("signed in")
        actor.notes.write(ACCOUNT_REFUSAL, None)


@dataclass(frozen=True)
class LoadUsage:
    """Upload usage records; how many the service accepted is noted under USAGE_ACCEPTED."""

    records: Sequence[Mapping[str, Any]]

    async def perform_as(self, actor: Actor) -> None:
        accepted = await actor.api.post_usage(actor.access_token, self.records)
        actor.usage.extend(self.records)
        actor.note(f"loaded {accepted} usage records")
        actor.notes.write(USAGE_ACCEPTED, accepted)


async def _attempt(actor: Actor, email: str, password: str) -> Attempt:
    began = time.perf_counter()
    try:
        await actor.api.login(email, password)
        answer = (200, "", "")
    except ApiError as refusal:
        answer = (refusal.status, refusal.code, refusal.message)
    return Attempt(answer, time.perf_counter() - began)


@dataclass(frozen=True)
class SignInSideBySide:
    """They sign in with their (unknown) email, then variants of it, each unknown too, in rounds
    with `holder` signing in with a wrong password, back to back (who goes first alternates);
    `holder` signs in with her own password after every FORGIVEN_AFTER wrong ones, as she would
    before a lock. Both answers and times are noted on their notepad."""

    holder: Actor
    rounds: int = ROUNDS

    async def perform_as(self, actor: Actor) -> None:
        local, _, domain = actor.email.partition("@")
        result = SideBySide([], [])
        for n in range(self.rounds):
            email = actor.email if n == 0 else f"{local}+{n}@{domain}"
            unknown = _attempt(actor, email, "Any-password-at-all-1")
            wrong = _attempt(self.holder, self.holder.email, f"not-{self.holder.password}")
            if n % 2:
                result.wrong.append(await wrong)
                result.unknown.append(await unknown)
            else:
                result.unknown.append(await unknown)
                result.wrong.append(await wrong)
            if n % FORGIVEN_AFTER == FORGIVEN_AFTER - 1 and n + 1 < self.rounds:
                await self.holder.attempts_to(SignIn())
        actor.notes.write(SIGN_INS_SIDE_BY_SIDE, result)
