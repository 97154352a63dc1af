"""Never missing a step: catching up, asking twice, every way a question ends, many people."""

from __future__ import annotations

import uuid

from driver.actors import delivery
from driver.actors.interactions import (
    HoldsOnlyTheirOwnQuestionAndAnswer,
    SawOnlyTheirOwnProgressAndSpend,
    See,
)
from driver.actors.questions import (
    TheAnswer,
    TheAnswerText,
    TheEvent,
    TheMessages,
    WhatWasStoredForThem,
)
from driver.actors.tasks import (
    CROWD,
    Ask,
    AskAboutTheirSpend,
    AskAgain,
    Everyone,
    OpenChat,
    Reconnect,
    SettleIn,
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
    await person.attempts_to(Ask(question, device=device))
    await delivery.drop_connection(person, device)


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
    await delivery.wait_until_seen(person, EventType.TOOL_EXECUTING, tool="usage_report")


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
    await delivery.wait_until_stored(
        ctx.cast.person(name), EventType.TOOL_EXECUTING, tool="usage_report"
    )


@given("the answer is already in {name}'s history")
async def step_answer_in_history(ctx: ScenarioContext, name: str) -> None:
    """The answer to the person's last question is already stored in her history."""
    await delivery.wait_until_answer_stored(ctx.cast.person(name), ANSWER_TIMEOUT_S)


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
    replayed = await delivery.check_caught_up(ctx.cast.person(name), device)
    assert len(replayed) >= 2, f"{name}'s {device} missed only {replayed}, not several steps"


@then(
    "{name}'s {device:DeviceName} catches up on every missed step, once each and in order, "
    "ending with the answer"
)
async def step_caught_up_to_answer(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device catches up on every missed step, each once and in order, up to the answer."""
    person = ctx.cast.person(name)
    final = await delivery.wait_for_final_on(person, person.asked_last().run_id, device)
    assert final.type == EventType.AGENT_COMPLETED, (
        f"{name}'s {device} ended with {final.describe()}"
    )
    await delivery.check_caught_up(person, device)


@then("{name}'s {device:DeviceName} is sent nothing it had already seen")
async def step_sent_nothing_again(ctx: ScenarioContext, name: str, device: str) -> None:
    """On catching up, the device is sent no step it had already seen."""
    replayed = await delivery.check_caught_up(ctx.cast.person(name), device)
    assert not replayed, f"{name}'s {device} was sent again seqs {replayed}"


@then("{name}'s {device:DeviceName} then follows the assistant live until the answer")
async def step_follows_live(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device follows the rest of the answer live, ending with the answer, nothing repeated."""
    person = ctx.cast.person(name)
    final = await delivery.wait_for_final_on(person, person.asked_last().run_id, device)
    assert final.type == EventType.AGENT_COMPLETED, (
        f"{name}'s {device} ended with {final.describe()}"
    )
    await delivery.check_caught_up(person, device)


@when("{name}'s app asks to catch up on a question that does not exist")
async def step_resume_unknown(ctx: ScenarioContext, name: str) -> None:
    """The person's app asks to catch up on a question that never existed."""
    ctx.catch_up_run = str(uuid.uuid4())
    person = ctx.cast.spotlight_on(name)
    ctx.catch_up_answer = await delivery.try_resume(person, ctx.catch_up_run, 0)


@when("{name}'s app asks to catch up on {owner}'s question")
async def step_resume_someone_elses(ctx: ScenarioContext, name: str, owner: str) -> None:
    """The person's app asks to catch up on another person's question."""
    run_id = ctx.cast.person(owner).asked_last().run_id
    ctx.catch_up_run = run_id
    ctx.catch_up_answer = await delivery.try_resume(ctx.cast.spotlight_on(name), run_id, 0)


@when("{name}'s {device:DeviceName} reconnects claiming more steps than the assistant took")
async def step_resume_beyond(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device reconnects saying it saw more steps than the assistant has taken."""
    person = ctx.cast.spotlight_on(name)
    run = person.asked_last()
    beyond = len(run.events) + 5
    ctx.catch_up_run = run.run_id
    ctx.catch_up_answer = await delivery.try_resume(person, run.run_id, beyond, device)


@then("{name} is told there is no such question to catch up on")
def step_no_such_question(ctx: ScenarioContext, name: str) -> None:
    """The person is refused: there is no such conversation to catch up on."""
    refusals.expect_refused(ctx.catch_up_answer, "there is no such conversation", who=name)


@then("{name}'s {device:DeviceName} is asked to reload the conversation")
def step_asked_to_reload(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device is told to reload the conversation instead of catching up."""
    answer = ctx.catch_up_answer
    kind = answer.get("type") if isinstance(answer, dict) else answer
    assert kind == ControlType.RESYNC_REQUIRED, (
        f"{name}'s {device} was answered {kind}, not a reload"
    )


@then("{name} is sent no steps")
@then("{name} is sent none of {owner}'s steps")
def step_sent_no_steps(ctx: ScenarioContext, name: str, owner: str | None = None) -> None:
    """The person who asked to catch up was sent no step of that question."""
    asker, run_id = ctx.cast.in_the_spotlight(), ctx.catch_up_run
    sent = delivery.events_after_resume(asker, run_id)
    assert not sent, f"{asker.name} was sent {len(sent)} steps of run {run_id[:8]}: {sent[:3]}"


# -- asking twice
@given('{name} asked "{question}" but lost the connection before it was confirmed')
async def step_lost_confirmation(ctx: ScenarioContext, name: str, question: str) -> None:
    """The person asked a question but lost the connection before it was confirmed."""
    ctx.unconfirmed = await delivery.ask_and_lose_confirmation(ctx.cast.person(name), question)


@when("{name} reconnects and sends the same question again")
async def step_send_again_after_reconnect(ctx: ScenarioContext, name: str) -> None:
    """The person reconnects and sends the unconfirmed question again."""
    ctx.repeat_ack = await delivery.send_again(ctx.cast.person(name), ctx.unconfirmed)


@when("{name} sends the same question again")
async def step_send_again(ctx: ScenarioContext, name: str) -> None:
    """The person sends her last question again."""
    person = ctx.cast.person(name)
    ctx.first_ack = person.last_ack
    ctx.repeat_ack = await person.attempts_to(AskAgain())


@then("{name} is told the question had already arrived")
def step_told_duplicate(ctx: ScenarioContext, name: str) -> None:
    """The person is told her repeated question had already arrived."""
    assert ctx.repeat_ack.duplicate, f"{name}'s repeat was taken as a new question"


@then("{name} is told the question had already arrived, with the same confirmation as before")
def step_told_same_duplicate(ctx: ScenarioContext, name: str) -> None:
    """The repeat is confirmed as already arrived, with the same conversation, message and answer."""
    first, again = ctx.first_ack, ctx.repeat_ack
    assert first is not None, f"{name} had asked nothing before"
    assert again.duplicate, f"{name}'s repeat was taken as a new question"
    same = (first.thread_id, first.message_id, first.run_id)
    assert (again.thread_id, again.message_id, again.run_id) == same, (
        f"{name}'s repeat was confirmed as {again}, not as {first}"
    )


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
    final = await ctx.cast.person(name).asks_for(TheAnswer(ANSWER_TIMEOUT_S))
    error, message = delivery.failure_of(final)
    assert error == RunError.TOOL_FAILED and "usage" in message, (
        f"{name} was told {error}: {message}"
    )


@then("{name} is told the assistant ran out of time")
async def step_told_timeout(ctx: ScenarioContext, name: str) -> None:
    """The person is told the assistant ran out of time."""
    final = await ctx.cast.person(name).asks_for(TheAnswer(ANSWER_TIMEOUT_S))
    error, message = delivery.failure_of(final)
    assert error == RunError.TIMEOUT, f"{name} was told {error}: {message}"


@then("the record of {name}'s question shows the failed step")
async def step_record_failed_step(ctx: ScenarioContext, name: str) -> None:
    """The stored record of the person's question matches what she saw and shows the failed step."""
    failed = await delivery.stored_matches_seen(ctx.cast.person(name))
    assert any(
        e.get("type") == EventType.TOOL_COMPLETED and e["payload"].get("status") == "error"
        for e in failed
    ), f"the record of {name}'s question shows no failed step"


@then("the record of {name}'s question keeps the steps finished before that")
async def step_record_keeps_partial(ctx: ScenarioContext, name: str) -> None:
    """The stored record matches what the person saw and keeps the steps that succeeded before the failure."""
    stored = await delivery.stored_matches_seen(ctx.cast.person(name))
    done = [e for e in stored if e.get("type") == EventType.TOOL_COMPLETED]
    assert any(e["payload"].get("status") == "ok" for e in done), (
        f"the record of {name}'s question kept no finished step: {[e.get('type') for e in stored]}"
    )


@then("the record of {name}'s question lists every step she saw, in order, ending with the answer")
async def step_record_complete(ctx: ScenarioContext, name: str) -> None:
    """The stored record of the person's question matches what she saw and ends with the answer."""
    stored = await delivery.stored_matches_seen(ctx.cast.person(name))
    assert stored[-1].get("type") == EventType.AGENT_COMPLETED, f"{name}'s record ends {stored[-1]}"


@then("{name}'s {device:DeviceName} gets the answer after reconnecting to the first server")
async def step_answer_elsewhere(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device, reconnecting to the first server, gets the answer."""
    final = await delivery.reconnect_elsewhere(
        ctx.cast.person(name), device, ctx.target.service_url
    )
    assert final.type == EventType.AGENT_COMPLETED, (
        f"{name}'s {device} ended with {final.describe()}"
    )


@then(
    "{name}'s {device:DeviceName}, back on the first server, learns she may ask the interrupted "
    "question again"
)
async def step_interrupted_elsewhere(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device, reconnecting to the first server, is told the question was interrupted and may be asked again."""
    final = await delivery.reconnect_elsewhere(
        ctx.cast.person(name), device, ctx.target.service_url
    )
    error, message = delivery.failure_of(final)
    retryable = final.payload.get("retryable")
    assert (error, retryable) == (RunError.INTERRUPTED, True), f"{name} was told {error}: {message}"


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
    missing = await delivery.wait_for_every_answer_on(person, device)
    assert not missing, f"{name}'s {device} never got the answers of runs {missing}"
    wrong = delivery.steps_not_once_in_order(person, device, delivery.runs_asked(person))
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
        chats = [await person.attempts_to(OpenChat("laptop")) for person in people]
        if not balancing.spread_over_servers(chats, "the customers' chats"):
            ctx.scenario.skip(balancing.NOT_SAID)
        return
    second = servers_of(security.stack_of(ctx)).url("second")
    for person in people[::2]:
        person.chat.serve_from("laptop", second)
    ctx.cast.notes.write(CROWD, customers_of(people))
    await Everyone(people).attempts_to(SettleIn())


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
    run_id = person.asked_last().run_id
    final = await delivery.wait_for_final_on(person, run_id, device, ANSWER_TIMEOUT_S)
    seqs = [e.seq for e in delivery.events_on(person, run_id, device)]
    assert final.type == EventType.AGENT_COMPLETED, (
        f"{name}'s {device} ended with {final.describe()}"
    )
    assert seqs == list(range(1, len(seqs) + 1)), f"{name}'s {device} saw seqs {seqs}"
