"""A busy service: waiting in line, being told to ask again, and being back to normal after a
rush."""

from __future__ import annotations

from driver.actors.questions import (
    HowManyTakenWereAnswered,
    HowManyWereRefusedAsBusy,
    HowManyWereTaken,
    TheAnswer,
    TheirConversations,
    TheirTimeInLine,
    TheNoted,
    ThePlaceInLine,
    TheRefusal,
    TheRefusals,
    WhetherTheyAreAnswered,
)
from driver.actors.tasks import (
    ASKED,
    ASKED_AT,
    ASKED_MANY,
    KEPT_BEFORE_THE_RUSH,
    QUESTION,
    RUSH,
    STARTS,
    Ask,
    AskManyAtOnce,
    AskUntilItStartsAsUsual,
    Everyone,
    OpenChatOn,
    SignIn,
    SignUp,
    TryToAsk,
)
from driver.client.contract import AGENT_COMPLETED
from driver.oracle import refusals
from fixtures import crowds
from fixtures.context import ScenarioContext, given, then, when
from fixtures.performance_evidence import Measurements
from fixtures.security import stack_of
from harness.nothing_lost import Witness, check_nothing_lost
from load.promises import USUAL

WAIT_S = 10.0
# A flood of questions is answered one after the other, half a second to a second each.
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
        await other.attempts_to(SignUp(), SignIn(), OpenChatOn(server))
    # Each asks at once; every question is acknowledged (they fit in the service's line).
    await Everyone(others).attempts_to(Ask(QUESTION))


@given(
    "{name} has just asked the assistant {count:d} questions at once, on the same server as {other}"
)
async def step_flooded_there(ctx: ScenarioContext, name: str, count: int, other: str) -> None:
    """The person asks that many questions at once on the same server as another person."""
    server = ctx.cast.person(other).chat.url_of("laptop")
    flooder = ctx.cast.person(name)
    # One signed up beforehand floods right after the flood before hers, while it still fills
    # the line (a sign-up takes longer than a question on a quick line).
    if flooder.tokens is None:
        await flooder.attempts_to(SignUp(), SignIn())
    await flooder.attempts_to(OpenChatOn(server), AskManyAtOnce(count))


