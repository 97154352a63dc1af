"""Plans (issue 18): the operator moves people between plans, and each plan's quotas hold."""

from __future__ import annotations

import time

from driver.actors import waiting
from driver.actors.questions import TheAnswer
from driver.actors.tasks import OpenMoreChats, TryToOpenOneMoreChat
from driver.client.contract import EventType
from driver.client.errors import ApiError, HandshakeRefused, SendRefused
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


async def _ask_one_by_one(ctx: ScenarioContext, name: str, count: int) -> list[str]:
    """Ask `count` questions, each once the one before is answered: what became of each, in
    words ("answered", or why it was refused or not answered)."""
    person = ctx.cast.person(name)
    fates = []
    for i in range(count):
        outcome = await waiting.try_ask(person, f"Question {i + 1}: how can we cut our spend?")
        if isinstance(outcome, SendRefused):
            fates.append(f"refused because {refusals.reason(outcome)}")
            continue
        final = await person.asks_for(TheAnswer(ANSWER_TIMEOUT_S))
        fates.append("answered" if final.type == EventType.AGENT_COMPLETED else final.type)
    return fates


def _all_answered(name: str, fates: list[str]) -> None:
    assert fates and all(f == "answered" for f in fates), f"{name}'s questions: {fates}"


@given("{name} has asked {count:d} questions today and got her answers")
async def step_asked_today(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person has asked that many questions today, one after the other, all answered."""
    _all_answered(name, await _ask_one_by_one(ctx, name, count))


@when("{name} asks {count:d} questions today")
async def step_asks_today(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person asks that many questions today, one after the other."""
    ctx.fates = await _ask_one_by_one(ctx, name, count)


@then("{name} gets all her answers")
def step_all_answers(ctx: ScenarioContext, name: str) -> None:
    """Every question the person asked today was answered."""
    _all_answered(name, ctx.fates)


@when('{name} asks "{question}" once more')
async def step_asks_once_more(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks one more question."""
    ctx.outcome = await waiting.try_ask(ctx.cast.person(name), question)


@when('{name} asks "{question}" once more on her {device:DeviceName}')
async def step_asks_once_more_on(
    ctx: ScenarioContext, name: str, question: str, device: str
) -> None:
    """The person asks one more question, on that device."""
    ctx.outcome = await waiting.try_ask(ctx.cast.person(name), question, device)


@when('{name} asks "{question}" on her laptop and on her phone at the same moment')
async def step_asks_on_both_at_once(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person sends the same question from her laptop and her phone at the same moment."""
    person = ctx.cast.spotlight_on(name)
    ctx.outcomes = await waiting.try_ask_at_once(person, question, ["laptop", "phone"])


@then(
    "exactly one of them is taken, and the other is told she has asked all the questions "
    "her {plan} plan allows today"
)
def step_one_taken_one_told_quota(ctx: ScenarioContext, plan: str) -> None:
    """Of the questions sent at the same moment, one is taken and the other refused: today's questions are used up."""
    name = ctx.cast.in_the_spotlight().name
    refused = [o for o in ctx.outcomes if isinstance(o, SendRefused)]
    said = ", ".join(f"refused ({o})" if o in refused else "taken" for o in ctx.outcomes)
    assert len(refused) == len(ctx.outcomes) - 1, f"{name}'s questions at the same moment: {said}"
    ctx.outcome = refused[0]
    step_told_quota(ctx, name, plan)


@then(
    "{name} is told she has asked all the questions her {plan} plan allows today, "
    "and that she can ask again at midnight UTC"
)
def step_told_quota(ctx: ScenarioContext, name: str, plan: str) -> None:
    """The person is refused: her plan's questions for today are used up; ask again at midnight UTC."""
    outcome = ctx.outcome
    refusals.expect_refused(
        outcome, "she has asked all the questions her plan allows today", who=name
    )
    assert isinstance(outcome, SendRefused)
    message, after = outcome.message, outcome.retry_after
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
    opened = await person.attempts_to(TryToOpenOneMoreChat(_laptop_server(ctx, name)))
    if not isinstance(opened, HandshakeRefused):
        await opened.close()
    refusals.expect_refused(opened, reason, who=name)


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
    person.tokens = await person.api.enterprise_sign_in(token)


@when("{name} tries to sign in through her company's provider again")
async def step_enterprise_again(ctx: ScenarioContext, name: str) -> None:
    """The person tries to sign in through her company's identity provider again."""
    person = ctx.cast.person(name)
    token = ctx.provider.id_token(f"{name.lower()}-{person.email}", person.email, name)
    try:
        await person.api.enterprise_sign_in(token)
        ctx.refusal = None  # let in
    except ApiError as refused:
        ctx.refusal = refused


@then("{name} is turned away from her company's provider sign-in, because {reason:Refusal}")
def step_enterprise_refused(ctx: ScenarioContext, name: str, reason: str) -> None:
    """The person's sign-in through her company's provider is refused for the reason given."""
    refusals.expect_refused(ctx.refusal, reason, who=name)
