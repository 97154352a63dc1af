"""Attacks on passes, on other people's data, on the chat connection and on configuration."""

from __future__ import annotations

import asyncio
import re

from driver.actors.interactions import (
    CutOffForFlooding,
    EachExplainedInTurn,
    See,
    StatesTheirOwnSpend,
)
from driver.actors.questions import (
    HowTheChatWasClosed,
    TheAnswerText,
    TheExplanationsUntilClosed,
    TheirConversations,
    TheNoted,
    WhatReachedThemOf,
    WhatTheSearchFinds,
)
from driver.actors.tasks import (
    BROWSER_ANSWER,
    EXPLANATION,
    FLOOD,
    REACH_REFUSED,
    TURNED_AWAY,
    TURNED_AWAY_SHOWING_PASSES,
    Ask,
    FloodTheChat,
    LetAPageAskForTheHistory,
    OpenChat,
    OpenChatFromAPage,
    SendAGarbledMessage,
    SendGarbledMessagesInARow,
    SendTooLargeAMessage,
    TryToGetIn,
    TryToReach,
)
from driver.oracle import refusals
from fixtures import security
from fixtures.cast import LAST_REFUSAL, SEARCH_FOUND
from fixtures.context import ScenarioContext, given, then, when

# -- passes ------------------------------------------------------------------------------------


@given("{name} runs a server of her own")
def step_runs_a_server(ctx: ScenarioContext, name: str) -> None:
    """The person runs a server of her own that notes every contact made with it."""
    security.silent_listener(ctx)


@when("{attacker} tries to get in as {victim} with {forgery:Forgery}")
async def step_get_in_with(ctx: ScenarioContext, attacker: str, victim: str, forgery: str) -> None:
    """The attacker tries the chat and the history as the victim, showing the forged pass described."""
    material = security.attackers_material(ctx, victim, attacker, forgery)
    await ctx.cast.person(attacker).attempts_to(TryToGetIn.with_forgery(forgery, material))


@then("{name} is turned away at the chat and at the history, because {reason:Refusal}")
async def step_turned_away_everywhere(ctx: ScenarioContext, name: str, reason: str) -> None:
    """The person is refused both at the chat and at the history, for the reason given."""
    turned_away = await ctx.cast.person(name).asks_for(TheNoted(TURNED_AWAY_SHOWING_PASSES))
    refusals.expect_all_refused(turned_away, reason, who=name)


@then("{name}'s server was never contacted")
def step_server_silent(ctx: ScenarioContext, name: str) -> None:
    """The service never contacted the person's own server."""
    contacts = security.silent_listener(ctx).contacts
    assert not contacts, f"the service contacted {name}'s server: {contacts}"


# -- other people's data -----------------------------------------------------------------------


@when("{intruder} tries to {how:Reach}")
async def step_reach_into(ctx: ScenarioContext, intruder: str, how: str) -> None:
    """The intruder tries to get into another person's conversation in the way described."""
    owner = re.search(r"(\w+)'s", how)
    assert owner is not None
    owner_ = ctx.cast.person(owner.group(1))
    await ctx.cast.person(intruder).attempts_to(TryToReach(owner_, how))


@then("{name} is told there is no such conversation")
async def step_no_such_conversation(ctx: ScenarioContext, name: str) -> None:
    """The person is refused as if there were no such conversation."""
    code = await ctx.cast.person(name).asks_for(TheNoted(REACH_REFUSED))
    refusals.expect_refused(code, "there is no such conversation", who=name)


@then("none of {owner}'s progress reached {intruder}")
async def step_nothing_reached(ctx: ScenarioContext, owner: str, intruder: str) -> None:
    """None of the owner's progress reached the intruder, and what the intruder got kept the chat's rules."""
    seen = await ctx.cast.person(intruder).asks_for(WhatReachedThemOf(ctx.cast.person(owner)))
    assert not seen, f"{intruder} received {len(seen)} of {owner}'s frames, e.g. {seen[0]}"
    findings = ctx.cast.person(intruder).verifier.findings(require_finished=False)
    assert not findings, "\n".join(findings)


@when('{name} searches {her:Her} conversations for "{words}"')
async def step_search(ctx: ScenarioContext, name: str, her: str, words: str) -> None:
    """The person searches her conversations for some words."""
    ctx.cast.notes.write(
        SEARCH_FOUND, await ctx.cast.person(name).asks_for(WhatTheSearchFinds(words))
    )


@then("{name} finds nothing")
def step_finds_nothing(ctx: ScenarioContext, name: str) -> None:
    """The person's search finds nothing."""
    found = ctx.cast.notes.read(SEARCH_FOUND)
    assert found == [], f"{name} found {len(found)} messages: {found[:2]}"


