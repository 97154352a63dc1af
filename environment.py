"""behave hooks only: every resource comes from a fixture in fixtures/, and so does the end of
each scenario (its fixtures' cleanups, fixtures/suite.py)."""

from __future__ import annotations

from behave.fixture import use_fixture
from behave.model import Scenario, Step
from behave.runner import Context  # its attributes: fixtures/context.py

from fixtures import allure_labels, redaction
from fixtures.browsing import run_browser, web_evidence, web_scenario
from fixtures.deployment import deployment_stack
from fixtures.real_llm import NOT_CONFIGURED, ON_A_DEPLOYMENT, real_llm_instance, real_model_of
from fixtures.run_facts import write_run_facts
from fixtures.server_setup import real_password_cost, setup_server
from fixtures.suite import (
    balanced_servers,
    checked_nothing_lost,
    event_loop,
    fault_scenario,
    fault_tools,
    hashes_cheaply,
    http_session,
    scenario_cast,
    scenario_servers,
    service_target,
    verified_streams,
)
from fixtures.verdict import cleanup_verdicts
from harness.nginx import MISSING, nginx_available
from harness.servers import setup_profile

# Scenarios that need control of the stack (its secrets or processes).
NEEDS_STACK = {"fault", "embedded", "balancer", "deployment"}
# Scenarios that need to reach one particular server (its readiness, its figures, the server a
# device is on): skipped when the suite runs through the balancer (-D target=proxy).
NEEDS_ONE_SERVER = {"direct"}
# Scenarios with a balancer of their own (nginx): skipped with the reason where it is missing.
NEEDS_NGINX = {"balancer", "deployment"}
# What a deployment's operator may tell the suite (-D ...): scenarios that need it skip without.
NO_SIGNING_KEY = (
    "needs the service's signing key: run with -D signing_secret=... (the deployment's)"
)
NO_WEB_APP = "needs the web app the service trusts: run with -D web_app=https://... (its origin)"
NO_SIGN_IN_PROVIDER = (
    "needs the sign-in provider the service trusts: run with -D oidc_issuer=http://HOST:PORT "
    "(the address it was told to trust; the suite's provider listens there)"
)

# Before behave builds its formatters: epics from folders, severity, descriptions, skip reasons.
allure_labels.install()
# And no live credential in what the report keeps (passwords, passes): fixtures/redaction.py.
redaction.install()


def before_all(ctx: Context) -> None:
    use_fixture(cleanup_verdicts, ctx)  # a failed cleanup fails its scenario, with its traceback
    use_fixture(event_loop, ctx)
    use_fixture(service_target, ctx)
    write_run_facts(ctx)  # the report's environment: versions, commit, target, tags
    use_fixture(http_session, ctx)
    use_fixture(fault_tools, ctx)
    use_fixture(run_browser, ctx)  # Chromium, launched by the first @ui scenario


def before_scenario(ctx: Context, scenario: Scenario) -> None:
    tags = set(scenario.effective_tags)
    if NEEDS_STACK & tags and not ctx.target.embedded:
        scenario.skip("needs control of the stack; the suite runs against a deployment")
        return
    if "signing_key" in tags and not ctx.target.knows_signing_key:
        scenario.skip(NO_SIGNING_KEY)
        return
    if "own_web_app" in tags and not ctx.target.knows_web_app:
        scenario.skip(NO_WEB_APP)
        return
    if "sign_in_provider" in tags and not ctx.target.knows_sign_in_provider:
        scenario.skip(NO_SIGN_IN_PROVIDER)
        return
    if NEEDS_ONE_SERVER & tags and ctx.target.through_balancer:
        scenario.skip("needs direct access to one server; the suite runs through the balancer")
        return
    # The end of the scenario is these fixtures' cleanups, run last one first (each runs even
    # when an earlier one failed): the stack restored, the pages and the streams verified,
    # nothing lost, then the evidence attached.
    if NEEDS_NGINX & tags and not nginx_available():
        scenario.skip(MISSING)
        return
    real_model = real_model_of(ctx) if "real_llm" in tags else None
    if "real_llm" in tags and real_model is None:
        scenario.skip(NOT_CONFIGURED)
        return
    profile = setup_profile(tags)  # @server:<name>: the scenario's set-up, not its story
    if (real_model or profile) and not ctx.target.embedded:
        scenario.skip(ON_A_DEPLOYMENT if real_model else "needs a server set up for it")
        return
    use_fixture(scenario_servers, ctx)  # the very last cleanup: the pool's instances stop
    service_url = chat_url = None
    if "balancer" in tags:
        use_fixture(balanced_servers, ctx)  # ctx.balancer: nginx in front of two servers
        service_url = ctx.balancer.url
    if real_model is not None:  # @real_llm: the people chat with an instance answering with it
        use_fixture(real_llm_instance, ctx, real_model)  # ctx.chat_url
        chat_url = ctx.chat_url
    if "real_password_cost" in tags and hashes_cheaply(ctx.target):
        service_url = chat_url = use_fixture(real_password_cost, ctx)  # everyone, from the start
    if profile is not None:  # the people chat on that server from the start
        use_fixture(setup_server, ctx, profile)  # ctx.chat_url
        chat_url = ctx.chat_url
    use_fixture(scenario_cast, ctx, scenario, service_url, chat_url)  # ctx.cast; evidence at end
    if "deployment" in tags:
        use_fixture(deployment_stack, ctx)  # ctx.deployment; the cast goes through its balancer
    if {"fault", "deployment", "nothing_lost"} & tags and ctx.target.embedded:
        use_fixture(checked_nothing_lost, ctx)  # every ack stored once, every run ended once
    use_fixture(verified_streams, ctx)  # every stream anyone saw kept the contract
    if "ui" in tags:
        use_fixture(web_scenario, ctx, scenario)  # ctx.web: the people's browsers
    if "fault" in tags:
        use_fixture(fault_scenario, ctx)  # ctx.faults; the stack restored first


def after_step(ctx: Context, step: Step) -> None:
    web_evidence(ctx, step)  # @ui: a screenshot of every tab at every Then
