"""Each finished stage's result, kept with its run (table `run_stages`), so that another instance
can carry a run on from its last finished stage when the instance running it dies (issue 21).

A stage's result is stored in the statement that stores the `tool_completed` telling its person
the stage finished (service/store/hot_path.py): whatever the person saw finished can be carried
on from. The results are JSON: the triage's
intent and scope, the usage records the data stage selected (one list per record), the savings
analysis (amounts as strings, never floats: the figures must come out to the cent).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from service.agents.model import (
    Analysis,
    Intent,
    Kept,
    Saving,
    Scope,
    TriageResult,
    UsageRecord,
)

# The stage a tool's result belongs to (as stored), by tool.
STAGE_OF_TOOL = {
    "triage": "triage",
    "usage_report": "data",
    "savings_optimizer": "optimization",
    "savings_estimate": "optimization",  # stands in when the analysis cannot run
}

Output = TriageResult | tuple[UsageRecord, ...] | Analysis


def encode(output: Output) -> dict[str, Any]:
    if isinstance(output, TriageResult):
        return {
            "intent": output.intent.value,
            "scope": asdict(output.scope),
            "reason": output.reason,
        }
    if isinstance(output, Analysis):
        return {
            "period": [output.period_start.isoformat(), output.period_end.isoformat()],
            "scope": asdict(output.scope),
            "total": str(output.total_spend_usd),
            "by_model": {k: str(v) for k, v in output.spend_by_model.items()},
            "by_feature": {k: str(v) for k, v in output.spend_by_feature.items()},
            "savings": [
                {
                    **asdict(s),
                    "monthly_cost_usd": str(s.monthly_cost_usd),
                    "monthly_savings_usd": str(s.monthly_savings_usd),
                }
                for s in output.savings
            ],
            "monthly_savings": str(output.monthly_savings_usd),
            "estimate": output.estimate,
        }
    return {
        "records": [
            [
                r.day.isoformat(),
                r.model,
                r.feature,
                r.requests,
                r.input_tokens,
                r.output_tokens,
                str(r.cost_usd),
            ]
            for r in output
        ]
    }


def _triage(data: dict[str, Any]) -> TriageResult:
    return TriageResult(Intent(data["intent"]), Scope(**data["scope"]), data["reason"])


def _records(data: dict[str, Any]) -> tuple[UsageRecord, ...]:
    return tuple(
        UsageRecord(
            date.fromisoformat(day), model, feature, requests, tokens_in, tokens_out, Decimal(cost)
        )
        for day, model, feature, requests, tokens_in, tokens_out, cost in data["records"]
    )


def _analysis(data: dict[str, Any]) -> Analysis:
    start, end = (date.fromisoformat(d) for d in data["period"])
    return Analysis(
        period_start=start,
        period_end=end,
        scope=Scope(**data["scope"]),
        total_spend_usd=Decimal(data["total"]),
        spend_by_model={k: Decimal(v) for k, v in data["by_model"].items()},
        spend_by_feature={k: Decimal(v) for k, v in data["by_feature"].items()},
        savings=tuple(
            Saving(
                **{
                    **s,
                    "monthly_cost_usd": Decimal(s["monthly_cost_usd"]),
                    "monthly_savings_usd": Decimal(s["monthly_savings_usd"]),
                }
            )
            for s in data["savings"]
        ),
        monthly_savings_usd=Decimal(data["monthly_savings"]),
        estimate=bool(data.get("estimate", False)),
    )


def kept_from(
    outputs: dict[str, dict[str, Any]], *, told: set[str], open_calls: dict[str, str]
) -> Kept | None:
    """What the run carries on from: the stored results by stage, the tools whose end its person
    was told, the tool calls still open (tool -> call id); None when a stage its person saw
    finish has no result kept (a run begun before results were kept): it cannot be carried on."""
    kept = Kept(
        triage=_triage(outputs["triage"]) if "triage" in outputs else None,
        records=_records(outputs["data"]) if "data" in outputs else None,
        analysis=_analysis(outputs["optimization"]) if "optimization" in outputs else None,
        told=frozenset(told),
        open_calls=dict(open_calls),
    )
    results = {
        "triage": kept.triage,
        "usage_report": kept.records,
        "savings_optimizer": kept.analysis,
        "savings_estimate": kept.analysis,
    }
    if any(results.get(tool, object()) is None for tool in told):
        return None
    return kept
