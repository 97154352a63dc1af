"""The operator's view: the service's live figures."""

from __future__ import annotations

from driver.actors.interactions import FigureReads, GrewBy, GrewInAllBy, See
from driver.actors.questions import TheFiguresOnceTheyShow
from driver.actors.tasks import OPERATOR, NoteTheFigures
from driver.client.contract import BAD_FRAME_CODES, EventType
from fixtures.context import ScenarioContext, given, then

ANSWERS = f"chat_events_sent_total{{type={EventType.AGENT_COMPLETED}}}"
FINISHED = "chat_run_duration_seconds_count{outcome=completed}"
FIRST_EVENTS = "chat_first_event_seconds_count"
OPEN_CHATS = "chat_open_connections"
# What a garbled message is refused as (the contract's codes for a bad frame).
GARBLED = tuple(f"chat_refusals_total{{reason={code}}}" for code in sorted(BAD_FRAME_CODES))


def operator_url(ctx: ScenarioContext) -> str:
    url = ctx.target.operator_url
    assert url is not None, "the operators' listener is unknown: run with -D operator_url=..."
    return url


@given("the operator has noted the service's figures")
async def step_note_figures(ctx: ScenarioContext) -> None:
    """The operator notes the service's live figures before the scenario acts."""
    await ctx.cast.person(OPERATOR).attempts_to(NoteTheFigures(operator_url(ctx)))


@then("the operator sees one more answer, one more finished question and one more first step")
async def step_one_more_answer(ctx: ScenarioContext) -> None:
    """The operator's counts of answers, finished questions and first steps each grew by exactly one."""
    counts = {ANSWERS: "answer", FINISHED: "finished question", FIRST_EVENTS: "first step"}
    grew = GrewBy(dict.fromkeys(counts, 1.0), counts)
    await ctx.cast.person(OPERATOR).should(
        See(TheFiguresOnceTheyShow(operator_url(ctx), grew), grew)
    )


@then("the operator sees {name}'s chat among the open chats")
async def step_open_chat(ctx: ScenarioContext, name: str) -> None:
    """The operator's figures show exactly one open chat: the person's."""
    # The scenario knows the state: on this server (the suite's own, nobody else's chats left
    # open by earlier scenarios), name's chat is the only one open.
    alone = FigureReads(OPEN_CHATS, 1.0, f"the open chats ({name}'s alone)")
    await ctx.cast.person(OPERATOR).should(
        See(TheFiguresOnceTheyShow(operator_url(ctx), alone), alone)
    )


@then("the operator sees {count:d} more refusals of garbled messages")
async def step_refusals(ctx: ScenarioContext, count: int) -> None:
    """The operator's figures show exactly that many more refusals of garbled messages."""
    refused = GrewInAllBy(GARBLED, count, "refusals of garbled messages")
    await ctx.cast.person(OPERATOR).should(
        See(TheFiguresOnceTheyShow(operator_url(ctx), refused), refused)
    )