@when('{first} and {second} both ask "{question}" at the same time')
async def step_both_ask(ctx: ScenarioContext, first: str, second: str, question: str) -> None:
    """Two people ask the same question at the same moment."""
    await asyncio.gather(
        ctx.cast.person(first).attempts_to(Ask(question)),
        ctx.cast.person(second).attempts_to(Ask(question)),
    )


@then("{first} and {second} each get their own answer")
async def step_each_answered(ctx: ScenarioContext, first: str, second: str) -> None:
    """The two people each get their own company's spend, in conversations of their own."""
    people = [ctx.cast.person(first), ctx.cast.person(second)]
    own_spend = See(TheAnswerText(15), StatesTheirOwnSpend())
    await asyncio.gather(*(p.should(own_spend) for p in people))
    threads = {p.current_thread for p in people}
    assert len(threads) == 2, f"{first} and {second} were answered in one conversation"


# -- the chat connection -----------------------------------------------------------------------


@given("the chat trusts only our own web app")
async def step_trusted_site(ctx: ScenarioContext) -> None:
    """The people use a server whose chat trusts only our own web app."""
    await security.trusting_our_web_app(ctx)


@when("a page on {page:Page} tries to open the chat in {name}'s signed-in browser")
async def step_page_opens_chat(ctx: ScenarioContext, page: str, name: str) -> None:
    """A page on the site described tries to open the chat in the person's signed-in browser."""
    person = ctx.cast.person(name)
    await person.attempts_to(OpenChatFromAPage(security.page_origin(ctx, page)))
    refused = await person.asks_for(TheNoted(TURNED_AWAY))
    ctx.cast.notes.write(LAST_REFUSAL, refused)


@when("a page on {page:Page} asks {name}'s signed-in browser for her conversation history")
async def step_page_reads_history(ctx: ScenarioContext, page: str, name: str) -> None:
    """A page on the site described asks the person's signed-in browser for her history."""
    origin = security.page_origin(ctx, page)
    await ctx.cast.spotlight_on(name).attempts_to(LetAPageAskForTheHistory(origin))


@then("the browser lets the page read it")
async def step_browser_lets_read(ctx: ScenarioContext) -> None:
    """The browser lets the page read the answer."""
    answer = await ctx.cast.in_the_spotlight().asks_for(TheNoted(BROWSER_ANSWER))
    assert answer.lets_page_read, f"the browser was not let to read it: {answer}"


@then("the browser withholds it from the page, because the page is not ours")
async def step_browser_withholds(ctx: ScenarioContext) -> None:
    """The browser withholds the answer from the page, because the page is not ours."""
    answer = await ctx.cast.in_the_spotlight().asks_for(TheNoted(BROWSER_ANSWER))
    withheld = answer.allowed_origin is None and answer.read_allowed_origin is None
    assert not answer.lets_page_read and withheld, f"let through: {answer}"
    refusals.expect_refused(answer, "the page is not ours", who="the page")


@then("{name}'s chat is open")
async def step_chat_open(ctx: ScenarioContext, name: str) -> None:
    """The person's chat is open and answers."""
    refused = ctx.cast.notes.read(LAST_REFUSAL)
    assert refused is None, f"{name} was turned away: {refused}"
    await ctx.cast.person(name).chat.socket("laptop", name).ping()


@when("{name} sends a message larger than 64 KiB")
async def step_send_oversized(ctx: ScenarioContext, name: str) -> None:
    """The person sends a message larger than 64 KiB on the chat."""
    await ctx.cast.person(name).attempts_to(SendTooLargeAMessage())


@then("{name}'s chat is closed because the message was too large")
async def step_closed_too_large(ctx: ScenarioContext, name: str) -> None:
    """The person's chat is closed because the message was too large."""
    code = await ctx.cast.person(name).asks_for(HowTheChatWasClosed(within=5))
    refusals.expect_closed(code, "the message was too large", who=f"{name}'s chat")


@when("{name} sends {garbled:Garbled}")
async def step_send_garbled(ctx: ScenarioContext, name: str, garbled: str) -> None:
    """The person sends the garbled message described on the chat."""
    await ctx.cast.person(name).attempts_to(SendAGarbledMessage(garbled))


@then("{name} is told {problem:Problem}")
async def step_told_problem(ctx: ScenarioContext, name: str, problem: str) -> None:
    """The person is told the problem described with her message."""
    explanation = await ctx.cast.person(name).asks_for(TheNoted(EXPLANATION))
    refusals.expect_refused(explanation, problem, who=name)


