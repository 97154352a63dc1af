"""Asking the assistant and reading its answers."""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from driver.answers import stated_monthly_savings, stated_total, stated_yearly_savings

ANSWER_TIMEOUT_S = 15.0


@when('{name} asks "{question}"')
async def step_ask(ctx: Any, name: str, question: str) -> None:
    ctx.asker = name
    await ctx.cast.person(name).ask(question)


@when('{name} asks in the same conversation "{question}"')
async def step_ask_follow_up(ctx: Any, name: str, question: str) -> None:
    ctx.asker = name
    await ctx.cast.person(name).ask(question, in_current_thread=True)


@given('{name} has asked "{question}" and received the answer')
async def step_asked_and_answered(ctx: Any, name: str, question: str) -> None:
    ctx.asker = name
    person = ctx.cast.person(name)
    await person.ask(question)
    await person.wait_for_answer(ANSWER_TIMEOUT_S)


async def _answer(ctx: Any, name: str) -> str:
    person = ctx.cast.person(name)
    await person.wait_for_answer(ANSWER_TIMEOUT_S)
    return str(person.last_answer_text())


@then("{name} is told {her:Her} company spent {amount} in the last 30 days")
async def step_told_total(ctx: Any, name: str, her: str, amount: str) -> None:
    answer = await _answer(ctx, name)
    assert stated_total(answer) == amount, (
        f"{name} was told a total of {stated_total(answer)}, expected {amount}:\n{answer}"
    )


@then("{name} is told {she:She} can save about {amount} a month")
async def step_told_savings(ctx: Any, name: str, she: str, amount: str) -> None:
    answer = await _answer(ctx, name)
    assert stated_monthly_savings(answer) == amount, (
        f"{name} was told savings of {stated_monthly_savings(answer)} a month, "
        f"expected {amount}:\n{answer}"
    )


@then("{name} is told {she:She} can save about {amount} a year")
async def step_told_yearly_savings(ctx: Any, name: str, she: str, amount: str) -> None:
    answer = await _answer(ctx, name)
    assert stated_yearly_savings(answer) == amount, (
        f"{name} was told savings of {stated_yearly_savings(answer)} a year, "
        f"expected {amount}:\n{answer}"
    )


@then('the answer suggests moving "{feature}" from "{model}" to "{cheaper}"')
async def step_suggests_switch(ctx: Any, feature: str, model: str, cheaper: str) -> None:
    answer = ctx.cast.person(ctx.asker).last_answer_text()
    advice = [line for line in answer.splitlines() if feature in line and cheaper in line]
    assert advice and model in advice[0], (
        f"the answer does not suggest moving {feature} from {model} to {cheaper}:\n{answer}"
    )


@then('the answer suggests batching "{feature}"')
def step_suggests_batching(ctx: Any, feature: str) -> None:
    answer = ctx.cast.person(ctx.asker).last_answer_text()
    advice = [line for line in answer.splitlines() if feature in line and "batch" in line]
    assert advice, f"the answer does not suggest batching {feature}:\n{answer}"


@then('the answer is about the "{feature}" feature only')
def step_answer_scoped(ctx: Any, feature: str) -> None:
    answer = ctx.cast.person(ctx.asker).last_answer_text()
    assert f"For the {feature} feature" in answer, f"the answer is not about {feature}:\n{answer}"
    for other in ("nightly-report", "contract-review"):
        assert other not in answer, f"the answer still mentions {other}:\n{answer}"


@then("{name} is told politely that the assistant can only help with AI spend")
async def step_polite_refusal(ctx: Any, name: str) -> None:
    answer = await _answer(ctx, name)
    assert "Sorry" in answer and "AI spend" in answer, f"{name} was told:\n{answer}"
    assert stated_total(answer) is None, f"{name} was given figures nobody asked for:\n{answer}"


@then("{name} is told to upload {her:Her} usage first")
async def step_told_to_upload(ctx: Any, name: str, her: str) -> None:
    answer = await _answer(ctx, name)
    assert "Upload your usage" in answer, f"{name} was not told to upload usage:\n{answer}"


@then('the answer says there is no price for "{model}"')
def step_no_price(ctx: Any, model: str) -> None:
    answer = ctx.cast.person(ctx.asker).last_answer_text()
    said = [line for line in answer.splitlines() if "no prices for" in line and model in line]
    assert said, f"the answer does not say it has no price for {model}:\n{answer}"
