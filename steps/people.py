"""Signing up and signing in."""

from __future__ import annotations

from collections.abc import Callable

import parse

from driver.actors.tasks import SignIn, SignUp, TryToSignIn, TryToSignUp
from driver.errors import ApiError
from fixtures.context import ScenarioContext, given, register_type, then, when

# A weak password, in the scenario's words -> the password (from the person's email).
WEAK_PASSWORDS: dict[str, Callable[[str], str]] = {
    "a password of 7 characters": lambda email: "Xk3#qz9",
    "one of the most common passwords": lambda email: "Password123",
    "a password containing her email address": lambda email: f"{email}-2026",
    "a password of one character repeated": lambda email: "z" * 12,
}
# Why, in the scenario's words -> what the service's explanation says.
WEAK_BECAUSE = {
    "it is too short": "at least 8 characters",
    "it is one of the most common passwords": "most common passwords",
    "it contains her email address": "must not contain your email address",
    "it is one character repeated": "one character repeated",
}


@parse.with_pattern("|".join(WEAK_PASSWORDS))
def _weak(text: str) -> str:
    return text


register_type(WeakPassword=_weak)


@given("{name} has signed up")
async def step_signed_up(ctx: ScenarioContext, name: str) -> None:
    await ctx.cast.person(name).attempts_to(SignUp())


@given("{name} has signed up and is signed in")
async def step_signed_up_and_in(ctx: ScenarioContext, name: str) -> None:
    person = ctx.cast.person(name)
    await person.attempts_to(SignUp(), SignIn())


@when("{name} signs in with her password")
@when("{name} signs in with his password")
async def step_sign_in(ctx: ScenarioContext, name: str) -> None:
    ctx.refusal = await ctx.cast.person(name).attempts_to(TryToSignIn())


@when('{name} signs in with the password "{password}"')
async def step_sign_in_with(ctx: ScenarioContext, name: str, password: str) -> None:
    ctx.refusal = await ctx.cast.person(name).attempts_to(TryToSignIn(password))


@when('{name} signs in as "{email}"')
async def step_sign_in_as(ctx: ScenarioContext, name: str, email: str) -> None:
    person = ctx.cast.person(name)
    person.email = email
    ctx.refusal = await person.attempts_to(TryToSignIn())


@when("someone else signs up with {name}'s email")
async def step_sign_up_again(ctx: ScenarioContext, name: str) -> None:
    try:
        await ctx.cast.api.register(ctx.cast.person(name).email, "another-password", "Impostor")
    except ApiError as refusal:
        ctx.refusal = refusal
    else:
        ctx.refusal = None


@then("{name} is recognised as herself")
@then("{name} is recognised as himself")
async def step_recognised(ctx: ScenarioContext, name: str) -> None:
    person = ctx.cast.person(name)
    assert ctx.refusal is None, f"{name} could not sign in: {ctx.refusal}"
    profile = await ctx.cast.api.me(person.access_token)
    assert (profile.email, profile.name) == (person.email, name), (
        f"{name} signed in but is known as {profile.name} <{profile.email}>"
    )


@then("{name} is refused because the email or password is not correct")
def step_refused_credentials(ctx: ScenarioContext, name: str) -> None:
    assert ctx.refusal is not None, f"{name} was let in"
    assert (ctx.refusal.status, ctx.refusal.code) == (401, "invalid_credentials"), (
        f"{name} was refused, but with {ctx.refusal.status} {ctx.refusal.code}"
    )


@then("the sign-up is refused because the account already exists")
def step_refused_conflict(ctx: ScenarioContext) -> None:
    assert ctx.refusal is not None, "the second account with the same email was created"
    assert (ctx.refusal.status, ctx.refusal.code) == (409, "conflict"), str(ctx.refusal)


@when("{name} signs up with {weak:WeakPassword}")
async def step_sign_up_weak(ctx: ScenarioContext, name: str, weak: str) -> None:
    person = ctx.cast.person(name)
    ctx.refusal = await person.attempts_to(TryToSignUp(WEAK_PASSWORDS[weak](person.email)))


@then("the sign-up is refused because {why}")
def step_refused_weak(ctx: ScenarioContext, why: str) -> None:
    refusal = ctx.refusal
    assert refusal is not None, f"the sign-up was accepted although {why}"
    said = WEAK_BECAUSE[why]
    assert (refusal.status, refusal.code) == (400, "invalid_request") and said in refusal.message, (
        f"the sign-up was refused with {refusal}, not saying that {why}"
    )


@then("{name} has no account yet")
async def step_no_account(ctx: ScenarioContext, name: str) -> None:
    person = ctx.cast.person(name)
    refusal = await person.attempts_to(TryToSignIn())
    assert refusal is not None and refusal.code == "invalid_credentials", (
        f"{name} could sign in with the password that was refused: {refusal}"
    )
