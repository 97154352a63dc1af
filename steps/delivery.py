"""Never missing a step: catching up, asking twice, every way a question ends, many people."""

from __future__ import annotations

import asyncio
import uuid

from driver.actors.interactions import (
    CaughtUpOnceInOrder,
    Failed,
    HoldsOnlyTheirOwnQuestionAndAnswer,
    KeepsWhatTheySaw,
    SawOnlyTheirOwnProgressAndSpend,
    See,
    ToldAlreadyArrived,
)
from driver.actors.questions import (
    TheAnswer,
    TheAnswerOn,
    TheAnswersMissingOn,
    TheAnswerText,
    TheCatchUpOn,
    TheChatOn,
    TheEvent,
    TheEventOfTool,
    TheMessages,
    TheNoted,
    TheRecordBesideWhatTheySaw,
    TheStepsNotOnceInOrderOn,
    TheStepsSeenOn,
    TheStepsSentAfterCatchingUp,
    WhatWasStoredForThem,
)
from driver.actors.tasks import (
    CATCH_UP_ANSWER,
    CROWD,
    REPEAT_CONFIRMATION,
    Ask,
    AskAboutTheirSpend,
    AskAndLoseTheConfirmation,
    Everyone,
    GoOffline,
    OpenChat,
    Reconnect,
    ReconnectTo,
    SendTheSameQuestionAgain,
    SendTheUnconfirmedAgain,
    SettleIn,
    TryToCatchUp,
    WaitUntilRecorded,
    WaitUntilTheAnswerIsStored,
    customers_of,
)
from driver.client.contract import ControlType, EventType, RunError
from driver.oracle import refusals
from fixtures import balancing, security
from fixtures.context import ScenarioContext, given, then, when
from harness.servers import forget_short_term_copy, servers_of

ANSWER_TIMEOUT_S = 15.0
COPY_LOSSES = {"time limit": 0, "size limit": 2}  # events of the short-term copy that remain


# -- asking while the connection misbehaves
@given('{name} asked "{question}" and her {device:DeviceName} lost its connection right away')
async def step_asked_then_offline(
    ctx: ScenarioContext, name: str, question: str, device: str
) -> None:
    """The person asked a question on a device that lost its connection right after."""
    person = ctx.cast.person(name)
    await person.attempts_to(Ask(question, device=device), GoOffline(device))


@given('{name} asked "{question}" and her {device:DeviceName} saw the assistant start checking it')
async def step_asked_saw_triage(
    ctx: ScenarioContext, name: str, question: str, device: str
) -> None:
    """The person asked a question on a device and saw the assistant start checking it."""
    person = ctx.cast.person(name)
    await person.attempts_to(Ask(question, device=device))
    await person.asks_for(TheEvent(EventType.TOOL_EXECUTING))


@given('{name} asked "{question}" and her {device:DeviceName} saw her usage being read')
async def step_asked_saw_usage(ctx: ScenarioContext, name: str, question: str, device: str) -> None:
    """The person asked a question on a device and saw her usage being read."""
    person = ctx.cast.person(name)
    await person.attempts_to(Ask(question, device=device))
    await person.asks_for(TheEventOfTool(EventType.TOOL_EXECUTING, "usage_report"))


@given('{name} has asked "{question}" on her {device:DeviceName} and received the answer')
async def step_asked_on_device(ctx: ScenarioContext, name: str, question: str, device: str) -> None:
    """The person has asked a question on a device and received the answer."""
    person = ctx.cast.person(name)
    await person.attempts_to(Ask(question, device=device))
    await person.asks_for(TheAnswer(ANSWER_TIMEOUT_S))


@given("{name} has asked {count:d} questions on her {device:DeviceName} and received every answer")
async def step_asked_many(ctx: ScenarioContext, name: str, count: int, device: str) -> None:
    """The person has asked that many questions on a device, one after the other, each answered."""
    person = ctx.cast.person(name)
    for number in range(1, count + 1):
        await person.attempts_to(
            Ask(f"How can we cut our model spend? (question {number})", device=device)
        )
        await person.asks_for(TheAnswer(ANSWER_TIMEOUT_S))


