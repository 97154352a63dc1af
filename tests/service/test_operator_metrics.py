"""The operators' metrics of a real service process: every metric the alert rules and the
dashboard name is exported, and the new figures move with what happens (a request timed by its
route pattern and status, a chat counted at its handshake, the build, the Redis breaker)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from importlib import metadata
from typing import Any

import aiohttp
import pytest

from driver.client import operations
from driver.client.eventually import eventually
from harness.services import PROJECT_ROOT, ServiceProcess
from harness.stack import Stack, StackConfig
from tests.chat_clients import aiohttp_client, sign_up

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

ALERTS = PROJECT_ROOT / "deploy/prometheus/alerts.yml"
DASHBOARD = PROJECT_ROOT / "deploy/grafana/golden-path.json"
OPERATIONS_GUIDE = PROJECT_ROOT / "docs/operations.md"
COMMIT = "0123abcd"
RUNS_QUEUED = 77
# Series Prometheus makes itself for every scrape target.
PROMETHEUS_OWN = frozenset({"up"})
# The sample names each family type puts in the text format (a counter's family name already
# ends in _total there).
SUFFIXES = {
    "counter": ("", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "untyped": ("",),
    "info": ("",),
    "stateset": ("",),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
}
# What Prometheus 2.x asks for when it scrapes.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right"}
    | {"bool", "offset", "inf", "nan", "atan2"}
)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    config = StackConfig.from_env(
        fault_proxies=True,
        extra_env={"BUILD_COMMIT": COMMIT, "RUNS_QUEUED": str(RUNS_QUEUED)},
    )
    with Stack(config) as running:
        yield running


@pytest.fixture
def instance(stack: Stack) -> ServiceProcess:
    return stack.services[0]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def scrape(http: aiohttp.ClientSession, instance: ServiceProcess) -> str:
    async with http.get(f"{instance.operator_url}/metrics") as response:
        assert response.status == 200
        return await response.text()


# --- the names in the rules and the dashboard -------------------------------------------------


def exported_names(exposition: str) -> set[str]:
    """Every sample name the exposition may carry: from its `# TYPE` lines, which are written for
    every registered family, even one whose labelled series have not been used yet."""
    names: set[str] = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split()
            names.update(family + suffix for suffix in SUFFIXES[kind])
    return names


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: its identifiers, less function names,
    keywords, label names (in matchers and in by/on/... lists), strings and durations."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    # Grafana: a variable's values (`label_values(metric, label)`) and $variables.
    text = re.sub(r"label_values\(\s*([A-Za-z_:][\w:]*)\s*,[^)]*\)", r"\1", text)
    text = re.sub(r"\$\{?\w+\}?", "", text)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for found in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)\s*(\()?", text):
        name, call = found.groups()
        if call is None and name.lower() not in KEYWORDS:
            names.add(name)
    return names


def alert_expressions() -> dict[str, str]:
    """Each rule's `expr` (a block `expr: |` or one line), by alert name. The suite has no YAML
    library; promtool (make lint) checks the file's structure, this only reads the queries."""
    lines = ALERTS.read_text().splitlines()
    found: dict[str, str] = {}
    alert = ""
    for i, line in enumerate(lines):
        if match := re.match(r"\s*- alert:\s*(\S+)", line):
            alert = match.group(1)
        elif match := re.match(r"(\s*)expr:\s*(.*)", line):
            indent, rest = len(match.group(1)), match.group(2)
            if rest not in ("|", ">", "|-", ">-"):
                found[alert] = rest
                continue
            block = []
            for following in lines[i + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                block.append(following.strip())
            found[alert] = " ".join(block).strip()
    assert len(found) == len(re.findall(r"^\s*- alert:", "\n".join(lines), re.M)), found
    return found


def dashboard_expressions() -> dict[str, str]:
    """Every query of the dashboard (panel targets and variables), by where it is."""
    dashboard = json.loads(DASHBOARD.read_text())
    found: dict[str, str] = {}
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            found[f"panel {panel['title']!r} {target['refId']}"] = target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            found[f"variable {variable['name']}"] = variable["definition"]
    return found


def test_the_name_reader_finds_metrics_and_nothing_else() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le, route) (rate(chat_x_bucket{route=~"/api.*",'
        'instance=~"$instance"}[$__rate_interval]))) > 5 and on (instance) up{job="a"} == 1'
        " unless chat_y offset 1h or label_values(chat_z, instance)"
    )
    assert promql_metric_names(expr) == {"chat_x_bucket", "up", "chat_y", "chat_z"}


def sample_names(exposition: str) -> set[str]:
    return {
        re.split(r"[{ ]", line, maxsplit=1)[0]
        for line in exposition.splitlines()
        if line and not line.startswith("#")
    }


async def test_a_scraper_that_asks_for_openmetrics_gets_it_with_the_same_samples(
    http: aiohttp.ClientSession, instance: ServiceProcess
) -> None:
    """prometheus-client's own handler serves /metrics: the text format by default, OpenMetrics
    (and gzip) when the scraper asks, as Prometheus does; the samples are the same."""
    text = await scrape(http, instance)
    headers = {"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"}
    async with http.get(f"{instance.operator_url}/metrics", headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        assert response.headers["Content-Encoding"] == "gzip"
        openmetrics = await response.text()
    assert openmetrics.endswith("# EOF\n")
    # Labelled series only appear between the two scrapes, never go.
    assert "chat_ready" in sample_names(text)
    assert sample_names(text) <= sample_names(openmetrics)


async def test_every_metric_the_rules_and_the_dashboard_name_is_exported(
    instance: ServiceProcess, http: aiohttp.ClientSession
) -> None:
    exported = exported_names(await scrape(http, instance)) | PROMETHEUS_OWN
    queries = {
        **{f"alert {name}": expr for name, expr in alert_expressions().items()},
        **dashboard_expressions(),
    }
    assert len(queries) > 20, "the rules and the dashboard were not read"
    missing: dict[str, set[str]] = {}
    for where, expr in queries.items():
        names = promql_metric_names(expr)
        assert names, f"{where} names no metric: {expr}"
        if unknown := names - exported:
            missing[where] = unknown
    assert not missing, f"not exported by the service: {missing}"


async def test_the_operations_guide_explains_every_metric(
    instance: ServiceProcess, http: aiohttp.ClientSession
) -> None:
    families = {
        line.split()[2]
        for line in (await scrape(http, instance)).splitlines()
        # prometheus-client writes each series' creation time as a family of its own.
        if line.startswith("# TYPE chat_") and not line.split()[2].endswith("_created")
    }
    guide = OPERATIONS_GUIDE.read_text()
    assert not {name for name in families if f"`{name}" not in guide}


# --- the figures move -------------------------------------------------------------------------


def http_count(route: str, status: int, method: str = "GET") -> str:
    return (
        f"chat_http_request_duration_seconds_count{{method={method},route={route},status={status}}}"
    )


async def test_a_request_is_timed_by_its_route_pattern_and_status(
    instance: ServiceProcess, http: aiohttp.ClientSession
) -> None:
    before = await operations.figures(http, instance.operator_url)
    thread = uuid.uuid4()
    nowhere = f"/nowhere/{uuid.uuid4()}"
    async with http.get(f"{instance.url}/api/threads/{thread}/messages") as unsigned:
        assert unsigned.status == 401
    async with http.get(f"{instance.url}{nowhere}") as missing:
        assert missing.status == 404
    async with http.request("PROPFIND", f"{instance.url}/api/threads") as odd:
        assert odd.status == 405
    after = await operations.figures(http, instance.operator_url)
    for name in (
        http_count("/api/threads/{thread_id}/messages", 401),
        http_count("unmatched", 404),
        http_count("unmatched", 405, method="other"),
    ):
        assert operations.increase(before, after, name) == 1, name
    text = "\n".join(after)
    assert str(thread) not in text and nowhere not in text, "a raw path became a label"
    assert "PROPFIND" not in text, "a raw method became a label"


async def test_a_chat_is_counted_at_its_handshake_not_when_it_closes(
    instance: ServiceProcess, http: aiohttp.ClientSession
) -> None:
    _, token = await sign_up(instance.url)
    before = await operations.figures(http, instance.operator_url)
    opened = http_count("/ws", 101)
    async with aiohttp_client(instance.url, token):

        async def counted() -> bool:
            after = await operations.figures(http, instance.operator_url)
            return operations.increase(before, after, opened) == 1

        await eventually(counted, timeout=5, describe="the open chat's handshake was not counted")


async def test_the_build_and_the_capacity_are_exported(
    instance: ServiceProcess, http: aiohttp.ClientSession
) -> None:
    figures = await operations.figures(http, instance.operator_url)
    version = metadata.version("golden-path")
    build = (
        f"chat_build_info{{commit={COMMIT},instance_id={instance.instance_id},version={version}}}"
    )
    assert figures.get(build) == 1, [name for name in figures if "build" in name]
    assert figures["chat_runs_queued_limit"] == RUNS_QUEUED
    assert figures["chat_runs_in_flight_limit"] >= 1
    assert figures["chat_ready"] == 1


async def test_the_redis_breaker_opens_while_redis_is_down_and_closes_after(
    stack: Stack, instance: ServiceProcess, http: aiohttp.ClientSession
) -> None:
    breaker = "chat_circuit_breaker_open{dependency=redis}"
    opened = "chat_circuit_breaker_opened_total{dependency=redis}"
    before = await operations.figures(http, instance.operator_url)
    assert before[breaker] == 0
    state: dict[str, Any] = {}

    async def breaker_is(value: float) -> bool:
        # Each scrape checks readiness, whose Redis ping goes through the breaker.
        state["figures"] = await operations.figures(http, instance.operator_url)
        return state["figures"][breaker] == value

    redis = stack.proxies["redis"]
    redis.down()
    try:
        await eventually(lambda: breaker_is(1), timeout=10, describe="the breaker never opened")
        assert operations.increase(before, state["figures"], opened) >= 1
        assert state["figures"]["chat_ready"] == 1, "Redis down is degraded, not out of rotation"
    finally:
        redis.normal()
    await eventually(lambda: breaker_is(0), timeout=10, describe="the breaker never closed")
