"""Attacks on passes, on other people's data, on the chat connection and on configuration."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from driver.actors import probe
from driver.actors.interactions import See, StatesTheirOwnSpend
from driver.actors.questions import (
    HowTheChatWasClosed,
    TheAnswerText,
    TheirConversations,
    WhatTheSearchFinds,
)
from driver.actors.tasks import Ask, OpenChat
from driver.client import passes
from driver.client.errors import HandshakeRefused
from driver.oracle import refusals
from fixtures import security
from fixtures.context import ScenarioContext, given, then, when

# -- passes ------------------------------------------------------------------------------------


def _factory(ctx: ScenarioContext, victim: str, attacker: str, forgery: str) -> passes.PassFactory:
    alice, mallory = ctx.cast.person(victim), ctx.cast.person(attacker)
    material: dict[str, Any] = {
        "subject": alice.user_id,
        "own_pass": mallory.tokens.access_token if mallory.tokens else None,
        "refresh_token": alice.tokens.refresh_token if alice.tokens else None,
    }
    listener = getattr(ctx, "silent_listener", None)
    if listener is not None:
        material["listener_url"] = listener.url
    if "provider" in forgery:  # our sign-in provider's published key, or a pass it signed
        provider = security.sign_in_provider(ctx)
        material["provider_public_key"] = provider.signing_key.public_pem()
        material["id_token"] = provider.id_token(f"{victim.lower()}-1", alice.email, victim)
    return security.pass_factory(ctx, **material)


@given("{name} runs a server of her own")
def step_runs_a_server(ctx: ScenarioContext, name: str) -> None:
    """The person runs a server of her own that notes every contact made with it."""
    security.silent_listener(ctx)


@when("{attacker} tries to get in as {victim} with {forgery:Forgery}")
async def step_get_in_with(ctx: ScenarioContext, attacker: str, victim: str, forgery: str) -> None:
    """The attacker tries the chat and the history as the victim, showing the forged pass described."""
    token = passes.forge(forgery, _factory(ctx, victim, attacker, forgery))
    ctx.refusals = await probe.try_to_get_in(ctx.cast.person(attacker), token, showing=forgery)


@then("{name} is turned away at the chat and at the history, because {reason:Refusal}")
def step_turned_away_everywhere(ctx: ScenarioContext, name: str, reason: str) -> None:
    """The person is refused both at the chat and at the history, for the reason given."""
    refusals.expect_all_refused(ctx.refusals, reason, who=name)


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
    person = ctx.cast.person(intruder)
    ctx.refusal_code = await probe.reach_into(person, ctx.cast.person(owner.group(1)), how)


@then("{name} is told there is no such conversation")
def step_no_such_conversation(ctx: ScenarioContext, name: str) -> None:
    """The person is refused as if there were no such conversation."""
    refusals.expect_refused(ctx.refusal_code, "there is no such conversation", who=name)


@then("none of {owner}'s progress reached {intruder}")
def step_nothing_reached(ctx: ScenarioContext, owner: str, intruder: str) -> None:
    """None of the owner's progress reached the intruder, and what the intruder got kept the chat's rules."""
    seen = probe.foreign_frames(ctx.cast.person(intruder), ctx.cast.person(owner))
    assert not seen, f"{intruder} received {len(seen)} of {owner}'s frames, e.g. {seen[0]}"
    findings = ctx.cast.person(intruder).verifier.findings(require_finished=False)
    assert not findings, "\n".join(findings)


@when('{name} searches {her:Her} conversations for "{words}"')
async def step_search(ctx: ScenarioContext, name: str, her: str, words: str) -> None:
    """The person searches her conversations for some words."""
    ctx.hits = await ctx.cast.person(name).asks_for(WhatTheSearchFinds(words))


@then("{name} finds nothing")
def step_finds_nothing(ctx: ScenarioContext, name: str) -> None:
    """The person's search finds nothing."""
    assert ctx.hits == [], f"{name} found {len(ctx.hits)} messages: {ctx.hits[:2]}"


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
    try:
        origin = security.page_origin(ctx, page)
        ctx.opened = await ctx.cast.person(name).attempts_to(OpenChat(origin=origin, browser=True))
        ctx.refusal = None
    except HandshakeRefused as refused:
        ctx.refusal = refused


@when("a page on {page:Page} asks {name}'s signed-in browser for her conversation history")
async def step_page_reads_history(ctx: ScenarioContext, page: str, name: str) -> None:
    """A page on the site described asks the person's signed-in browser for her history."""
    ctx.browser_answer = await probe.ask_from_page(
        ctx.cast.person(name), security.page_origin(ctx, page)
    )


@then("the browser lets the page read it")
def step_browser_lets_read(ctx: ScenarioContext) -> None:
    """The browser lets the page read the answer."""
    answer = ctx.browser_answer
    assert answer.lets_page_read, f"the browser was not let to read it: {answer}"


