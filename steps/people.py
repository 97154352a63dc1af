"""Signing up and signing in."""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from driver.errors import ApiError


@given("{name} has signed up")
async def step_signed_up(ctx: Any, name: str) -> None:
    await ctx.cast.person(name).sign_up()


@given("{name} has signed up and is signed in")
async def step_signed_up_and_in(ctx: Any, name: str) -> None:
    person = ctx.cast.person(name)
    await person.sign_up()
    await person.sign_in()


@when("{name} signs in with her password")
@when("{name} signs in with his password")
async def step_sign_in(ctx: Any, name: str) -> None:
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


@then("{name} is recognised as herself")
@then("{name} is recognised as himself")
async def step_recognised(ctx: Any, name: str) -> None:
    person = ctx.cast.person(name)
    assert ctx.refusal is None, f"{name} could not sign in: {ctx.refusal}"
    profile = await ctx.cast.api.me(person.access_token)
    assert (profile.email, profile.name) == (person.email, name), (
        f"{name} signed in but is known as {profile.name} <{profile.email}>"
    )


@then("{name} is refused because the email or password is not correct")
def step_refused_credentials(ctx: Any, name: str) -> None:
    assert ctx.refusal is not None, f"{name} was let in"
    assert (ctx.refusal.status, ctx.refusal.code) == (401, "invalid_credentials"), (
        f"{name} was refused, but with {ctx.refusal.status} {ctx.refusal.code}"
    )


@then("the sign-up is refused because the account already exists")
def step_refused_conflict(ctx: Any) -> None:
    assert ctx.refusal is not None, "the second account with the same email was created"
    assert (ctx.refusal.status, ctx.refusal.code) == (409, "conflict"), str(ctx.refusal)
