"""Redeploying while people are in the middle of an answer (@deployment): the scenario's own
deployment behind the balancer (fixtures/deployment.py), people who keep asking
(driver/actors/redeploys.py), and the operator's real redeploy command."""

from __future__ import annotations

from driver.actors import redeploys
from driver.actors.redeploys import KeepAsking
from fixtures import crowds
from fixtures.context import ScenarioContext, given, then, when
from fixtures.deployment import redeploy

IN_THE_MIDDLE_WITHIN_S = 30.0


def _listed(problems: list[str], limit: int = 10) -> str:
    shown = "\n".join(f"  - {p}" for p in problems[:limit])
    more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
    return shown + more


@given(
    "{count:d} customers are in the middle of an answer, each asking again as soon as one is answered"
)
async def step_keep_asking(ctx: ScenarioContext, count: int) -> None:
    """That many customers are each in the middle of an answer, asking again whenever one is answered."""
    customers = await crowds.customers(ctx.cast, count)
    ctx.keep_asking = KeepAsking.start(customers)
    await ctx.keep_asking.all_in_the_middle(IN_THE_MIDDLE_WITHIN_S)


@when("the operator redeploys every server in turn")
async def step_redeploy(ctx: ScenarioContext) -> None:
    """The operator runs the redeploy command, which restarts every server in turn."""
    ctx.redeploy = await redeploy(ctx.deployment)
    if ctx.redeploy.exit_code != 0:
        raise AssertionError(f"The redeploy stopped: {ctx.redeploy.failure()}")


@then("every server was restarted while people were in the middle of an answer")
def step_restarted_mid_answer(ctx: ScenarioContext) -> None:
    """Every server restarted once, each while at least half the people awaited an answer."""
    askers = ctx.keep_asking.askers
    stopping = ctx.redeploy.moments("stopping")
    servers = ctx.deployment.services
    assert sorted(stopping) == list(range(1, len(servers) + 1)), f"servers stopped: {stopping}"
    for index, moment in stopping.items():
        busy = redeploys.in_flight_at(askers, moment)
        assert busy >= len(askers) // 2, (
            f"only {busy} of {len(askers)} people were in the middle of an answer when "
            f"server {index} was restarted"
        )
    again = [s.restarts for s in servers]
    assert again == [1] * len(servers), f"each server should have started again once: {again}"


@then("every question they asked was answered exactly once, none interrupted")
async def step_every_question_answered(ctx: ScenarioContext) -> None:
    """Every question asked during the redeploy was answered exactly once, none interrupted."""
    failures = await ctx.keep_asking.finish()
    problems = failures + [
        p for asker in ctx.keep_asking.askers for p in redeploys.answer_problems(asker)
    ]
    asked = sum(len(a.questions) for a in ctx.keep_asking.askers)
    assert not problems, f"Of {asked} questions, some were not answered once:\n{_listed(problems)}"


@then("each of their conversations holds every question and its answer, once each")
async def step_conversations_whole(ctx: ScenarioContext) -> None:
    """Each person's conversations hold every question and its answer, once each."""
    problems = [
        p for asker in ctx.keep_asking.askers for p in await redeploys.conversation_problems(asker)
    ]
    assert not problems, f"Conversations are not whole after the redeploy:\n{_listed(problems)}"


@then("every chat the restarts closed came back and caught up, with nothing repeated or missed")
def step_chats_came_back(ctx: ScenarioContext) -> None:
    """Every chat a restart closed came back and caught up, nothing repeated or missed."""
    problems = [
        p for asker in ctx.keep_asking.askers for p in redeploys.reconnection_problems(asker)
    ]
    assert not problems, f"Chats did not come back whole after the restarts:\n{_listed(problems)}"
