"""Redeploying while people are in the middle of an answer (@deployment): the scenario's own
deployment behind the balancer (fixtures/deployment.py), people who keep asking
(driver/actors/tasks/redeploys.py), and the operator's real redeploy command."""

from __future__ import annotations

from driver.actors.interactions import (
    CameBackAfterEachRestart,
    EachAnsweredOnce,
    HoldsEachQuestionAndAnswerOnce,
    SeeEveryone,
)
from driver.actors.questions import TheConversationTheyKeptAsking, TheNoted
from driver.actors.tasks import (
    ASKED_THROUGH_RESTARTS,
    EVERYONE_ASKING,
    OPERATOR,
    EveryoneKeepsAsking,
)
from fixtures import crowds
from fixtures.context import ScenarioContext, given, then, when
from fixtures.deployment import redeploy

IN_THE_MIDDLE_WITHIN_S = 30.0


@given(
    "{count:d} customers are in the middle of an answer, each asking again as soon as one is answered"
)
async def step_keep_asking(ctx: ScenarioContext, count: int) -> None:
    """That many customers are each in the middle of an answer, asking again whenever one is answered."""
    customers = await crowds.customers(ctx.cast, count)
    everyone = EveryoneKeepsAsking.start([(c.person, c.question) for c in customers])
    ctx.cast.notes.write(EVERYONE_ASKING, everyone)
    await everyone.all_in_the_middle(IN_THE_MIDDLE_WITHIN_S)


@when("the operator redeploys every server in turn")
async def step_redeploy(ctx: ScenarioContext) -> None:
    """The operator runs the redeploy command, which restarts every server in turn."""
    ctx.redeploy = await redeploy(ctx.deployment)
    if ctx.redeploy.exit_code != 0:
        raise AssertionError(f"The redeploy stopped: {ctx.redeploy.failure()}")


@then("every server was restarted while people were in the middle of an answer")
def step_restarted_mid_answer(ctx: ScenarioContext) -> None:
    """Every server restarted once, each while at least half the people awaited an answer."""
    everyone = ctx.cast.notes.read(EVERYONE_ASKING)
    stopping = ctx.redeploy.moments("stopping")
    servers = ctx.deployment.services
    assert sorted(stopping) == list(range(1, len(servers) + 1)), f"servers stopped: {stopping}"
    for index, moment in stopping.items():
        busy, people = everyone.in_flight_at(moment), len(everyone.people)
        assert busy >= people // 2, (
            f"only {busy} of {people} people were in the middle of an answer when "
            f"server {index} was restarted"
        )
    again = [s.restarts for s in servers]
    assert again == [1] * len(servers), f"each server should have started again once: {again}"


@then("every question they asked was answered exactly once, none interrupted")
async def step_every_question_answered(ctx: ScenarioContext) -> None:
    """Every question asked during the redeploy was answered exactly once, none interrupted."""
    everyone = ctx.cast.notes.read(EVERYONE_ASKING)
    failures = await everyone.finish()
    heading = f"Of {everyone.asked()} questions, some were not answered once"
    asked = TheNoted(ASKED_THROUGH_RESTARTS)
    await ctx.cast.person(OPERATOR).should(
        SeeEveryone(everyone.people, asked, EachAnsweredOnce(), heading, also=failures)
    )


@then("each of their conversations holds every question and its answer, once each")
async def step_conversations_whole(ctx: ScenarioContext) -> None:
    """Each person's conversations hold every question and its answer, once each."""
    people = ctx.cast.notes.read(EVERYONE_ASKING).people
    heading = "Conversations are not whole after the redeploy"
    whole = HoldsEachQuestionAndAnswerOnce()
    await ctx.cast.person(OPERATOR).should(
        SeeEveryone(people, TheConversationTheyKeptAsking(), whole, heading)
    )


@then("every chat the restarts closed came back and caught up, with nothing repeated or missed")
async def step_chats_came_back(ctx: ScenarioContext) -> None:
    """Every chat a restart closed came back and caught up, nothing repeated or missed."""
    people = ctx.cast.notes.read(EVERYONE_ASKING).people
    heading = "Chats did not come back whole after the restarts"
    asked = TheNoted(ASKED_THROUGH_RESTARTS)
    await ctx.cast.person(OPERATOR).should(
        SeeEveryone(people, asked, CameBackAfterEachRestart(), heading)
    )
