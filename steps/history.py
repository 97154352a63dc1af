"""Finding earlier conversations."""

from __future__ import annotations

from driver.actors.questions import (
    TheAnswer,
    TheAnswerText,
    TheirConversations,
    TheMessages,
    TheNoted,
    WhatTheToolSaid,
)
from driver.actors.tasks import (
    CONVERSATION_PICKED,
    CONVERSATIONS_SHOWN,
    HISTORY_REFUSED,
    REOPENED,
    Ask,
    ContinueLatestConversation,
    OpenTheirHistory,
    PickTheConversation,
    ReopenTheConversation,
    SignInOn,
)
from driver.oracle import refusals
from fixtures.cast import SEARCH_FOUND
from fixtures.context import ScenarioContext, given, then, when


@when("{name} opens {her:Her} conversation history")
async def step_open_history(ctx: ScenarioContext, name: str, her: str) -> None:
    """The person opens her list of conversations."""
    await ctx.cast.person(name).attempts_to(OpenTheirHistory())


@when("{name} asks to see {count:d} of her conversations at once")
async def step_asks_for_too_many(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person asks to see that many of her conversations in one page."""
    await ctx.cast.person(name).attempts_to(OpenTheirHistory(count))


@then("{name} is told she may see at most {count:d} at a time")
async def step_told_page_bound(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person is refused as out of bounds and told the most she may see at a time."""
    person = ctx.cast.person(name)
    refusal = await person.asks_for(TheNoted(HISTORY_REFUSED))
    if refusal is None:
        shown = await person.asks_for(TheNoted(CONVERSATIONS_SHOWN))
        raise AssertionError(f"{name} was shown {len(shown)} conversations, not refused")
    refusals.expect_refused(refusal, "the request was out of bounds", who=name)
    assert str(count) in refusal.message, f"{name} was not told the bound: {refusal.message!r}"


@then('{name} sees a conversation titled "{title}"')
async def step_sees_conversation(ctx: ScenarioContext, name: str, title: str) -> None:
    """The person's list of conversations includes one with the title given."""
    person = ctx.cast.person(name)
    titles = [t.title for t in await person.asks_for(TheNoted(CONVERSATIONS_SHOWN))]
    assert title in titles, f"{name}'s history shows {titles}, not {title!r}"
    await person.attempts_to(PickTheConversation(title))


@then("it holds {her:Her} question followed by the assistant's answer")
async def step_holds_question_and_answer(ctx: ScenarioContext, her: str) -> None:
    """That conversation holds the person's question followed by the assistant's answer."""
    person = ctx.cast.in_the_spotlight()
    picked = await person.asks_for(TheNoted(CONVERSATION_PICKED))
    messages = await person.asks_for(TheMessages(picked.thread_id))
    said = [(m.role, m.text) for m in messages]
    expected = [
        ("user", person.asked_last().question),
        ("assistant", await person.asks_for(TheAnswerText())),
    ]
    assert said == expected, f"the conversation holds {said}, expected {expected}"


# -- order and ownership of the history
@given('{name} has asked in the same conversation "{question}" and received the answer')
async def step_follow_up_answered(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person has asked a follow-up in the same conversation and received the answer."""
    person = ctx.cast.spotlight_on(name)
    await person.attempts_to(Ask(question, follow_up=True))
    await person.asks_for(TheAnswer(15.0))


@then("{name}'s conversations are listed newest first:")
async def step_listed_newest_first(ctx: ScenarioContext, name: str) -> None:
    """The person's conversations are listed with exactly the table's titles, newest first."""
    expected = [row["title"] for row in ctx.table]
    shown = await ctx.cast.person(name).asks_for(TheNoted(CONVERSATIONS_SHOWN))
    titles = [t.title for t in shown]
    assert titles == expected, f"{name}'s history lists {titles}, expected {expected}"


@when("{name} reopens the conversation")
async def step_reopen(ctx: ScenarioContext, name: str) -> None:
    """The person reopens her current conversation."""
    await ctx.cast.spotlight_on(name).attempts_to(ReopenTheConversation())


@then("it holds her questions, each followed by its answer, in the order they were written")
async def step_holds_in_order(ctx: ScenarioContext) -> None:
    """The reopened conversation holds each question followed by its answer, in the order asked."""
    person = ctx.cast.in_the_spotlight()
    reopened = await person.asks_for(TheNoted(REOPENED))
    asked = [s.question for s in person.chat.sockets["laptop"].streams.values() if s.question]
    answered = [
        str(s.final.payload.get("text"))
        for s in person.chat.sockets["laptop"].streams.values()
        if s.final
    ]
    expected = [m for pair in zip(asked, answered, strict=True) for m in pair]
    said = [m.text for m in reopened]
    roles = [m.role for m in reopened]
    assert said == expected and roles == ["user", "assistant"] * len(asked), (
        f"the conversation holds {list(zip(roles, said, strict=True))}, expected {expected}"
    )


@then('{name} finds her question "{question}"')
def step_finds_question(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person's search found her question."""
    texts = [hit.get("text") for hit in ctx.cast.notes.read(SEARCH_FOUND)]
    assert question in texts, f"{name} searched and found {texts}"


@then("none of what {name} finds is {other}'s")
async def step_finds_none_of(ctx: ScenarioContext, name: str, other: str) -> None:
    """Nothing the person's search found belongs to another person's conversations."""
    own = {t.thread_id for t in await ctx.cast.person(name).asks_for(TheirConversations())}
    foreign = [hit for hit in ctx.cast.notes.read(SEARCH_FOUND) if hit.get("thread_id") not in own]
    assert not foreign, f"{name}'s search found messages of {other}'s: {foreign[:2]}"


# -- coming back on another device
@given("{name} has signed in again on her phone")
async def step_signed_in_on_phone(ctx: ScenarioContext, name: str) -> None:
    """The person has signed in again, on her phone."""
    await ctx.cast.person(name).attempts_to(SignInOn("phone"))


@when('{name} continues her latest conversation on her phone with "{question}"')
async def step_continue_on_phone(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person continues her latest conversation on her phone with a question."""
    person = ctx.cast.spotlight_on(name)
    await person.attempts_to(ContinueLatestConversation("phone", question))


@then("the assistant takes it as a follow-up to {name}'s earlier question")
async def step_taken_as_follow_up(ctx: ScenarioContext, name: str) -> None:
    """The assistant answers and treats the question as a follow-up to the earlier one."""
    person = ctx.cast.person(name)
    await person.asks_for(TheAnswer(15.0))
    said = await person.asks_for(WhatTheToolSaid("triage"))
    assert said.startswith("follow-up"), (
        f"the assistant did not connect {name}'s question to the conversation: {said!r}"
    )
