"""What an operator reads: an instance's figures (`GET /metrics` on its operators' listener, the
Prometheus text format).

Parsed with prometheus-client's own parser, so the suite reads the figures the way Prometheus
does; a sample is named by its metric and labels (`chat_refusals_total{reason=busy}`).
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

Figures = Mapping[str, float]
TIMEOUT_S = 10


async def figures(http: aiohttp.ClientSession, operator_url: str) -> Figures:
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