@given("the assistant has since started reading {name}'s usage")
async def step_assistant_moved_on(ctx: ScenarioContext, name: str) -> None:
    """The assistant has since started reading the person's usage (it is on record)."""
    recorded = WaitUntilRecorded(EventType.TOOL_EXECUTING, tool="usage_report")
    await ctx.cast.person(name).attempts_to(recorded)


@given("the answer is already in {name}'s history")
async def step_answer_in_history(ctx: ScenarioContext, name: str) -> None:
    """The answer to the person's last question is already stored in her history."""
    await ctx.cast.person(name).attempts_to(WaitUntilTheAnswerIsStored(ANSWER_TIMEOUT_S))


@given("{name}'s laptop stayed away past the {what} of what is kept for a quick catch-up")
def step_copy_lost(ctx: ScenarioContext, name: str, what: str) -> None:
    """The quick catch-up copy of the person's question lost what passed its time or size limit."""
    run = ctx.cast.person(name).asked_last()
    forget_short_term_copy(security.stack_of(ctx), run.run_id, keep=COPY_LOSSES[what])


# -- catching up
@then(
    "{name}'s {device:DeviceName} catches up on the several steps it missed, once each and in order"
)
async def step_caught_up_several(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device catches up on at least two missed steps, each once and in order."""
    await ctx.cast.person(name).should(See(TheCatchUpOn(device), CaughtUpOnceInOrder(several=True)))


@then(
    "{name}'s {device:DeviceName} catches up on every missed step, once each and in order, "
    "ending with the answer"
)
async def step_caught_up_to_answer(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device catches up on every missed step, each once and in order, up to the answer."""
    person = ctx.cast.person(name)
    final = await person.asks_for(TheAnswerOn(device))
    assert final.type == EventType.AGENT_COMPLETED, (
        f"{name}'s {device} ended with {final.describe()}"
    )
    await person.should(See(TheCatchUpOn(device), CaughtUpOnceInOrder()))


@then("{name}'s {device:DeviceName} is sent nothing it had already seen")
async def step_sent_nothing_again(ctx: ScenarioContext, name: str, device: str) -> None:
    """On catching up, the device is sent no step it had already seen."""
    caught_up = CaughtUpOnceInOrder(nothing_again=True)
    await ctx.cast.person(name).should(See(TheCatchUpOn(device), caught_up))


@then("{name}'s {device:DeviceName} then follows the assistant live until the answer")
async def step_follows_live(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device follows the rest of the answer live, ending with the answer, nothing repeated."""
    person = ctx.cast.person(name)
    final = await person.asks_for(TheAnswerOn(device))
    assert final.type == EventType.AGENT_COMPLETED, (
        f"{name}'s {device} ended with {final.describe()}"
    )
    await person.should(See(TheCatchUpOn(device), CaughtUpOnceInOrder()))


@when("{name}'s app asks to catch up on a question that does not exist")
async def step_resume_unknown(ctx: ScenarioContext, name: str) -> None:
    """The person's app asks to catch up on a question that never existed."""
    await ctx.cast.spotlight_on(name).attempts_to(TryToCatchUp(str(uuid.uuid4())))


@when("{name}'s app asks to catch up on {owner}'s question")
async def step_resume_someone_elses(ctx: ScenarioContext, name: str, owner: str) -> None:
    """The person's app asks to catch up on another person's question."""
    run_id = ctx.cast.person(owner).asked_last().run_id
    await ctx.cast.spotlight_on(name).attempts_to(TryToCatchUp(run_id))


@when("{name}'s {device:DeviceName} reconnects claiming more steps than the assistant took")
async def step_resume_beyond(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device reconnects saying it saw more steps than the assistant has taken."""
    person = ctx.cast.spotlight_on(name)
    run = person.asked_last()
    beyond = len(run.events) + 5
    await person.attempts_to(TryToCatchUp(run.run_id, beyond, device))


@then("{name} is told there is no such question to catch up on")
async def step_no_such_question(ctx: ScenarioContext, name: str) -> None:
    """The person is refused: there is no such conversation to catch up on."""
    answer = await ctx.cast.person(name).asks_for(TheNoted(CATCH_UP_ANSWER))
    refusals.expect_refused(answer, "there is no such conversation", who=name)


@then("{name}'s {device:DeviceName} is asked to reload the conversation")
async def step_asked_to_reload(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device is told to reload the conversation instead of catching up."""
    answer = await ctx.cast.person(name).asks_for(TheNoted(CATCH_UP_ANSWER))
    kind = answer.get("type") if isinstance(answer, dict) else answer
    assert kind == ControlType.RESYNC_REQUIRED, (
        f"{name}'s {device} was answered {kind}, not a reload"
    )


@then("{name} is sent no steps")
@then("{name} is sent none of {owner}'s steps")
async def step_sent_no_steps(ctx: ScenarioContext, name: str, owner: str | None = None) -> None:
    """The person who asked to catch up was sent no step of that question."""
    asker = ctx.cast.in_the_spotlight()
    sent = await asker.asks_for(TheStepsSentAfterCatchingUp())
    assert not sent, f"{asker.name} was sent {len(sent)} steps of that question: {sent[:3]}"


# -- asking twice
@given('{name} asked "{question}" but lost the connection before it was confirmed')
async def step_lost_confirmation(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asked a question but lost the connection before it was confirmed."""
    await ctx.cast.person(name).attempts_to(AskAndLoseTheConfirmation(question))


@when("{name} reconnects and sends the same question again")
async def step_send_again_after_reconnect(ctx: ScenarioContext, name: str) -> None:
    """The person reconnects and sends the unconfirmed question again."""
    await ctx.cast.person(name).attempts_to(SendTheUnconfirmedAgain())


@when("{name} sends the same question again")
async def step_send_again(ctx: ScenarioContext, name: str) -> None:
    """The person sends her last question again."""
    await ctx.cast.person(name).attempts_to(SendTheSameQuestionAgain())


@then("{name} is told the question had already arrived")
async def step_told_duplicate(ctx: ScenarioContext, name: str) -> None:
    """The person is told her repeated question had already arrived."""
    repeat = TheNoted(REPEAT_CONFIRMATION)
    await ctx.cast.person(name).should(See(repeat, ToldAlreadyArrived()))


@then("{name} is told the question had already arrived, with the same confirmation as before")
async def step_told_same_duplicate(ctx: ScenarioContext, name: str) -> None:
    """The repeat is confirmed as already arrived, with the same conversation, message and answer."""
    same = ToldAlreadyArrived(same_as_before=True)
    await ctx.cast.person(name).should(See(TheNoted(REPEAT_CONFIRMATION), same))


@then("{name} gets the answer")
async def step_gets_answer(ctx: ScenarioContext, name: str) -> None:
    """The person gets the assistant's answer."""
    final = await ctx.cast.person(name).asks_for(TheAnswer(ANSWER_TIMEOUT_S))
    assert final.type == EventType.AGENT_COMPLETED, f"{name} was not answered: {final.describe()}"


@then("{name}'s conversation holds her question once, followed by one answer")
async def step_question_once(ctx: ScenarioContext, name: str) -> None:
    """The person's conversation holds her question exactly once, followed by one answer."""
    person = ctx.cast.person(name)
    await person.asks_for(TheAnswer(ANSWER_TIMEOUT_S))
    said = [(m.role, m.text) for m in await person.asks_for(TheMessages())]
    expected = [
        ("user", person.asked_last().question),
        ("assistant", await person.asks_for(TheAnswerText())),
    ]
    assert said == expected, f"{name}'s conversation holds {said}, expected {expected}"


# -- every way a question ends
@then("{name} is told the assistant could not read her usage data")
async def step_told_tool_failed(ctx: ScenarioContext, name: str) -> None:
    """The person is told the assistant could not read her usage data."""
    failed = Failed(RunError.TOOL_FAILED, mentioning="usage")
    await ctx.cast.person(name).should(See(TheAnswer(ANSWER_TIMEOUT_S), failed))


@then("{name} is told the assistant ran out of time")
async def step_told_timeout(ctx: ScenarioContext, name: str) -> None:
    """The person is told the assistant ran out of time."""
    failed = Failed(RunError.TIMEOUT)
    await ctx.cast.person(name).should(See(TheAnswer(ANSWER_TIMEOUT_S), failed))


@then("the record of {name}'s question shows the failed step")
async def step_record_failed_step(ctx: ScenarioContext, name: str) -> None:
    """The stored record of the person's question matches what she saw and shows the failed step."""
    kept = KeepsWhatTheySaw("the failed step")
    await ctx.cast.person(name).should(See(TheRecordBesideWhatTheySaw(), kept))


@then("the record of {name}'s question keeps the steps finished before that")
async def step_record_keeps_partial(ctx: ScenarioContext, name: str) -> None:
    """The stored record matches what the person saw and keeps the steps that succeeded before the failure."""
    kept = KeepsWhatTheySaw("the steps finished before that")
    await ctx.cast.person(name).should(See(TheRecordBesideWhatTheySaw(), kept))


@then("the record of {name}'s question lists every step she saw, in order, ending with the answer")
async def step_record_complete(ctx: ScenarioContext, name: str) -> None:
    """The stored record of the person's question matches what she saw and ends with the answer."""
    kept = KeepsWhatTheySaw("the answer at the end")
    await ctx.cast.person(name).should(See(TheRecordBesideWhatTheySaw(), kept))


@then("{name}'s {device:DeviceName} gets the answer after reconnecting to the first server")
async def step_answer_elsewhere(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device, reconnecting to the first server, gets the answer."""
    person = ctx.cast.person(name)
    await person.attempts_to(ReconnectTo(device, ctx.target.service_url))
    final = await person.asks_for(TheAnswerOn(device))
    assert final.type == EventType.AGENT_COMPLETED, (
        f"{name}'s {device} ended with {final.describe()}"
    )


@then(
    "{name}'s {device:DeviceName}, back on the first server, learns she may ask the interrupted "
    "question again"
)
async def step_interrupted_elsewhere(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device, reconnecting to the first server, is told the question was interrupted and may be asked again."""
    person = ctx.cast.person(name)
    await person.attempts_to(ReconnectTo(device, ctx.target.service_url))
    interrupted = Failed(RunError.INTERRUPTED, retryable=True)
    await person.should(See(TheAnswerOn(device), interrupted))


@then("{name}'s history holds her question and the answer")
async def step_history_question_answer(ctx: ScenarioContext, name: str) -> None:
    """The person's history holds exactly her question and the answer."""
    person = ctx.cast.person(name)
    said = [(m.role, m.text) for m in await person.asks_for(TheMessages())]
    expected = [
        ("user", person.asked_last().question),
        ("assistant", await person.asks_for(TheAnswerText())),
    ]
    assert said == expected, f"{name}'s history holds {said}, expected {expected}"


@then("{name}'s history still holds her question")
async def step_history_question(ctx: ScenarioContext, name: str) -> None:
    """The person's history still holds her question (and nothing else)."""
    person = ctx.cast.person(name)
    said = [(m.role, m.text) for m in await person.asks_for(TheMessages())]
    assert said == [("user", person.asked_last().question)], f"{name}'s history holds {said}"


# -- slow devices
@then(
    "{name}'s {device:DeviceName} has every answer {owner} got, each step once and in order, "
    "after reconnecting"
)
async def step_device_has_every_answer(
    ctx: ScenarioContext, name: str, device: str, owner: str
) -> None:
    """After reconnecting, the device has every answer the person got, each step once and in order."""
    person = ctx.cast.person(name)
    await person.attempts_to(Reconnect(device))
    missing = await person.asks_for(TheAnswersMissingOn(device))
    assert not missing, f"{name}'s {device} never got the answers of runs {missing}"
    wrong = await person.asks_for(TheStepsNotOnceInOrderOn(device))
    assert not wrong, f"{name}'s {device} did not get each step once and in order:\n" + "\n".join(
        wrong
    )


# -- many people at once
# How long each of a crowd waits for their answer before it is judged.
CROWD_ANSWER_S = 20.0


@given(
    "{count:d} customers of different companies, each with their own usage, are split evenly "
    "across two servers"
)
async def step_crowd(ctx: ScenarioContext, count: int) -> None:
    """That many customers of different companies, with their own usage, are signed in across two servers."""
    people = [ctx.cast.person(f"Customer{n:02d}") for n in range(1, count + 1)]
    if not ctx.target.embedded:  # a deployment: its balancer spreads them
        ctx.cast.notes.write(CROWD, customers_of(people))
        await Everyone(people).attempts_to(SettleIn())
        for person in people:
            await person.attempts_to(OpenChat("laptop"))
        chats = [await person.asks_for(TheChatOn("laptop")) for person in people]
        if not balancing.spread_over_servers(chats, "the customers' chats"):
            ctx.scenario.skip(balancing.NOT_SAID)
        return
    ctx.cast.notes.write(CROWD, customers_of(people))
    # The second server starts while they settle in (each as long): they open no chat until
    # they ask.
    servers = servers_of(security.stack_of(ctx))
    second, _ = await asyncio.gather(
        asyncio.to_thread(servers.url, "second"), Everyone(people).attempts_to(SettleIn())
    )
    for person in people[::2]:
        person.chat.serve_from("laptop", second)


@when("they all ask the assistant about their spend at the same time")
async def step_crowd_asks(ctx: ScenarioContext) -> None:
    """Everyone in the crowd asks the assistant about their spend at the same moment."""
    await Everyone(ctx.cast.notes.read(CROWD)).attempts_to(AskAboutTheirSpend())


@then("each of them sees only their own progress and is told their own company's spend")
async def step_crowd_saw_own(ctx: ScenarioContext) -> None:
    """Each customer saw only their own progress and was told their own company's spend."""
    everyone = Everyone(ctx.cast.notes.read(CROWD))
    await everyone.should(See(TheAnswer(CROWD_ANSWER_S), SawOnlyTheirOwnProgressAndSpend()))


@then("the stored conversation and record of each hold only their own question and answer")
async def step_crowd_stored_own(ctx: ScenarioContext) -> None:
    """Each customer's stored conversation and record hold only their own question and answer."""
    everyone = Everyone(ctx.cast.notes.read(CROWD))
    await everyone.should(See(WhatWasStoredForThem(), HoldsOnlyTheirOwnQuestionAndAnswer()))


# -- several servers
@then("{name}'s {device:DeviceName} sees every step, in order, ending with the answer")
async def step_device_sees_everything(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device sees every step of the last question in order, ending with the answer."""
    person = ctx.cast.person(name)
    final = await person.asks_for(TheAnswerOn(device, ANSWER_TIMEOUT_S))
    seqs = await person.asks_for(TheStepsSeenOn(device))
    assert final.type == EventType.AGENT_COMPLETED, (
        f"{name}'s {device} ended with {final.describe()}"
    )
    assert seqs == list(range(1, len(seqs) + 1)), f"{name}'s {device} saw seqs {seqs}"
