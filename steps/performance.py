"""Speed and memory with many people at once, held to the product's budgets.

Every wait is measured from what the person did (driver/evidence/latency.py); what a step measured goes
to `ctx.measurements`, which after_scenario attaches as a chart and a table. The crowd is what the
scene remembers (`CROWD` on the cast's notepad); each person remembers their own waits.
"""

from __future__ import annotations

import math
from collections import Counter

from driver.actors.questions import (
    HowMuchOfHerReadingWasWhileTheyWaited,
    HowTheirQuestionEnded,
    TheAnswer,
    TheirConversations,
    TheMessages,
    TheNoted,
    TheWaitsOfTheirQuestion,
    Waits,
    WhatTheSearchFinds,
    WhichOfTheirChatsAreSilent,
)
from driver.actors.tasks import (
    CHAT_OPENED_AFTER,
    CHATS_KEPT_OPEN,
    CROWD,
    IDLE_CROWD,
    LEFT_AT,
    QUESTION_ENDED_BY,
    READ_WHILE_THEY_ASKED,
    SERVICE_MEMORY_WITH_IDLE_CHATS,
    TIMED_READS,
    Ask,
    AskAboutTheirSpend,
    Everyone,
    KeepChatsOpen,
    LeaveTheChat,
    OpenChatTimed,
    ReadTimed,
    ReadWhileTheyAsk,
    SignIn,
    SignUp,
    WaitUntilTheirQuestionEnds,
)
from fixtures import crowds
from fixtures.cast import SEARCH_FOUND
from fixtures.context import ScenarioContext, given, then, when
from fixtures.memory_watch import MB, MemoryWatch, watch_service_memory
from fixtures.performance_evidence import Measurements, Series
from fixtures.security import stack_of
from harness import busy_account
from load.promises import READING_S, promise_for

# How long a Then waits for every answer (the seed plans' minute) before judging the waits
# against the promise (load/promises.py, the one place `make load` reads too).
ANSWER_BUDGET_S = 60.0
LEAVING_SETTLES_S = 10.0


def _measurements(ctx: ScenarioContext) -> Measurements:
    measurements: Measurements | None = getattr(ctx, "measurements", None)
    if measurements is None:
        measurements = ctx.measurements = Measurements()
    return measurements


def _held(series: Series, part: int = 1, whole: int = 1) -> None:
    """At least `part` in `whole` of the waits are within the budget."""
    share = series.share_within_budget()
    over = series.over_budget()
    p99 = series.figures.p99
    assert share >= part / whole, (
        f"{len(over)} of {len(series.seconds)} {series.counted} waited longer than "
        f"{series.budget:g} s for {series.label} (allowed: {whole - part} in {whole}); p99 "
        f"{'never' if math.isinf(p99) else f'{p99:.2f} s'}; longest: {series.worst()}"
    )


def _crowd(ctx: ScenarioContext) -> Everyone:
    return Everyone(ctx.cast.notes.read(CROWD))


async def _waits(ctx: ScenarioContext) -> dict[str, Waits]:
    """Once every question has ended (a late first step then shows as its real wait, not
    "never"), the waits of everyone in the crowd who asked."""
    await _crowd(ctx).attempts_to(WaitUntilTheirQuestionEnds(ANSWER_BUDGET_S))
    waits = await _crowd(ctx).asks_for(TheWaitsOfTheirQuestion())
    return {who: w for who, w in waits.items() if w is not None}


# -- many people
@given("{count:d} customers of different companies have signed up, each with their own usage")
async def step_customers(ctx: ScenarioContext, count: int) -> None:
    """That many customers of different companies have signed up, each with usage of their own."""
    ctx.cast.notes.write(CROWD, await crowds.customers(ctx.cast, count))


@given("{count:d} customers of different companies have the chat open, each with their own usage")
async def step_customers_online(ctx: ScenarioContext, count: int) -> None:
    """That many customers of different companies, each with their own usage, have the chat open."""
    ctx.cast.notes.write(CROWD, await crowds.customers(ctx.cast, count))
    await _crowd(ctx).attempts_to(OpenChatTimed())


@given("{people:d} of them keep {tabs:d} chats open each, without asking")
async def step_idle_chats(ctx: ScenarioContext, people: int, tabs: int) -> None:
    """That many of the crowd open that many chats each and leave them open without asking."""
    everyone = ctx.cast.notes.read(CROWD)
    idle = ctx.cast.notes.write(IDLE_CROWD, everyone[:people])
    ctx.cast.notes.write(CROWD, everyone[people:])
    await Everyone(idle).attempts_to(KeepChatsOpen(tabs))
    if (watch := getattr(ctx, "memory", None)) is not None:
        ctx.cast.notes.write(SERVICE_MEMORY_WITH_IDLE_CHATS, watch.rss())


