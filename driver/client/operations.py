"""What an operator reads: an instance's figures (`GET /metrics` on its operators' listener, the
Prometheus text format).

Parsed with prometheus-client's own parser, so the suite reads the figures the way Prometheus
does; a sample is named by its metric and labels (`chat_refusals_total{reason=busy}`).
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from driver.client.eventually import eventually

Figures = Mapping[str, float]
TIMEOUT_S = 10
# A figure follows what happened within this long (a run's last figures are written just after
# its answer is sent).
SETTLE_S = 5.0


async def figures(http: aiohttp.ClientSession, operator_url: str) -> Figures:
    """The figures of one instance, or of several (comma-separated listeners: each figure summed
    over them, as an operator's dashboard adds up a deployment's instances)."""
    found: dict[str, float] = {}
    for one in operator_url.split(","):
        for name, value in (await _figures_of(http, one.strip())).items():
            found[name] = found.get(name, 0.0) + value
    return found


async def _figures_of(http: aiohttp.ClientSession, operator_url: str) -> Figures:
    url = f"{operator_url.rstrip('/')}/metrics"
    async with http.get(url, timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as response:
        text = await response.text()
        if response.status != 200:
            raise AssertionError(f"the operators' figures did not load: {response.status} {text}")
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def increase(before: Figures, after: Figures, name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)


class FigureOvershot(Exception):
    """A count went past what happened: waiting longer cannot bring it back."""


async def wait_increases(
    http: aiohttp.ClientSession,
    operator_url: str,
    before: Figures,
    expected: Mapping[str, float],
    names: Mapping[str, str],
) -> Figures:
    """Until each figure has grown by exactly its `expected` amount since `before` (a figure
    that grows past it fails at once); `names` says each in words."""

    async def grown() -> Figures:
        after = await figures(http, operator_url)
        short = []
        for name, by in expected.items():
            grew = increase(before, after, name)
            if grew > by:
                raise FigureOvershot(
                    f"the operator's count of each {names[name]} grew by {grew:g}, "
                    f"not {by:g} ({name})"
                )
            if grew < by:
                short.append(f"{names[name]} grew by {grew:g}, not {by:g} ({name})")
        if short:
            raise AssertionError("; ".join(short))
        return after

    try:
        found: Figures = await eventually(grown, timeout=SETTLE_S, describe="the operator's counts")
    except FigureOvershot as overshot:
        raise AssertionError(str(overshot)) from None
    return found


async def wait_figure(
    http: aiohttp.ClientSession, operator_url: str, name: str, value: float, what: str
) -> Figures:
    """Until the figure `name` reads exactly `value`."""

    async def reads() -> Figures:
        now = await figures(http, operator_url)
        if now.get(name) != value:
            raise AssertionError(
                f"{what}: the operator sees {now.get(name)}, not {value:g} ({name})"
            )
        return now

    found: Figures = await eventually(
        reads, timeout=SETTLE_S, describe=f"{what} on the operator's figures"
    )
    return found
