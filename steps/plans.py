"""Plans (issue 18): the operator moves people between plans, and each plan's quotas hold."""

from __future__ import annotations

import time

from driver.actors.questions import TheNoted, TheRefusal, TheRefusals
from driver.actors.tasks import (
    ASKED,
    ASKED_ON_EACH,
    COMPANY_SIGN_IN_REFUSAL,
    FATES,
    TURNED_AWAY,
    AskOneAfterAnother,
    OpenMoreChats,
    SignInThroughTheirCompany,
    TryToAsk,
    TryToAskOnEachAtOnce,
    TryToOpenOneMoreChat,
    TryToSignInThroughTheirCompany,
)
from driver.oracle import refusals
from fixtures import security
from fixtures.context import ScenarioContext, given, then, when
from harness import plans

ANSWER_TIMEOUT_S = 15.0
DAY_S = 24 * 3600


def _move(ctx: ScenarioContext, name: str, plan: str) -> None:
    plans.move_to_plan(security.stack_of(ctx), ctx.cast.person(name).email, plan)


@given("the operator has moved {name} to the {plan} plan")
def step_moved(ctx: ScenarioContext, name: str, plan: str) -> None:
    """The operator has moved the person to the named plan."""
    _move(ctx, name, plan)


@when("the operator moves {name} to the {plan} plan")
def step_moves(ctx: ScenarioContext, name: str, plan: str) -> None:
    """The operator moves the person to the named plan."""
    _move(ctx, name, plan)


@then("the operator sees {name} is on the {plan} plan")
def step_operator_sees(ctx: ScenarioContext, name: str, plan: str) -> None:
    """The operator's records show the person on the named plan."""
    held = plans.plan_of(security.stack_of(ctx), ctx.cast.person(name).email)
    assert held == plan, f"{name} is on the {held} plan, not the {plan} plan"


def _all_answered(name: str, fates: list[str]) -> None:
    assert fates and all(f == "answered" for f in fates), f"{name}'s questions: {fates}"