@then("{name}'s chat still answers {her:Him}")
async def step_still_answers(ctx: ScenarioContext, name: str, her: str) -> None:
    """The person's chat is still open and answers."""
    socket = ctx.cast.person(name).chat.sockets["laptop"]
    assert socket.is_open, f"{name}'s chat was closed: {socket.close_code}"
    await socket.ping(timeout=2)


@then("nothing {name} sent was kept")
async def step_nothing_kept(ctx: ScenarioContext, name: str) -> None:
    """Nothing the person sent was kept: she has no conversation."""
    threads = await ctx.cast.person(name).asks_for(TheirConversations())
    assert threads == [], f"{name}'s garbled message was kept: {threads}"


@when("{name} sends {count:d} garbled messages in a row")
async def step_send_many_garbled(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person sends that many garbled messages in a row on the chat."""
    await ctx.cast.person(name).attempts_to(SendGarbledMessagesInARow(count))


@then("{name} is told what was wrong with each of the {count:d} messages")
async def step_told_each(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person is told what was wrong with each of the messages before her chat closes."""
    explained = See(TheExplanationsUntilClosed(within=5), EachExplainedInTurn(count))
    await ctx.cast.person(name).should(explained)


@then("then {name}'s chat is closed for breaking the rules")
def step_closed_policy(ctx: ScenarioContext, name: str) -> None:
    """The person's chat is closed for breaking the rules."""
    code = ctx.cast.person(name).chat.sockets["laptop"].close_code
    refusals.expect_closed(code, "of breaking the rules", who=f"{name}'s chat")


@when('{name} floods the chat with {count:d} questions while {other} is asking "{question}"')
async def step_flood(
    ctx: ScenarioContext, name: str, count: int, other: str, question: str
) -> None:
    """The person floods the chat with that many questions while another person asks a question."""
    flooder = ctx.cast.person(name)
    await flooder.attempts_to(OpenChat())
    await asyncio.gather(
        flooder.attempts_to(FloodTheChat(count)),
        ctx.cast.spotlight_on(other).attempts_to(Ask(question)),
    )


@then("{name} is told to slow down, and then her chat is closed for flooding")
async def step_flood_refused(ctx: ScenarioContext, name: str) -> None:
    """The person is told to slow down, only a burst is taken, then her chat is closed for flooding."""
    # A burst of 10, then 1 a second: a flood that took longer earns its refill, no more.
    cut_off = CutOffForFlooding(burst=10, per_second=1, taken="questions accepted")
    await ctx.cast.person(name).should(See(TheNoted(FLOOD), cut_off))


@when(
    "{name}'s app floods the chat with {count:d} checks that it is still connected"
    ' while {other} is asking "{question}"'
)
async def step_ping_flood(
    ctx: ScenarioContext, name: str, count: int, other: str, question: str
) -> None:
    """The person's app floods the chat with connection checks while another person asks a question."""
    flooder = ctx.cast.person(name)
    await flooder.attempts_to(OpenChat())
    await asyncio.gather(
        flooder.attempts_to(FloodTheChat(count, with_="pings")),
        ctx.cast.spotlight_on(other).attempts_to(Ask(question)),
    )


@then(
    "{name}'s app is answered {most:d} times at most, told to slow down,"
    " and then her chat is closed for flooding"
)
async def step_ping_flood_refused(ctx: ScenarioContext, name: str, most: int) -> None:
    """The app's checks are answered about that many times at most, then the chat is closed for flooding."""
    # What trickles back in while the flood is read: 10 a second.
    cut_off = CutOffForFlooding(burst=most, per_second=10, taken="answers to her app's checks")
    await ctx.cast.person(name).should(See(TheNoted(FLOOD), cut_off))


# -- configuration -----------------------------------------------------------------------------


@when("the service is started with {secret}")
async def step_start_with(ctx: ScenarioContext, secret: str) -> None:
    """The service is started with the weak secret described."""
    stack = security.stack_of(ctx)
    ctx.start = await security.refused_start(stack, security.weak_secret_settings(stack, secret))


@then("it refuses to start, saying the secret {why}")
def step_refuses_to_start(ctx: ScenarioContext, why: str) -> None:
    """The service refuses to start and says why the secret is not good enough."""
    start = ctx.start
    assert start.exit_code is not None, (
        f"the service started anyway (still running after {start.seconds:.0f} s):\n"
        f"{start.output[-800:]}"
    )
    assert start.exit_code != 0 and why in start.output, (
        f"the service exited with {start.exit_code} saying:\n{start.output[-800:]}"
    )
