"""Signing up and signing in."""

from __future__ import annotations

from collections.abc import Callable

from driver.actors.questions import HowTheirSignInAnswersDiffer, TheLastRefusal, TheNoted
from driver.actors.tasks import (
    SIGN_UPS_AT_ONCE,
    SignIn,
    SignInSideBySide,
    SignUp,
    SignUpTwiceAtOnce,
    TryToSignIn,
    TryToSignUp,
)
from driver.oracle import refusals
from fixtures.cast import LAST_REFUSAL
from fixtures.context import ScenarioContext, given, then, when

# Why, in the scenario's words -> what the service's explanation says.
WEAK_BECAUSE = {
    "it is too short": "at least 8 characters",
    "it is one of the most common passwords": "most common passwords",
    "it contains her email address": "must not contain your email address",
    "it is one character repeated": "one character repeated",
}


@given("{name} has signed up")
async def step_signed_up(ctx: ScenarioContext, name: str) -> None:
    """The person has an account (she signed up, not signed in)."""
    await ctx.cast.person(name).attempts_to(SignUp())


@given("{name} has signed up and is signed in")
async def step_signed_up_and_in(ctx: ScenarioContext, name: str) -> None:
    """The person has an account and is signed in."""
    person = ctx.cast.person(name)
    await person.attempts_to(SignUp(), SignIn())


@when("{name} signs in with {her:Her} password")
async def step_sign_in(ctx: ScenarioContext, name: str, her: str) -> None:
    """The person tries to sign in with her own password."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryToSignIn())
    ctx.cast.notes.write(LAST_REFUSAL, await person.asks_for(TheLastRefusal()))


@when('{name} signs in with the password "{password}"')
async def step_sign_in_with(ctx: ScenarioContext, name: str, password: str) -> None:
    """The person tries to sign in with the password given."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryToSignIn(password))
    ctx.cast.notes.write(LAST_REFUSAL, await person.asks_for(TheLastRefusal()))


@when('{name} signs in as "{email}", each time {other} signs in with a wrong password')
async def step_sign_in_side_by_side(
    ctx: ScenarioContext, name: str, email: str, other: str
) -> None:
    """The person signs in with the email given while the other signs in with a wrong password, in turns."""
    person = ctx.cast.person(name)
    person.email = email
    await person.attempts_to(TryToSignIn())
    ctx.cast.notes.write(LAST_REFUSAL, await person.asks_for(TheLastRefusal()))
    await person.attempts_to(SignInSideBySide(ctx.cast.person(other)))


@then("{name} is told exactly what {other} is told, in about the same time")
async def step_told_the_same(ctx: ScenarioContext, name: str, other: str) -> None:
    """Both were told the same status, code and words, in about the same time."""
    found = await ctx.cast.person(name).asks_for(HowTheirSignInAnswersDiffer(other))
    assert not found, "; ".join(found)


@when("someone else signs up with {name}'s email")
async def step_sign_up_again(ctx: ScenarioContext, name: str) -> None:
    """Someone else tries to sign up with the person's email."""
    email = ctx.cast.person(name).email
    impostor = ctx.cast.person("Impostor")
    await impostor.attempts_to(TryToSignUp("another-password", email=email))
    ctx.cast.notes.write(LAST_REFUSAL, await impostor.asks_for(TheLastRefusal()))


@then("{name} is recognised as {herself:Herself}")
async def step_recognised(ctx: ScenarioContext, name: str, herself: str) -> None:
    """The person is signed in and the service knows her by her own name and email."""
    person = ctx.cast.person(name)
    refused = ctx.cast.notes.read(LAST_REFUSAL)
    assert refused is None, f"{name} could not sign in: {refused}"
    profile = await ctx.cast.api.me(person.access_token)
    assert (profile.email, profile.name) == (person.email, name), (
        f"{name} signed in but is known as {profile.name} <{profile.email}>"
    )


@then("{name} is refused because the email or password is not correct")
def step_refused_credentials(ctx: ScenarioContext, name: str) -> None:
    """The person is refused: the email or password is not correct."""
    refusals.expect_refused(
        ctx.cast.notes.read(LAST_REFUSAL), "the email or password is not correct", who=name
    )


@then("the sign-up is refused because the account already exists")
def step_refused_conflict(ctx: ScenarioContext) -> None:
    """The second sign-up is refused: the account already exists."""
    refusals.expect_refused(
        ctx.cast.notes.read(LAST_REFUSAL), "the account already exists", who="the second sign-up"
    )


@when("{name} signs up with {weak:WeakPassword}")
async def step_sign_up_weak(ctx: ScenarioContext, name: str, weak: Callable[[str], str]) -> None:
    """The person tries to sign up with the weak password described."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryToSignUp(weak(person.email)))
    ctx.cast.notes.write(LAST_REFUSAL, await person.asks_for(TheLastRefusal()))


@then("the sign-up is refused because {why}")
def step_refused_weak(ctx: ScenarioContext, why: str) -> None:
    """The sign-up is refused as out of bounds, saying why the password is weak."""
    refusal = ctx.cast.notes.read(LAST_REFUSAL)
    refusals.expect_refused(refusal, "the request was out of bounds", who="the sign-up")
    assert refusal is not None  # (for mypy: expect_refused failed otherwise)
    assert WEAK_BECAUSE[why] in refusal.message, (
        f"the sign-up was refused, but not saying that {why}: {refusal.message}"
    )


@then("{name} has no account yet")
async def step_no_account(ctx: ScenarioContext, name: str) -> None:
    """The person has no account: signing in is refused as a wrong email or password."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryToSignIn())
    refusals.expect_refused(
        await person.asks_for(TheLastRefusal()), "the email or password is not correct", who=name
    )


@when("{name} signs up twice at the same moment, from two devices with two different passwords")
async def step_sign_up_twice_at_once(ctx: ScenarioContext, name: str) -> None:
    """The person sends two sign-ups with her email and different passwords at the same moment."""
    await ctx.cast.spotlight_on(name).attempts_to(SignUpTwiceAtOnce())


@then(
    "exactly one sign-up makes her account, and the other is refused because the account already exists"
)
async def step_one_sign_up(ctx: ScenarioContext) -> None:
    """One of the two sign-ups got an account; the other was refused: the account already exists."""
    sign_ups = await ctx.cast.in_the_spotlight().asks_for(TheNoted(SIGN_UPS_AT_ONCE))
    outcomes = [outcome for _, outcome in sign_ups]
    refused = [o for o in outcomes if not isinstance(o, str)]  # a user id, or the refusal
    said = ", ".join("an account" if isinstance(o, str) else f"refused ({o})" for o in outcomes)
    assert len(refused) == 1, f"the two sign-ups at the same moment ended as: {said}"
    refusals.expect_refused(refused[0], "the account already exists", who="the other sign-up")


@then("only the password of the sign-up that made the account lets {name} in")
async def step_only_winner_password(ctx: ScenarioContext, name: str) -> None:
    """Signing in works with the winning sign-up's password and is refused with the other's."""
    person = ctx.cast.person(name)
    for password, outcome in await person.asks_for(TheNoted(SIGN_UPS_AT_ONCE)):
        await person.attempts_to(TryToSignIn(password))
        refused = await person.asks_for(TheLastRefusal())
        if not isinstance(outcome, str):  # this sign-up was refused
            refusals.expect_refused(refused, "the email or password is not correct", who=name)
        else:
            assert refused is None, f"{name} cannot sign in with her account's password: {refused}"
