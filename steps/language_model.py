"""What a language model's wording is held to: the figures stay the assistant's, the words stay
on the question (driver/oracle/held_prose.py)."""

from __future__ import annotations

from driver.actors.questions import TheAnswerText
from driver.oracle import held_prose
from fixtures.context import ScenarioContext, then


@then("every figure in the answer is one the assistant worked out from {name}'s usage")
async def step_figures_held(ctx: ScenarioContext, name: str) -> None:
    """Every amount and percentage in the answer is one the assistant's tools reported for it."""
    person = ctx.cast.person(name)
    answer = await person.asks_for(TheAnswerText())
    events = [event.frame for event in person.asked_last().events]
    made_up = held_prose.unsupported_figures(answer, events)
    assert not made_up, (
        f"the answer to {name} states figures the assistant never worked out: "
        f"{', '.join(figure.text for figure in made_up)}\n{answer}"
    )


@then("the language model's own words are about {name}'s AI spend")
async def step_words_on_topic(ctx: ScenarioContext, name: str) -> None:
    """The words the language model added to the answer are about the person's AI spend."""
    answer = await ctx.cast.person(name).asks_for(TheAnswerText())
    words = held_prose.models_words(answer)
    wrong = held_prose.off_topic(words)
    assert wrong is None, f"the language model's words are off the question: {wrong}\n{answer}"


@then("the answer is the assistant's computed report alone, with no words of the language model")
async def step_report_alone(ctx: ScenarioContext) -> None:
    """The answer opens with the computed report: nothing of the language model's before it."""
    answer = await ctx.cast.in_the_spotlight().asks_for(TheAnswerText())
    words = held_prose.models_words(answer)
    assert not words and held_prose.opens_with_report(answer), (
        f"the answer does not open with the computed report:\n{answer}"
    )
