"""A busy service: waiting in line, and being told to ask again."""

from __future__ import annotations

from driver import refusals, waiting
from driver.actors.questions import TheirConversations
from driver.actors.tasks import OpenChat, SignIn, SignUp
from driver.errors import SendRefused
from fixtures.context import ScenarioContext, given, then, when

WAIT_S = 10.0
# A flood of questions is answered one after the other, about a second each.
FLOOD_WAIT_S = 20.0
# A person waiting in line hears from the assistant at least this often (issue 19).
HEARS_EVERY_S = 1.0


@given("{count:d} other customers asked there just before {name}")
@given("{count:d} other customer asked there just before {name}")
async def step_others_asked_there(ctx: ScenarioContext, count: int, name: str) -> None:
    server = ctx.cast.person(name).chat.device_ws_urls["laptop"]
    others = [ctx.cast.person(f"Customer{i + 1}") for i in range(count)]
    for other in others:
        await other.attempts_to(SignUp(), SignIn())
        other.chat.device_ws_urls["laptop"] = server
        await other.attempts_to(OpenChat("laptop"))
    await waiting.ask_together(others)


@given(
    "{name} has just asked the assistant {count:d} questions at once, on the same server as {other}"
)
async def step_flooded_there(ctx: ScenarioContext, name: str, count: int, other: str) -> None:
    server = ctx.cast.person(other).chat.device_ws_urls["laptop"]
    flooder = ctx.cast.person(name)
    await flooder.attempts_to(SignUp(), SignIn())
    flooder.chat.device_ws_urls["laptop"] = server
    await flooder.attempts_to(OpenChat("laptop"))
    floods = getattr(ctx, "line_floods", {})
    floods[name] = await waiting.ask_many(flooder, count)
    ctx.line_floods = floods


@when('{name} asks "{question}" while the assistant is that busy')
async def step_ask_while_busy(ctx: ScenarioContext, name: str, question: str) -> None:
    ctx.outcome = await waiting.try_ask(ctx.cast.person(name), question)


@then("{name} is told she is number {position:d} in line, and then gets the answer")
async def step_told_place(ctx: ScenarioContext, name: str, position: int) -> None:
    person = ctx.cast.person(name)
    if isinstance(ctx.outcome, SendRefused):
        raise AssertionError(f"{name} was refused ({ctx.outcome.code}) instead of waiting in line")
    place = await waiting.place_in_line(person, WAIT_S)
    assert place == position, f"{name} was told her place in line is {place}, not {position}"
    assert await waiting.answered(person, WAIT_S), f"{name} waited in line but got no answer"


@then(
    "{name} hears her place in line at least once a second, never further back, until the "
    "assistant starts on her question and answers it"
)
async def step_hears_place(ctx: ScenarioContext, name: str) -> None:
    person = ctx.cast.person(name)
    if isinstance(ctx.outcome, SendRefused):
        raise AssertionError(f"{name} was refused ({ctx.outcome.code}) instead of waiting in line")
    assert await waiting.answered(person, FLOOD_WAIT_S), f"{name} waited in line but got no answer"
    wait = waiting.time_in_line(person.asked_last())
    places = wait.places
    assert len(places) > 1 and places[-1] < places[0], (
        f"{name}'s place never moved: {wait.describe()}"
    )
    assert places == sorted(places, reverse=True), f"{name} went back in line: {wait.describe()}"
    assert wait.longest_silence <= HEARS_EVERY_S, (
        f"{name} waited in line {wait.longest_silence:.2f} s without hearing anything "
        f"(at most {HEARS_EVERY_S:g} s): {wait.describe()}"
    )


@then("{name} is told the assistant is busy and when to ask again")
def step_told_busy(ctx: ScenarioContext, name: str) -> None:
    outcome = ctx.outcome
    if not isinstance(outcome, SendRefused):
        raise AssertionError(f"{name}'s question was taken although the line was full")
    refusals.expect_refused(outcome, "the assistant is busy", who=name)
    after = outcome.retry_after
    assert after is not None and 0 < after <= 60, f"{name} was told to retry after {after} s"


@then("{name} was told the assistant is busy for {count:d} of her questions")
def step_flood_refused(ctx: ScenarioContext, name: str, count: int) -> None:
    flood = ctx.line_floods[name]
    refused, asked = waiting.refused_busy(flood), len(flood)
    assert refused == count, (
        f"{name} was told the assistant is busy for {refused} of her {asked} questions, not {count}"
    )


@then("all of {name}'s questions that were taken are answered as well")
async def step_flood_answered(ctx: ScenarioContext, name: str) -> None:
    flood = ctx.line_floods[name]
    taken = len(flood) - waiting.refused_busy(flood)
    answered = await waiting.all_taken_answered(flood, FLOOD_WAIT_S)
    assert answered == taken, f"only {answered} of {name}'s {taken} questions taken were answered"


@then("nothing of {name}'s question was kept")
async def step_nothing_kept(ctx: ScenarioContext, name: str) -> None:
    threads = await ctx.cast.person(name).asks_for(TheirConversations())
    assert not threads, f"{name}'s refused question was kept: {len(threads)} conversation(s)"
