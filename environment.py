"""behave hooks only: every resource comes from a fixture in fixtures/."""

from __future__ import annotations

from behave.fixture import use_fixture
from behave.model import Scenario, Step
from behave.runner import Context  # its attributes: fixtures/context.py

from fixtures import allure_labels
from fixtures.browsing import finish_web, web_evidence, web_scenario
from fixtures.evidence import attach_service_log, attach_transcript
from fixtures.faults import fault_scenario, fault_tools
from fixtures.performance_evidence import attach_measurements
from fixtures.run_facts import write_run_facts
from fixtures.suite import event_loop, http_session, scenario_cast, service_target

# Scenarios that need control of the stack (its secrets or processes).
NEEDS_STACK = {"fault", "embedded"}

# Before behave builds its formatters: epics from folders, severity, descriptions, skip reasons.
allure_labels.install()


def before_all(ctx: Context) -> None:
    use_fixture(event_loop, ctx)
    use_fixture(service_target, ctx)
    write_run_facts(ctx)  # the report's environment: versions, commit, target, tags
    use_fixture(http_session, ctx)
    use_fixture(fault_tools, ctx)


def before_scenario(ctx: Context, scenario: Scenario) -> None:
    if NEEDS_STACK & set(scenario.effective_tags) and not ctx.target.embedded:
        scenario.skip("needs control of the stack; the suite runs against a deployment")
        return
    if "fault" in scenario.effective_tags:
        use_fixture(fault_scenario, ctx)  # ctx.faults; restores the stack afterwards
    use_fixture(scenario_cast, ctx, scenario.name)
    if "ui" in scenario.effective_tags:
        use_fixture(web_scenario, ctx, scenario)  # ctx.web: the people's browsers


def after_step(ctx: Context, step: Step) -> None:
    web_evidence(ctx, step)  # @ui: a screenshot of every tab at every Then


def after_scenario(ctx: Context, scenario: Scenario) -> None:
    cast = getattr(ctx, "cast", None)
    if cast is None:
        return
    faults = getattr(ctx, "faults", None)
    try:
        if faults is not None:
            faults.restore()  # the whole stack back first: the checks below talk to it
        try:
            finish_web(ctx, scenario)  # @ui: the pages' frames to the verifiers, console, a11y
            # Raises (failing the scenario) if any stream anyone saw broke the contract.
            ctx.async_loop.run_until_complete(cast.verify_and_leave())
        finally:
            if faults is not None:  # every acked question stored once, every run ended once
                ctx.async_loop.run_until_complete(faults.check_nothing_lost(cast.people))
    finally:
        attach_transcript(cast.transcript)
        measurements = getattr(ctx, "measurements", None)
        if measurements is not None:  # @performance: the latency chart and figures
            attach_measurements(measurements)
        if scenario.status.has_failed() and ctx.target.embedded:
            user_ids = {p.user_id for p in cast.people if p.user_id}
            attach_service_log(ctx.target.stack.log_paths().values(), user_ids)
