"""The words of the feature files, in one place: the tags a feature may carry and the transport
words no step may use. tools/gherkin_check.py enforces them; fixtures/allure_labels.py maps the
severity tags; docs/writing-scenarios.md and each features/<folder>/README.md explain them to
product owners.
"""

from __future__ import annotations

import re

# Severity, most severe first; a scenario without one is `normal` in the report.
SEVERITY_TAGS = ("blocker", "critical", "normal", "minor", "trivial")

# Plain tags (without the @) and what they mean.
TAGS: dict[str, str] = {
    "blocker": "severity: nothing works without it",
    "critical": "severity: the golden path, or anything that loses data or lets someone in",
    "normal": "severity: the default (no need to write it)",
    "minor": "severity: an inconvenience",
    "trivial": "severity: cosmetic",
    "slow": "takes more than a few seconds (real timeouts, many people)",
    "fault": "needs control of the stack's processes: skipped against a deployment",
    "embedded": "needs what only the suite's own stack has (a server set up for the scenario, "
    "the service's processes or storage): skipped against a "
    "deployment; a comment next to the tag says which",
    "signing_key": "shows passes made with the service's own signing key: the embedded stack's, "
    "or a deployment's given with -D signing_secret=...; skipped without it",
    "nothing_lost": "an extra check where the database is at hand (the embedded stack): every "
    "question acknowledged is stored once and every run ended once (implied by @fault)",
    "two_servers": "people spread over two servers: the embedded stack starts a second one; a "
    "deployment's balancer spreads them (skipped when it does not say which server took a chat)",
    "own_web_app": "pages of the web app the service trusts: the embedded stack starts a server "
    "trusting one; a deployment names its own with -D web_app=https://...; skipped without it",
    "sign_in_provider": "enterprise sign-in through the suite's own provider: the embedded stack "
    "starts a server trusting it; a deployment told to trust an address the suite listens on "
    "names it with -D oidc_issuer=http://HOST:PORT; skipped without it",
    "real_password_cost": "times sign-in refusals or locks accounts: its people sign up and in "
    "where passwords are hashed at the production cost (the suite's own stack hashes cheaply "
    "for everyone else; a deployment hashes at its own)",
    "direct": "talks to one particular server: skipped when the suite runs through the balancer",
    "balancer": "through a load balancer in front of two servers (nginx; skipped without it)",
    "deployment": "starts a deployment of its own (the balancer in front of supervised servers) "
    "and redeploys it: skipped against a deployment",
    "performance": "measures speed against a stated budget",
    "ui": "drives a user interface",
    "wip": "work in progress: never run by CI",
    "quarantine": "known to be flaky: runs and is reported in its own category but does not "
    "fail the quality gate; needs an @allure.issue: tag (the issue that fixes it)",
    "real_llm": "answers with a real language model: runs when one is configured (-D llm_url=... "
    "-D llm_model=..., fixtures/real_llm.py), skipped with the reason otherwise",
    "customer": "audience: what a customer (or their company's administrator) experiences",
    "operator": "audience: what the team running the service relies on",
}

# Tags with a value (`@allure.label.owner:Team Chat`), by prefix.
VALUE_TAGS: dict[str, str] = {
    "allure.label.epic:": "the feature's capability; optional, must name its folder",
    "allure.label.owner:": "who answers for the feature",
    "allure.label.segment:": "the plan's segment a scenario is about (Free, Early, Mid, "
    "Enterprise): the report groups by it",
    "allure.issue:": "the issue a scenario covers (a number or a URL)",
    "server:": "the scenario's set-up, not its story: its people chat on a test server with "
    "these settings (`@server:slow_usage`; harness/servers.py lists them); the report shows "
    "it as the scenario's `set-up` parameter",
    "allure.link.": "a named link (`@allure.link.spec:https://...`)",
}

# Words that describe how the product is built, not what it does. A step using one would
# change wording if the implementation did (DESIGN.md). Matched as whole words, any case.
TRANSPORT_WORDS = (
    "websocket",
    "websockets",
    "socket",
    "sockets",
    "json",
    "token",
    "tokens",
    "jwt",
    "redis",
    "postgres",
    "postgresql",
    "sql",
    "http",
    "https",
    "endpoint",
    "endpoints",
    "payload",
    "payloads",
    "frame",
    "frames",
    "header",
    "headers",
    "status code",
    "api",
)

TRANSPORT_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in TRANSPORT_WORDS) + r")\b",
    re.IGNORECASE,
)


QUARANTINE = "quarantine"
ISSUE_TAG = "allure.issue:"


def tag_problem(tag: str) -> str | None:
    """Why a tag (with or without its @) is not in the vocabulary, or None if it is."""
    name = tag.removeprefix("@")
    if name in TAGS:
        return None
    for prefix in VALUE_TAGS:
        if name.startswith(prefix):
            return None if name[len(prefix) :].strip() else f"@{name} has no value"
    return f"unknown tag @{name} (known: {', '.join('@' + t for t in TAGS)}, @allure.* labels)"


def transport_words(text: str) -> list[str]:
    return [match.group(0) for match in TRANSPORT_PATTERN.finditer(text)]


def severity(tags: set[str] | frozenset[str]) -> str:
    """The most severe severity tag among plain tags (without @); `normal` without one."""
    return next((s for s in SEVERITY_TAGS if s in tags), "normal")
