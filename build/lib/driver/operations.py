"""What an operator reads: the service's figures (`GET /metrics`, the Prometheus text format).

Parsed with prometheus-client's own parser, so the suite reads the figures the way Prometheus
does; a sample is named by its metric and labels (`chat_refusals_total{reason=busy}`).
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client.parser import text_string_to_metric_families

from driver.api import ChatApi

Figures = Mapping[str, float]


async def figures(api: ChatApi) -> Figures:
    text = await api.metrics()
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def increase(before: Figures, after: Figures, name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)