@when('{name} asks "{question}" while the assistant is that busy')
async def step_ask_while_busy(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asks a question while the assistant is busy with the others' questions."""
    await ctx.cast.person(name).attempts_to(TryToAsk(question))


@then("{name} is told she is number {position:d} in line, and then gets the answer")
async def step_told_place(ctx: ScenarioContext, name: str, position: int) -> None:
    """The person is told her place in the line, then gets her answer."""
    person = ctx.cast.person(name)
    if (refusal := await person.asks_for(TheRefusal(ASKED))) is not None:
        raise AssertionError(f"{name} was refused ({refusal.code}) instead of waiting in line")
    place = await person.asks_for(ThePlaceInLine(WAIT_S))
    assert place == position, f"{name} was told her place in line is {place}, not {position}"
    answered = await person.asks_for(WhetherTheyAreAnswered(WAIT_S))
    assert answered, f"{name} waited in line but got no answer"


@then(
    "{name} hears her place in line at least once a second, never further back, until the "
    "assistant starts on her question and answers it"
)
async def step_hears_place(ctx: ScenarioContext, name: str) -> None:
    """While in line the person hears her place at least once a second, never further back."""
    person = ctx.cast.person(name)
    if (refusal := await person.asks_for(TheRefusal(ASKED))) is not None:
        raise AssertionError(f"{name} was refused ({refusal.code}) instead of waiting in line")
    answered = await person.asks_for(WhetherTheyAreAnswered(FLOOD_WAIT_S))
    assert answered, f"{name} waited in line but got no answer"
    wait = await person.asks_for(TheirTimeInLine())
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
async def step_told_busy(ctx: ScenarioContext, name: str) -> None:
    """The person's question is refused as the assistant being busy, with a wait of at most a minute."""
    refusal = await ctx.cast.person(name).asks_for(TheRefusal(ASKED))
    if refusal is None:
        raise AssertionError(f"{name}'s question was taken although the line was full")
    refusals.expect_refused(refusal, "the assistant is busy", who=name)
    after = refusal.retry_after
    assert after is not None and 0 < after <= 60, f"{name} was told to retry after {after} s"


@then("{name} was told the assistant is busy for {count:d} of her questions")
async def step_flood_refused(ctx: ScenarioContext, name: str, count: int) -> None:
    """Exactly that many of the person's questions were refused as the assistant being busy."""
    person = ctx.cast.person(name)
    refused = await person.asks_for(HowManyWereRefusedAsBusy(ASKED_MANY))
    flood = await person.asks_for(TheNoted(ASKED_MANY))
    asked = len(flood)
    assert refused == count, (
        f"{name} was told the assistant is busy for {refused} of her {asked} questions, not {count}"
    )


@then("all of {name}'s questions that were taken are answered as well")
async def step_flood_answered(ctx: ScenarioContext, name: str) -> None:
    """Every question of the person's that was not refused gets its answer."""
    person = ctx.cast.person(name)
    taken = await person.asks_for(HowManyWereTaken(ASKED_MANY))
    answered = await person.asks_for(HowManyTakenWereAnswered(ASKED_MANY, FLOOD_WAIT_S))
    assert answered == taken, f"only {answered} of {name}'s {taken} questions taken were answered"


@then("nothing of {name}'s question was kept")
async def step_nothing_kept(ctx: ScenarioContext, name: str) -> None:
    """The person's refused question left no conversation behind."""
    threads = await ctx.cast.person(name).asks_for(TheirConversations())
    assert not threads, f"{name}'s refused question was kept: {len(threads)} conversation(s)"


# -- a rush bigger than the line
PROBE_EVERY_S = 0.6


@given("{count:d} other customers have the chat open on the same server as {name}")
async def step_others_on_same_server(ctx: ScenarioContext, count: int, name: str) -> None:
    """That many other customers open the chat on the same server as the person."""
    server = ctx.cast.person(name).chat.url_of("laptop")
    # The performance scenarios' customers, signed up once per run (fixtures/crowds.py).
    rush = ctx.cast.notes.write(RUSH, await crowds.customers(ctx.cast, count))
    await Everyone(rush).attempts_to(OpenChatOn(server))
    # They come back from earlier scenarios: what they had before, to see nothing is added.
    before = await Everyone(rush).asks_for(TheirConversations())
    ctx.cast.notes.write(KEPT_BEFORE_THE_RUSH, {who: len(t) for who, t in before.items()})


@when("they all ask the assistant at the same moment, more than it can take")
async def step_rush(ctx: ScenarioContext) -> None:
    """They all ask at the same moment, and the line cannot take every question."""
    rush = Everyone(ctx.cast.notes.read(RUSH))
    await rush.attempts_to(TryToAsk())
    refused = sum((await rush.asks_for(HowManyWereRefusedAsBusy(ASKED))).values())
    assert refused, f"all {len(rush.people)} questions of the rush were taken: it was no rush"


@then(
    "within {seconds:g} seconds of that rush, the assistant starts on {name}'s questions as fast "
    "as usual"
)
async def step_back_to_usual(ctx: ScenarioContext, seconds: float, name: str) -> None:
    """The usual start is the promise for a hundred people at once (load/promises.py)."""
    person = ctx.cast.person(name)
    rush_at = min((await Everyone(ctx.cast.notes.read(RUSH)).asks_for(TheNoted(ASKED_AT))).values())
    usual = USUAL.first_progress_p99_s
    try:
        await person.attempts_to(
            AskUntilItStartsAsUsual(
                usual=usual,
                until=rush_at + seconds,
                # A person's question limit allows 10 at once, then one a second: one question
                # every 0.6 s stays within it for the whole wait (a refusal for asking too often
                # is not the service's recovery).
                every=PROBE_EVERY_S,
                within=FLOOD_WAIT_S,
                describe=f"{name}'s questions after the rush never started within the usual "
                f"{usual:g} s",
            )
        )
    finally:  # the evidence: when each question was asked, and how it started
        starts = await person.asks_for(TheNoted(STARTS))
        if starts:
            ctx.measurements = getattr(ctx, "measurements", None) or Measurements()
            asked = {f"asked {s.asked_at - rush_at:.2f} s after": s for s in starts}
            ctx.measurements.waits(
                f"the start of {name}'s questions after the rush",
                {k: s.seconds for k, s in asked.items()},
                usual,
                {k: s.how for k, s in asked.items()},
                counted="questions",
            )
    answer = await person.asks_for(TheAnswer(FLOOD_WAIT_S))
    assert answer.type == AGENT_COMPLETED, f"{name}'s question after the rush was not answered"


@then(
    "every question it took from the rush was answered, the others were told to ask again, "
    "and nothing was lost"
)
async def step_rush_nothing_lost(ctx: ScenarioContext) -> None:
    """Every question taken in the rush was answered, the rest refused as busy, and nothing lost."""
    rush = Everyone(ctx.cast.notes.read(RUSH))
    taken = sum((await rush.asks_for(HowManyWereTaken(ASKED))).values())
    answered = sum((await rush.asks_for(HowManyTakenWereAnswered(ASKED, FLOOD_WAIT_S))).values())
    assert answered == taken, f"only {answered} of the {taken} questions taken answered"
    before = ctx.cast.notes.read(KEPT_BEFORE_THE_RUSH)
    after = {who: len(t) for who, t in (await rush.asks_for(TheirConversations())).items()}
    for who, (refusal,) in (await rush.asks_for(TheRefusals(ASKED))).items():
        if refusal is not None:
            refusals.expect_refused(refusal, "the assistant is busy", who=who)
            assert refusal.retry_after, f"{who} was refused without being told when to retry"
            assert after[who] == before[who], f"{who}'s refused question was kept as a conversation"
    people = [Witness(p.name, p.user_id or "", p.acks()) for p in ctx.cast.people]
    lost = await check_nothing_lost(stack_of(ctx).database_url, people)
    assert not lost, "After the rush, something was lost:\n" + "\n".join(f"  - {f}" for f in lost)
