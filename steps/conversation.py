"""Asking the assistant and reading its answers."""

from __future__ import annotations

from driver.actors.interactions import (
    DeclinesPolitely,
    IsAboutTheFeatureOnly,
    See,
    StatesTheSavings,
    StatesTheTotal,
)
from driver.actors.questions import TheAnswer, TheAnswerText
from driver.actors.tasks import Ask
from fixtures.context import ScenarioContext, given, then, when

ANSWER_TIMEOUT_S = 15.0


@when('{name} asks "{question}"')
async def step_ask(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks the assistant a question (and is now the one in the spotlight)."""
    await ctx.cast.spotlight_on(name).attempts_to(Ask(question))


@when('{name} asks in the same conversation "{question}"')
async def step_ask_follow_up(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks a follow-up question in her current conversation."""
    await ctx.cast.spotlight_on(name).attempts_to(Ask(question, follow_up=True))


@given('{name} has asked "{question}" and received the answer')
async def step_asked_and_answered(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person has asked a question and received the whole answer."""
    person = ctx.cast.spotlight_on(name)
    await person.attempts_to(Ask(question))
    await person.asks_for(TheAnswer(ANSWER_TIMEOUT_S))


async def _answer(ctx: ScenarioContext, name: str) -> str:
    return await ctx.cast.person(name).asks_for(TheAnswerText(within=ANSWER_TIMEOUT_S))


@then("{name} is told {her:Her} company spent {amount} in the last 30 days")
async def step_told_total(ctx: ScenarioContext, name: str, her: str, amount: str) -> None:
    """The answer tells the person her company's spend over the last 30 days, exactly as given."""
    answer = TheAnswerText(within=ANSWER_TIMEOUT_S)
    await ctx.cast.person(name).should(See(answer, StatesTheTotal(amount)))


@then("{name} is told {she:She} can save about {amount} a month")
async def step_told_savings(ctx: ScenarioContext, name: str, she: str, amount: str) -> None:
    """The answer tells the person the monthly saving she could make, as given."""
    answer = TheAnswerText(within=ANSWER_TIMEOUT_S)
    await ctx.cast.person(name).should(See(answer, StatesTheSavings(amount, "month")))


@then("{name} is told {she:She} can save about {amount} a year")
async def step_told_yearly_savings(ctx: ScenarioContext, name: str, she: str, amount: str) -> None:
    """The answer tells the person the yearly saving she could make, as given."""
    answer = TheAnswerText(within=ANSWER_TIMEOUT_S)
    await ctx.cast.person(name).should(See(answer, StatesTheSavings(amount, "year")))


@then('the answer suggests moving "{feature}" from "{model}" to "{cheaper}"')
async def step_suggests_switch(
    ctx: ScenarioContext, feature: str, model: str, cheaper: str
) -> None:
    """The answer advises moving a feature from one model to a cheaper one."""
    answer = await ctx.cast.in_the_spotlight().asks_for(TheAnswerText())
    advice = [line for line in answer.splitlines() if feature in line and cheaper in line]
    assert advice and model in advice[0], (
        f"the answer does not suggest moving {feature} from {model} to {cheaper}:\n{answer}"
    )


@then('the answer suggests batching "{feature}"')
async def step_suggests_batching(ctx: ScenarioContext, feature: str) -> None:
    """The answer advises batching a feature's requests."""
    answer = await ctx.cast.in_the_spotlight().asks_for(TheAnswerText())
    advice = [line for line in answer.splitlines() if feature in line and "batch" in line]
    assert advice, f"the answer does not suggest batching {feature}:\n{answer}"


@then('the answer is about the "{feature}" feature only')
async def step_answer_scoped(ctx: ScenarioContext, feature: str) -> None:
    """The answer covers only the named feature and mentions no other."""
    await ctx.cast.in_the_spotlight().should(See(TheAnswerText(), IsAboutTheFeatureOnly(feature)))


@then("{name} is told politely that the assistant can only help with AI spend")
async def step_polite_refusal(ctx: ScenarioContext, name: str) -> None:
    """The assistant politely declines a question that is not about AI spend, giving no figures."""
    answer = TheAnswerText(within=ANSWER_TIMEOUT_S)
    await ctx.cast.person(name).should(See(answer, DeclinesPolitely()))


@then("{name} is told to upload {her:Her} usage first")
async def step_told_to_upload(ctx: ScenarioContext, name: str, her: str) -> None:
    """The answer asks the person to upload her usage data first."""
    answer = await _answer(ctx, name)
    assert "Upload your usage" in answer, f"{name} was not told to upload usage:\n{answer}"


@then('the answer says there is no price for "{model}"')
async def step_no_price(ctx: ScenarioContext, model: str) -> None:
    """The answer says the assistant has no price for the named model."""
    answer = await ctx.cast.in_the_spotlight().asks_for(TheAnswerText())
    said = [line for line in answer.splitlines() if "no prices for" in line and model in line]
    assert said, f"the answer does not say it has no price for {model}:\n{answer}"


@then("{name}'s answer names none of {other}'s features")
async def step_names_none_of_theirs(ctx: ScenarioContext, name: str, other: str) -> None:
    """The person's answer names no feature found only in the other person's usage."""
    answer = await _answer(ctx, name)
    theirs = {str(r["feature"]) for r in ctx.cast.person(other).usage}
    own = {str(r["feature"]) for r in ctx.cast.person(name).usage}
    said = answer.casefold()
    named = sorted(f for f in theirs - own if f.casefold() in said or spoken(f) in said)
    assert not named, f"{name}'s answer names {other}'s {', '.join(named)}:\n{answer}"


def spoken(name: str) -> str:
    """A feature's name as a sentence says it ("nightly-digest": "nightly digest")."""
    return name.replace("-", " ").replace("_", " ").casefold()
