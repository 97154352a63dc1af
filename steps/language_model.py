"""What a language model's wording is held to: the figures stay the assistant's, the words stay
on the question (driver/oracle/held_prose.py)."""

from __future__ import annotations

from driver.actors.interactions import (
    HoldsOnlyTheAssistantsFigures,
    IsTheComputedReportAlone,
    KeepsItsWordsOnAISpend,
    See,
)
from driver.actors.questions import TheAnswerText
from fixtures.context import ScenarioContext, then


@then("every figure in the answer is one the assistant worked out from {name}'s usage")
async def step_figures_held(ctx: ScenarioContext, name: str) -> None:
    """Every amount and percentage in the answer is one the assistant's tools reported for it."""
    await ctx.cast.person(name).should(See(TheAnswerText(), HoldsOnlyTheAssistantsFigures()))


@then("the language model's own words are about {name}'s AI spend")
async def step_words_on_topic(ctx: ScenarioContext, name: str) -> None:
    """The words the language model added to the answer are about the person's AI spend."""
    await ctx.cast.person(name).should(See(TheAnswerText(), KeepsItsWordsOnAISpend()))


@then("the answer is the assistant's computed report alone, with no words of the language model")
async def step_report_alone(ctx: ScenarioContext) -> None:
    """The answer opens with the computed report: nothing of the language model's before it."""
    await ctx.cast.in_the_spotlight().should(See(TheAnswerText(), IsTheComputedReportAlone()))
