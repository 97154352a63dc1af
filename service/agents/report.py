"""The answers people read: a report of an analysis, or a polite refusal."""

from __future__ import annotations

import re
from decimal import Decimal

from service.agents import catalogue
from service.agents.model import Analysis, Saving, Scope, usd

_GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening))\b", re.IGNORECASE)


def write_report(analysis: Analysis, question: str) -> str:
    """Answer with the spend and the monthly savings of the analysis, in dollars.

    The deterministic report reads the same whatever the wording of `question`; the parameter is
    there for reasoners that phrase their answer around it.
    """
    period = (
        f"the last {analysis.days} days ({analysis.period_start.isoformat()} to "
        f"{analysis.period_end.isoformat()})"
    )
    if not analysis.spend_by_model:
        who = "your company" if analysis.scope == Scope() else analysis.scope.describe()
        return (
            f"There is no AI usage to analyse for {who} in {period}: your company spent $0.00, "
            "so you could save about $0.00 a month. Upload your usage records (day, model, "
            "feature, requests, tokens and cost) and ask again.\n"
        )
    lead = "Over" if analysis.scope == Scope() else f"For {analysis.scope.describe()}, over"
    lines = [
        f"{lead} {period} your company spent {usd(analysis.total_spend_usd)} on AI models.",
        f"By model: {_amounts(analysis.spend_by_model)}.",
        f"By feature: {_amounts(analysis.spend_by_feature)}.",
    ]
    if analysis.savings:
        lines.append(f"You could save about {usd(analysis.monthly_savings_usd)} a month:")
        lines.extend(f"- {_advice(saving)}" for saving in analysis.savings)
        lines.append(
            f"With these changes the {analysis.days} days analysed would have cost "
            f"{usd(analysis.monthly_savings_usd)} less."
        )
    else:
        lines.append(
            "I found no savings to suggest, so the estimated savings are $0.00 a month: no "
            "feature sends light requests to a premium model, and no background feature runs "
            "on a model with a known batch discount."
        )
    unpriced = sorted(model for model in analysis.spend_by_model if not catalogue.price_of(model))
    if unpriced:
        them = "it" if len(unpriced) == 1 else "them"
        lines.append(
            f"I have no prices for {', '.join(unpriced)}, so the savings leave {them} out."
        )
    return "\n".join(lines) + "\n"


def polite_refusal(question: str) -> str:
    """Turn down a question that is not about AI spend, and say what the assistant can do."""
    opening = "Hello!" if _GREETING.match(question) else "Sorry, I can't help with that."
    return (
        f"{opening} I can help with your company's AI spend: what you spent on which models "
        "and features, and how much you could save each month, for example by moving light "
        'work to cheaper models or batching background jobs. Try "How can we cut our model '
        'spend?"\n'
    )


def _amounts(spend: dict[str, Decimal]) -> str:
    return ", ".join(f"{name} {usd(amount)}" for name, amount in spend.items())


def _advice(saving: Saving) -> str:
    about = f"about {usd(saving.monthly_savings_usd)} a month ({saving.rationale})"
    if saving.kind == "model_switch":
        return (
            f"Move the {saving.feature} feature from {saving.model} to {saving.target_model}: "
            f"{about}."
        )
    return f"Send the {saving.feature} requests on {saving.model} through the batch API: {about}."
