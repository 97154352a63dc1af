"""Finding earlier conversations."""

from __future__ import annotations

from typing import Any

from behave import then, when


@when("{name} opens her conversation history")
@when("{name} opens his conversation history")
async def step_open_history(ctx: Any, name: str) -> None:
    ctx.history = await ctx.cast.person(name).threads()


@then('{name} sees a conversation titled "{title}"')
def step_sees_conversation(ctx: Any, name: str, title: str) -> None:
    titles = [t.title for t in ctx.history]
    assert title in titles, f"{name}'s history shows {titles}, not {title!r}"
    ctx.thread = next(t for t in ctx.history if t.title == title)


@then("it holds her question followed by the assistant's answer")
@then("it holds his question followed by the assistant's answer")
async def step_holds_question_and_answer(ctx: Any) -> None:
    person = ctx.cast.person(ctx.asker)
    messages = await person.messages(ctx.thread.thread_id)
    said = [(m.role, m.text) for m in messages]
    expected = [("user", person.last_run.question), ("assistant", person.last_answer_text())]
    assert said == expected, f"the conversation holds {said}, expected {expected}"
