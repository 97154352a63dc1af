"""A busy service: waiting in line, being told to ask again, and being back to normal after a
rush."""

from __future__ import annotations

import asyncio
import time

from driver.actors import waiting
from driver.actors.actor import Actor
from driver.actors.questions import TheAnswer, TheirConversations
from driver.actors.tasks import OpenChat, SignIn, SignUp
from driver.client.errors import SendRefused
from driver.client.eventually import eventually
from driver.client.stream import RunStream
from driver.evidence.latency import NEVER, Series
from driver.oracle import refusals
from fixtures import crowds
from fixtures.context import ScenarioContext, given, then, when
from fixtures.performance_evidence import Measurements
from fixtures.security import stack_of
from harness.nothing_lost import Witness, check_nothing_lost
from load.promises import USUAL

WAIT_S = 10.0
# A flood of questions is answered one after the other, about a second each.
FLOOD_WAIT_S = 20.0
# A person waiting in line hears from the assistant at least this often (issue 19).
HEARS_EVERY_S = 1.0


@given("{count:d} other customers asked just before {name}")
@given("{count:d} other customer asked just before {name}")
async def step_others_asked_there(ctx: ScenarioContext, count: int, name: str) -> None:
    """That many other customers on the person's server each asked a question just before her."""
    server = ctx.cast.person(name).chat.url_of("laptop")
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
    """The person asks that many questions at once on the same server as another person."""
    server = ctx.cast.person(other).chat.url_of("laptop")
    flooder = ctx.cast.person(name)
    await flooder.attempts_to(SignUp(), SignIn())
    flooder.chat.device_ws_urls["laptop"] = server
    await flooder.attempts_to(OpenChat("laptop"))
    floods = getattr(ctx, "line_floods", {})
    floods[name] = await waiting.ask_many(flooder, count)
    ctx.line_floods = floods