@then("the browser withholds it from the page, because the page is not ours")
def step_browser_withholds(ctx: ScenarioContext) -> None:
    """The browser withholds the answer from the page, because the page is not ours."""
    answer = ctx.browser_answer
    withheld = answer.allowed_origin is None and answer.read_allowed_origin is None
    assert not answer.lets_page_read and withheld, f"let through: {answer}"
    refusals.expect_refused(answer, "the page is not ours", who="the page")


@then("{name}'s chat is open")
async def step_chat_open(ctx: ScenarioContext, name: str) -> None:
    """The person's chat is open and answers."""
    assert ctx.refusal is None, f"{name} was turned away: {ctx.refusal}"
    await ctx.opened.ping()


@when("{name} sends a message larger than 64 KiB")
async def step_send_oversized(ctx: ScenarioContext, name: str) -> None:
    """The person sends a message larger than 64 KiB on the chat."""
    await probe.send_oversized(await ctx.cast.person(name).attempts_to(OpenChat()))


@then("{name}'s chat is closed because the message was too large")
async def step_closed_too_large(ctx: ScenarioContext, name: str) -> None:
    """The person's chat is closed because the message was too large."""
    code = await ctx.cast.person(name).asks_for(HowTheChatWasClosed(within=5))
    refusals.expect_closed(code, "the message was too large", who=f"{name}'s chat")


@when("{name} sends {garbled:Garbled}")
async def step_send_garbled(ctx: ScenarioContext, name: str, garbled: str) -> None:
    """The person sends the garbled message described on the chat."""
    ctx.explanation = await probe.send_garbled(
        await ctx.cast.person(name).attempts_to(OpenChat()), garbled
    )


@then("{name} is told {problem:Problem}")
def step_told_problem(ctx: ScenarioContext, name: str, problem: str) -> None:
    """The person is told the problem described with her message."""
    refusals.expect_refused(ctx.explanation, problem, who=name)


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
    await probe.send_many_garbled(await ctx.cast.person(name).attempts_to(OpenChat()), count)


@then("{name} is told what was wrong with each of the {count:d} messages")
async def step_told_each(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person is told what was wrong with each of the messages before her chat closes."""
    socket = ctx.cast.person(name).chat.sockets["laptop"]
    await ctx.cast.person(name).asks_for(HowTheChatWasClosed(within=5))
    problems = probe.explained_in_turn(list(socket.errors), count)
    assert not problems, f"{name}'s garbled messages:\n  - " + "\n  - ".join(problems)


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
    socket = await ctx.cast.person(name).attempts_to(OpenChat())
    ctx.flood, _ = await asyncio.gather(
        probe.flood(socket, count), ctx.cast.spotlight_on(other).attempts_to(Ask(question))
    )


@then("{name} is told to slow down, and then her chat is closed for flooding")
def step_flood_refused(ctx: ScenarioContext, name: str) -> None:
    """The person is told to slow down, only a burst is taken, then her chat is closed for flooding."""
    flood = ctx.flood
    assert flood.slowed_down >= 1, f"{name} was never told to slow down: {flood}"
    refusals.expect_closed(flood.close_code, "of flooding", who=f"{name}'s chat ({flood})")
    # A burst of 10, then 1 a second: a flood that took longer earns its refill, no more.
    allowed = 10 + int(flood.seconds)
    assert flood.acked <= allowed, (
        f"{name} got {flood.acked} questions accepted in a flood: {flood}"
    )


@when(
    "{name}'s app floods the chat with {count:d} checks that it is still connected"
    ' while {other} is asking "{question}"'
)
async def step_ping_flood(
    ctx: ScenarioContext, name: str, count: int, other: str, question: str
) -> None:
    """The person's app floods the chat with connection checks while another person asks a question."""
    socket = await ctx.cast.person(name).attempts_to(OpenChat())
    ctx.flood, _ = await asyncio.gather(
        probe.ping_flood(socket, count), ctx.cast.spotlight_on(other).attempts_to(Ask(question))
    )


@then(
    "{name}'s app is answered {most:d} times at most, told to slow down,"
    " and then her chat is closed for flooding"
)
def step_ping_flood_refused(ctx: ScenarioContext, name: str, most: int) -> None:
    """The app's checks are answered about that many times at most, then the chat is closed for flooding."""
    flood = ctx.flood
    assert flood.slowed_down >= 1, f"{name} was never told to slow down: {flood}"
    refusals.expect_closed(flood.close_code, "of flooding", who=f"{name}'s chat ({flood})")
    # What trickles back in while the flood is read: 10 a second.
    allowed = most + int(10 * flood.seconds)
    assert flood.acked <= allowed, f"{name}'s app was answered {flood.acked} times: {flood}"


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