@given("the other {count:d} have the chat open")
async def step_others_online(ctx: ScenarioContext, count: int) -> None:
    """The rest of the crowd open the chat at the same moment."""
    left = len(ctx.cast.notes.read(CROWD))
    assert left == count, f"{left} customers are left, not {count}"
    await _crowd(ctx).attempts_to(OpenChatTimed())


@when("they all open the chat at the same time")
async def step_all_open(ctx: ScenarioContext) -> None:
    """Everyone in the crowd opens the chat at the same moment."""
    await _crowd(ctx).attempts_to(OpenChatTimed())


@then(
    "every one of them has the chat open within the time promised when {people:d} open it at once"
)
async def step_open_within(ctx: ScenarioContext, people: int) -> None:
    """Everyone had the chat open within the time promised for a crowd that size (charted)."""
    seconds = promise_for(people).chat_open_p99_s
    opening = await _crowd(ctx).asks_for(TheNoted(CHAT_OPENED_AFTER))
    _held(_measurements(ctx).waits("opening the chat", opening, seconds))


@then(
    "{part:d} in {whole:d} of them see the assistant start within the time promised when "
    "{people:d} ask at once"
)
@then(
    "{part:d} in {whole:d} of them see the assistant start within {times:d} times the time "
    "promised when {people:d} ask at once"
)
async def step_progress_within(
    ctx: ScenarioContext, part: int, whole: int, people: int, times: int = 1
) -> None:
    """At least that share of the crowd saw the assistant start within (a multiple of) the promise."""
    seconds = times * promise_for(people).first_progress_p99_s
    waits = await _waits(ctx)
    series = _measurements(ctx).waits(
        "first progress",
        {who: w.first_progress for who, w in waits.items()},
        seconds,
        {who: f"then {w.where_it_stopped}" for who, w in waits.items()},
    )
    _held(series, part, whole)


@then(
    "every one of them is told their own company's spend, {part:d} in {whole:d} within the time "
    "promised when {people:d} ask at once"
)
@then(
    "every one of them is told their own company's spend, {part:d} in {whole:d} within {times:d} "
    "times the time promised when {people:d} ask at once"
)
async def step_answered_within(
    ctx: ScenarioContext, part: int, whole: int, people: int, times: int = 1
) -> None:
    """Everyone was told their own company's spend, that share within (a multiple of) the promise."""
    seconds = times * promise_for(people).answer_p99_s
    waits = await _waits(ctx)
    series = _measurements(ctx).waits(
        "the answer",
        {who: w.answer for who, w in waits.items()},
        seconds,
        {who: w.where_it_stopped for who, w in waits.items()},
    )
    fates = Counter((await _crowd(ctx).asks_for(HowTheirQuestionEnded())).values())
    everyone = len(ctx.cast.notes.read(CROWD))
    assert fates == {"answered": everyone}, (
        f"not everyone was told their own spend: {dict(fates)}; longest: {series.worst()}"
    )
    _held(series, part, whole)


@then(
    "none of them waits between two steps of their answer longer than promised when "
    "{people:d} ask at once"
)
async def step_no_long_pause(ctx: ScenarioContext, people: int) -> None:
    """Nobody in the crowd waited between two steps of their answer longer than promised."""
    seconds = promise_for(people).longest_silence_s
    waits = await _waits(ctx)
    measured = _measurements(ctx)
    measured.waits("first progress", {who: w.first_progress for who, w in waits.items()})
    measured.waits("the answer", {who: w.answer for who, w in waits.items()})
    pauses = measured.waits(
        "the longest pause between two steps",
        {who: w.longest_pause for who, w in waits.items()},
        seconds,
        {who: w.longest_pause_between for who, w in waits.items()},
    )
    _held(pauses)