@when('{name} asks "{question}" while the assistant is that busy')
async def step_ask_while_busy(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks a question while the assistant is busy with the others' questions."""
    ctx.outcome = await waiting.try_ask(ctx.cast.person(name), question)


@then("{name} is told she is number {position:d} in line, and then gets the answer")
async def step_told_place(ctx: ScenarioContext, name: str, position: int) -> None:
    """The person is told her place in the line, then gets her answer."""
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
    """While in line the person hears her place at least once a second, never further back."""
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
    """The person's question is refused as the assistant being busy, with a wait of at most a minute."""
    outcome = ctx.outcome
    if not isinstance(outcome, SendRefused):
        raise AssertionError(f"{name}'s question was taken although the line was full")
    refusals.expect_refused(outcome, "the assistant is busy", who=name)
    after = outcome.retry_after
    assert after is not None and 0 < after <= 60, f"{name} was told to retry after {after} s"


@then("{name} was told the assistant is busy for {count:d} of her questions")
def step_flood_refused(ctx: ScenarioContext, name: str, count: int) -> None:
    """Exactly that many of the person's questions were refused as the assistant being busy."""
    flood = ctx.line_floods[name]
    refused, asked = waiting.refused_busy(flood), len(flood)
    assert refused == count, (
        f"{name} was told the assistant is busy for {refused} of her {asked} questions, not {count}"
    )


@then("all of {name}'s questions that were taken are answered as well")
async def step_flood_answered(ctx: ScenarioContext, name: str) -> None:
    """Every question of the person's that was not refused gets its answer."""
    flood = ctx.line_floods[name]
    taken = len(flood) - waiting.refused_busy(flood)
    answered = await waiting.all_taken_answered(flood, FLOOD_WAIT_S)
    assert answered == taken, f"only {answered} of {name}'s {taken} questions taken were answered"


@then("nothing of {name}'s question was kept")
async def step_nothing_kept(ctx: ScenarioContext, name: str) -> None:
    """The person's refused question left no conversation behind."""
    threads = await ctx.cast.person(name).asks_for(TheirConversations())
    assert not threads, f"{name}'s refused question was kept: {len(threads)} conversation(s)"


# -- a rush bigger than the line
PROBE_EVERY_S = 0.6


async def _opens_on(person: Actor, server: str) -> None:
    person.chat.device_ws_urls["laptop"] = server
    await person.attempts_to(OpenChat("laptop"))


@given("{count:d} other customers have the chat open on the same server as {name}")
async def step_others_on_same_server(ctx: ScenarioContext, count: int, name: str) -> None:
    """That many other customers open the chat on the same server as the person."""
    server = ctx.cast.person(name).chat.url_of("laptop")
    # The performance scenarios' customers, signed up once per run (fixtures/crowds.py).
    ctx.rush_people = [c.person for c in await crowds.customers(ctx.cast, count)]
    await asyncio.gather(*(_opens_on(p, server) for p in ctx.rush_people))
    # They come back from earlier scenarios: what they had before, to see nothing is added.
    ctx.rush_kept_before = await _conversations(ctx.rush_people)


async def _conversations(people: list[Actor]) -> list[int]:
    return [
        len(t) for t in await asyncio.gather(*(p.asks_for(TheirConversations()) for p in people))
    ]


@when("they all ask the assistant at the same moment, more than it can take")
async def step_rush(ctx: ScenarioContext) -> None:
    """They all ask at the same moment, and the line cannot take every question."""
    ctx.rush_at = time.monotonic()
    ctx.rush = await waiting.ask_at_once(ctx.rush_people)
    refused = waiting.refused_busy(ctx.rush)
    assert refused, f"all {len(ctx.rush)} questions of the rush were taken: it was no rush"


@then(
    "within {seconds:g} seconds of that rush, the assistant starts on {name}'s questions as fast "
    "as usual"
)
async def step_back_to_usual(ctx: ScenarioContext, seconds: float, name: str) -> None:
    """The usual start is the promise for a hundred people at once (load/promises.py)."""
    person = ctx.cast.person(name)
    usual, deadline = USUAL.first_progress_p99_s, ctx.rush_at + seconds
    starts: list[waiting.Start] = []

    async def as_usual() -> waiting.Start:
        start = await waiting.how_it_starts(person, FLOOD_WAIT_S)
        starts.append(start)
        assert start.asked_at <= deadline, f"past the {seconds:g} s"
        assert start.seconds is not None and start.seconds <= usual, start.how
        return start

    try:
        await eventually(
            as_usual,
            timeout=max(0.0, deadline - time.monotonic()),
            # A person's question limit allows 10 at once, then one a second: one question every
            # 0.6 s stays within it for the whole wait (a refusal for asking too often is not
            # the service's recovery).
            interval=PROBE_EVERY_S,
            describe=f"{name}'s questions after the rush never started within the usual {usual:g} s",
        )
    finally:  # the evidence: when each question was asked, and how it started
        if starts:
            ctx.measurements = getattr(ctx, "measurements", None) or Measurements()
            asked = {f"asked {s.asked_at - ctx.rush_at:.2f} s after": s for s in starts}
            waits = {k: NEVER if s.seconds is None else s.seconds for k, s in asked.items()}
            how = {k: s.how for k, s in asked.items()}
            label = f"the start of {name}'s questions after the rush"
            ctx.measurements.add(Series(label, waits, usual, how, counted="questions"))
    answer = await person.asks_for(TheAnswer(FLOOD_WAIT_S))
    assert answer.type == "agent_completed", f"{name}'s question after the rush was not answered"


@then(
    "every question it took from the rush was answered, the others were told to ask again, "
    "and nothing was lost"
)
async def step_rush_nothing_lost(ctx: ScenarioContext) -> None:
    """Every question taken in the rush was answered, the rest refused as busy, and nothing lost."""
    rush: list[RunStream | SendRefused] = ctx.rush
    taken = [o for o in rush if isinstance(o, RunStream)]
    answered = await waiting.all_taken_answered(rush, FLOOD_WAIT_S)
    assert answered == len(taken), f"only {answered} of the {len(taken)} questions taken answered"
    kept_after = await _conversations(ctx.rush_people)
    outcomes = zip(ctx.rush_people, rush, ctx.rush_kept_before, kept_after, strict=True)
    for who, outcome, before, after in outcomes:
        if isinstance(outcome, SendRefused):
            refusals.expect_refused(outcome, "the assistant is busy", who=who.name)
            assert outcome.retry_after, f"{who.name} was refused without being told when to retry"
            assert after == before, f"{who.name}'s refused question was kept as a conversation"
    people = [Witness(p.name, p.user_id or "", p.acks()) for p in ctx.cast.people]
    lost = await check_nothing_lost(stack_of(ctx).database_url, people)
    assert not lost, "After the rush, something was lost:\n" + "\n".join(f"  - {f}" for f in lost)
