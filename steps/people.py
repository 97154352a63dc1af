"""Signing up and signing in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from behave import given, then, when

from driver import refusals
from driver.errors import ApiError

# Why, in the scenario's words -> what the service's explanation says.
WEAK_BECAUSE = {
    "it is too short": "at least 8 characters",
    "it is one of the most common passwords": "most common passwords",
    "it contains her email address": "must not contain your email address",
    "it is one character repeated": "one character repeated",
}


@given("{name} has signed up")
async def step_signed_up(ctx: Any, name: str) -> None:
    await ctx.cast.person(name).sign_up()


@given("{name} has signed up and is signed in")
async def step_signed_up_and_in(ctx: Any, name: str) -> None:
    person = ctx.cast.person(name)
    await person.sign_up()
    await person.sign_in()


@when("{name} signs in with {her:Her} password")
async def step_sign_in(ctx: Any, name: str, her: str) -> None:
    ctx.refusal = await ctx.cast.person(name).try_sign_in()


@when('{name} signs in with the password "{password}"')
async def step_sign_in_with(ctx: Any, name: str, password: str) -> None:
    ctx.refusal = await ctx.cast.person(name).try_sign_in(password)


@when('{name} signs in as "{email}"')
async def step_sign_in_as(ctx: Any, name: str, email: str) -> None:
    person = ctx.cast.person(name)
    person.email = email
    ctx.refusal = await person.try_sign_in()


@when("someone else signs up with {name}'s email")
async def step_sign_up_again(ctx: Any, name: str) -> None:
    try:
        await ctx.cast.api.register(ctx.cast.person(name).email, "another-password", "Impostor")
    except ApiError as refusal:
        ctx.refusal = refusal
    else:
        ctx.refusal = None


@then("{name} is recognised as {herself:Herself}")
async def step_recognised(ctx: Any, name: str, herself: str) -> None:
    person = ctx.cast.person(name)
    assert ctx.refusal is None, f"{name} could not sign in: {ctx.refusal}"
    profile = await ctx.cast.api.me(person.access_token)
    assert (profile.email, profile.name) == (person.email, name), (
        f"{name} signed in but is known as {profile.name} <{profile.email}>"
    )


@then("{name} is refused because the email or password is not correct")
def step_refused_credentials(ctx: Any, name: str) -> None:
    refusals.expect_refused(ctx.refusal, "the email or password is not correct", who=name)


@then("the sign-up is refused because the account already exists")
def step_refused_conflict(ctx: Any) -> None:
    refusals.expect_refused(ctx.refusal, "the account already exists", who="the second sign-up")


@when("{name} signs up with {weak:WeakPassword}")
async def step_sign_up_weak(ctx: Any, name: str, weak: Callable[[str], str]) -> None:
    person = ctx.cast.person(name)
    ctx.refusal = await person.try_sign_up(weak(person.email))


@then("the sign-up is refused because {why}")
def step_refused_weak(ctx: Any, why: str) -> None:
    refusal = ctx.refusal
    refusals.expect_refused(refusal, "the request was out of bounds", who="the sign-up")
    assert WEAK_BECAUSE[why] in refusal.message, (
        f"the sign-up was refused, but not saying that {why}: {refusal.message}"
    )


@then("{name} has no account yet")
async def step_no_account(ctx: Any, name: str) -> None:
    person = ctx.cast.person(name)
    refused = await person.try_sign_in()
    refusals.expect_refused(refused, "the email or password is not correct", who=name)