# -- a busy account's history
@given("{name} has had {count:n} conversations with the assistant")
async def step_busy_account(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person has had that many conversations with the assistant (one real, the rest copies)."""
    person = ctx.cast.person(name)
    await person.attempts_to(SignUp(), SignIn(), Ask("How can we cut our model spend?"))
    await person.asks_for(TheAnswer(ANSWER_BUDGET_S))
    assert person.current_thread is not None
    database = stack_of(ctx).database_url
    await busy_account.copy_conversation(database, person.current_thread, count - 1)


@when("{name} opens her conversation history {times:d} times")
async def step_open_history_times(ctx: ScenarioContext, name: str, times: int) -> None:
    """The person opens her conversation history that many times, each one timed."""
    person = ctx.cast.spotlight_on(name)
    await person.attempts_to(ReadTimed("opening the history", TheirConversations(), times))


@when("{name} opens her latest conversation {times:d} times")
async def step_open_conversation_times(ctx: ScenarioContext, name: str, times: int) -> None:
    """The person opens her latest conversation's messages that many times, each one timed."""
    person = ctx.cast.spotlight_on(name)
    await person.attempts_to(ReadTimed("opening her conversation", TheMessages(), times))


@when('{name} searches her history for "{words}" {times:d} times')
async def step_search_times(ctx: ScenarioContext, name: str, words: str, times: int) -> None:
    """The person searches her history for those words that many times, each one timed."""
    person = ctx.cast.spotlight_on(name)
    ctx.cast.notes.write(SEARCH_FOUND, await person.asks_for(WhatTheSearchFinds(words)))
    await person.attempts_to(
        ReadTimed(f'searching for "{words}"', WhatTheSearchFinds(words), times)
    )


@then("it opens in under {ms:d} milliseconds, {part:d} times in {whole:d}")
@then("it answers in under {ms:d} milliseconds, {part:d} times in {whole:d}")
async def step_history_within(ctx: ScenarioContext, ms: int, part: int, whole: int) -> None:
    """What the person read answered within the milliseconds given at least that share of the times."""
    read = await ctx.cast.in_the_spotlight().asks_for(TheNoted(TIMED_READS))
    waits = {f"{n}": s for n, s in enumerate(read.waits, start=1)}
    _held(_measurements(ctx).waits(read.what, waits, ms / 1000, counted="times"), part, whole)


@then("it lists her latest conversation first")
async def step_latest_first(ctx: ScenarioContext) -> None:
    """The person's history lists her latest conversation first."""
    person = ctx.cast.in_the_spotlight()
    threads = await person.asks_for(TheirConversations())
    assert threads and threads[0].thread_id == person.current_thread, (
        f"{person.name}'s history does not start with her latest conversation "
        f"{person.current_thread}: {[t.thread_id for t in threads[:3]]}"
    )


@then("every one of the {count:d} idle chats is still open and answers within {seconds:g} seconds")
async def step_idle_answer(ctx: ScenarioContext, count: int, seconds: float) -> None:
    """Every idle chat is still open and answers a ping within the time given."""
    idle = Everyone(ctx.cast.notes.read(IDLE_CROWD))
    opened = sum(len(chats) for chats in (await idle.asks_for(TheNoted(CHATS_KEPT_OPEN))).values())
    assert opened == count, f"{opened} idle chats were opened, not {count}"
    silent_by_person = await idle.asks_for(WhichOfTheirChatsAreSilent(seconds))
    silent = [chat for chats in silent_by_person.values() for chat in chats]
    assert not silent, (
        f"{len(silent)} of {count} idle chats were closed or did not answer within "
        f"{seconds:g} s; the first: {silent[0]}"
    )


@then("the idle chats cost the service less than {kb:g} KB each")
async def step_idle_memory(ctx: ScenarioContext, kb: float) -> None:
    """The service grew by less than the KB given for each idle chat opened."""
    watch: MemoryWatch = ctx.memory
    idle = Everyone(ctx.cast.notes.read(IDLE_CROWD))
    chats = sum(len(c) for c in (await idle.asks_for(TheNoted(CHATS_KEPT_OPEN))).values())
    rss = ctx.cast.notes.read(SERVICE_MEMORY_WITH_IDLE_CHATS)
    per_chat = (rss - watch.baseline) / chats / 1024
    _record_memory(ctx, {"per idle chat": f"{per_chat:.1f} KB"})
    assert per_chat < kb, (
        f"with {chats} idle chats open the service grew from {watch.baseline / MB:.1f} "
        f"MB to {rss / MB:.1f} MB: {per_chat:.1f} KB for each, over {kb:g} KB"
    )


# -- memory
@given("the service's memory is being watched")
def step_watch_memory(ctx: ScenarioContext) -> None:
    """The service's memory use is sampled from now on, against its starting point."""
    ctx.memory = watch_service_memory(ctx)


@when("they all open the chat, ask about their spend and leave once answered")
async def step_visit(ctx: ScenarioContext) -> None:
    """Everyone in the crowd opens the chat, asks about their spend and leaves once answered."""
    await _crowd(ctx).attempts_to(
        OpenChatTimed(),
        AskAboutTheirSpend(),
        WaitUntilTheirQuestionEnds(ANSWER_BUDGET_S),
        LeaveTheChat(),
    )


@then("while they were there, the service needed less than {mb:g} MB for each open chat")
async def step_memory_per_chat(ctx: ScenarioContext, mb: float) -> None:
    """While the crowd was there, the service grew by less than the MB given per open chat."""
    watch: MemoryWatch = ctx.memory
    everyone = _crowd(ctx)
    all_ended_at = max((await everyone.asks_for(TheNoted(QUESTION_ENDED_BY))).values())
    left_at = max((await everyone.asks_for(TheNoted(LEFT_AT))).values())
    watch.mark("all answered", all_ended_at)
    watch.mark("all left", left_at)
    peak = watch.peak(until=left_at)
    per_chat = (peak - watch.baseline) / len(everyone.people) / MB
    _record_memory(ctx, {"peak": f"{peak / MB:.1f} MB", "per open chat": f"{per_chat:.2f} MB"})
    assert per_chat < mb, (
        f"with {len(everyone.people)} open chats the service grew from {watch.baseline / MB:.0f} MB to "
        f"{peak / MB:.0f} MB: {per_chat:.1f} MB for each, over {mb:g} MB"
    )


@then("after they left, the service's memory went back to within {mb:g} MB of where it was")
async def step_memory_back(ctx: ScenarioContext, mb: float) -> None:
    """Once the crowd left, the service's memory came back to within the MB given of its start."""
    watch: MemoryWatch = ctx.memory
    try:
        await watch.back_within(mb * MB, within=LEAVING_SETTLES_S)
    finally:
        after = watch.rss()
        _record_memory(ctx, {"after they left": f"{after / MB:.1f} MB"})


def _record_memory(ctx: ScenarioContext, figures: dict[str, str]) -> None:
    watch: MemoryWatch = ctx.memory
    measured = _measurements(ctx)
    known = measured.memory.figures if measured.memory is not None else {}
    everything = {"baseline": f"{watch.baseline / MB:.1f} MB", **known, **figures}
    measured.memory = watch.evidence(everything)


# -- reading a busy account while a crowd asks (issue 21)
@when(
    "they all ask the assistant about their spend while {name} opens her history, her latest "
    'conversation and searches for "{words}", {rounds:d} times each'
)
async def step_read_while_crowd_asks(
    ctx: ScenarioContext, name: str, words: str, rounds: int
) -> None:
    """The crowd asks at once while the person reads her history, conversation and search, each timed."""
    person = ctx.cast.spotlight_on(name)
    reading = ReadWhileTheyAsk(
        {
            "opening the history": TheirConversations(),
            "opening her conversation": TheMessages(),
            f'searching for "{words}"': WhatTheSearchFinds(words),
        },
        rounds,
        ctx.cast.notes.read(CROWD),
    )
    await person.attempts_to(reading)


@then(
    "{name}'s history, her conversation and her search each answered within {times:d} times the "
    "{ms:d} milliseconds promised, {part:d} times in {whole:d}, while they were asking"
)
async def step_read_within_while_crowd(
    ctx: ScenarioContext, name: str, times: int, ms: int, part: int, whole: int
) -> None:
    """Each read answered within the multiple of the promise that share of the times, timed while the crowd's questions ran."""
    assert ms / 1000 == READING_S, f"the promise is {READING_S * 1000:g} ms, not {ms} ms"
    person, crowd = ctx.cast.person(name), ctx.cast.notes.read(CROWD)
    await Everyone(crowd).attempts_to(WaitUntilTheirQuestionEnds(ANSWER_BUDGET_S))
    during = await person.asks_for(HowMuchOfHerReadingWasWhileTheyWaited(crowd))
    # Most of the reading must have happened while someone was still waiting for an answer.
    assert during >= 0.5, (
        f"{name} read mostly after the crowd was answered ({during:.0%} of it while they waited)"
    )
    measurements = _measurements(ctx)
    for label, seconds in (await person.asks_for(TheNoted(READ_WHILE_THEY_ASKED))).waits.items():
        waits = {f"{n}": s for n, s in enumerate(seconds, start=1)}
        series = measurements.waits(
            f"{label} (crowd asking)", waits, times * READING_S, counted="times"
        )
        _held(series, part, whole)