@given("{name} has asked {count:d} questions today and got her answers")
async def step_asked_today(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person has asked that many questions today, one after the other, all answered."""
    person = ctx.cast.person(name)
    await person.attempts_to(AskOneAfterAnother(count, ANSWER_TIMEOUT_S))
    _all_answered(name, await person.asks_for(TheNoted(FATES)))


@when("{name} asks {count:d} questions today")
async def step_asks_today(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person asks that many questions today, one after the other."""
    await ctx.cast.person(name).attempts_to(AskOneAfterAnother(count, ANSWER_TIMEOUT_S))


@then("{name} gets all her answers")
async def step_all_answers(ctx: ScenarioContext, name: str) -> None:
    """Every question the person asked today was answered."""
    _all_answered(name, await ctx.cast.person(name).asks_for(TheNoted(FATES)))


@when('{name} asks "{question}" once more')
async def step_asks_once_more(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks one more question."""
    await ctx.cast.person(name).attempts_to(TryToAsk(question))


@when('{name} asks "{question}" once more on her {device:DeviceName}')
async def step_asks_once_more_on(
    ctx: ScenarioContext, name: str, question: str, device: str
) -> None:
    """The person asks one more question, on that device."""
    await ctx.cast.person(name).attempts_to(TryToAsk(question, device))


@when('{name} asks "{question}" on her laptop and on her phone at the same moment')
async def step_asks_on_both_at_once(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person sends the same question from her laptop and her phone at the same moment."""
    person = ctx.cast.spotlight_on(name)
    await person.attempts_to(TryToAskOnEachAtOnce(question, ("laptop", "phone")))


@then(
    "exactly one of them is taken, and the other is told she has asked all the questions "
    "her {plan} plan allows today"
)
async def step_one_taken_one_told_quota(ctx: ScenarioContext, plan: str) -> None:
    """Of the questions sent at the same moment, one is taken and the other refused: today's questions are used up."""
    person = ctx.cast.in_the_spotlight()
    answers = await person.asks_for(TheRefusals(ASKED_ON_EACH))
    refused = [r for r in answers if r is not None]
    said = ", ".join("taken" if r is None else f"refused ({r})" for r in answers)
    assert len(refused) == len(answers) - 1, f"{person.name}'s questions at the same moment: {said}"
    _told_quota(person.name, plan, refused[0])


@then(
    "{name} is told she has asked all the questions her {plan} plan allows today, "
    "and that she can ask again at midnight UTC"
)
async def step_told_quota(ctx: ScenarioContext, name: str, plan: str) -> None:
    """The person is refused: her plan's questions for today are used up; ask again at midnight UTC."""
    _told_quota(name, plan, await ctx.cast.person(name).asks_for(TheRefusal(ASKED)))


def _told_quota(name: str, plan: str, refusal: object) -> None:
    refusals.expect_refused(
        refusal, "she has asked all the questions her plan allows today", who=name
    )
    message, after = str(getattr(refusal, "message", "")), getattr(refusal, "retry_after", None)
    assert plan in message and "questions" in message, f"{name} was told {message!r}"
    midnight = DAY_S - time.time() % DAY_S
    assert after is not None and abs(after - midnight) < 60, (
        f"{name} was told to ask again in {after} s, not at midnight UTC (in {midnight:.0f} s)"
    )


@given("{name} has {count:d} chats open")
async def step_chats_open_there(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person has that many chats open on her laptop's server."""
    person = ctx.cast.person(name)
    await person.attempts_to(OpenMoreChats(count, (_laptop_server(ctx, name),)))


@given("{name} cannot open one more chat, because {reason:Refusal}")
@then("{name} cannot open one more chat, because {reason:Refusal}")
async def step_no_more_chats(ctx: ScenarioContext, name: str, reason: str) -> None:
    """The person tries to open one more chat on her laptop's server and is refused for the reason given."""
    person = ctx.cast.person(name)
    # A chat that did open (a failure) is closed with the others when she leaves.
    await person.attempts_to(TryToOpenOneMoreChat(_laptop_server(ctx, name)))
    refused = await person.asks_for(TheNoted(TURNED_AWAY))
    refusals.expect_refused(refused, reason, who=name)


@then("{name} can open {count:d} more chats")
async def step_more_chats(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person opens that many more chats on her laptop's server."""
    person = ctx.cast.person(name)
    await person.attempts_to(OpenMoreChats(count, (_laptop_server(ctx, name),)))


def _laptop_server(ctx: ScenarioContext, name: str) -> str:
    ws_url = ctx.cast.person(name).chat.url_of("laptop")
    return "http" + ws_url.removeprefix("ws").removesuffix("/ws")


@given("{name} has signed in through her company's provider before")
async def step_enterprise_before(ctx: ScenarioContext, name: str) -> None:
    """The person has signed in through her company's identity provider before."""
    person = ctx.cast.person(name)
    token = ctx.provider.id_token(f"{name.lower()}-{person.email}", person.email, name)
    await person.attempts_to(SignInThroughTheirCompany(token))


@when("{name} tries to sign in through her company's provider again")
async def step_enterprise_again(ctx: ScenarioContext, name: str) -> None:
    """The person tries to sign in through her company's identity provider again."""
    person = ctx.cast.person(name)
    token = ctx.provider.id_token(f"{name.lower()}-{person.email}", person.email, name)
    await person.attempts_to(TryToSignInThroughTheirCompany(token))


@then("{name} is turned away from her company's provider sign-in, because {reason:Refusal}")
async def step_enterprise_refused(ctx: ScenarioContext, name: str, reason: str) -> None:
    """The person's sign-in through her company's provider is refused for the reason given."""
    refusal = await ctx.cast.person(name).asks_for(TheNoted(COMPANY_SIGN_IN_REFUSAL))
    refusals.expect_refused(refusal, reason, who=name)
