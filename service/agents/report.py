"""The answers people read: a report of an analysis, or a polite refusal."""

from __future__ import annotations

import re
from decimal import Decimal

from service.agents import catalogue
from service.agents.model import Analysis, Saving, Scope, usd

# Longer lists are summarised: the first ones (the largest), then "and K more ... $X", so an
# answer stays a few kilobytes whatever was uploaded (every frame must stay under 64 KiB).
MAX_LISTED = 10
# "And what would that save in a year?": the answer adds the yearly figure.
_YEARLY = re.compile(
    r"\b(a|per|each|every|one|the|this|next) year\b|\byearly\b|\bannual(ly)?\b|\b12 months\b",
    re.IGNORECASE,
)
_GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening))\b", re.IGNORECASE)


def write_report(analysis: Analysis, question: str) -> str:
    """Answer with the spend and the monthly savings of the analysis, in dollars.

    A question about a year ("what would that save in a year?") also gets the yearly savings:
    12 times the monthly figure. Otherwise the report reads the same whatever the wording.
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
    total = analysis.total_spend_usd
    lines = [
        f"{lead} {period} your company spent {usd(total)} on AI models.",
        f"By model: {_amounts(analysis.spend_by_model, total, 'models')}.",
        f"By feature: {_amounts(analysis.spend_by_feature, total, 'features')}.",
    ]
    if analysis.estimate:
        lines.append(
            "This is an estimate: the full savings analysis could not run just now, so I only "
            "counted what batching background work would save (half of what it cost). Ask again "
            "later for the full analysis."
        )
    if analysis.savings:
        lines.append(f"You could save about {usd(analysis.monthly_savings_usd)} a month:")
        listed = analysis.savings[:MAX_LISTED]
        lines.extend(f"- {_advice(saving)}" for saving in listed)
        if rest := analysis.savings[MAX_LISTED:]:
            rest_usd = analysis.monthly_savings_usd - sum(
                (saving.monthly_savings_usd for saving in listed), Decimal(0)
            )
            lines.append(
                f"- and {len(rest):,} smaller savings: about {usd(rest_usd)} a month together."
            )
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
        named = ", ".join(unpriced[:MAX_LISTED])
        if len(unpriced) > MAX_LISTED:
            named += f" and {len(unpriced) - MAX_LISTED:,} more"
        lines.append(f"I have no prices for {named}, so the savings leave {them} out.")
    if _YEARLY.search(question):
        lines.append(
            f"That is about {usd(analysis.yearly_savings_usd)} a year: 12 months at "
            f"{usd(analysis.monthly_savings_usd)}."
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


def _amounts(spend: dict[str, Decimal], total: Decimal, what: str) -> str:
    """The largest amounts by name; the rest as one amount, so that the parts add up to the
    total the answer states."""
    ranked = list(spend.items())
    listed = ranked[:MAX_LISTED]
    text = ", ".join(f"{name} {usd(amount)}" for name, amount in listed)
    if len(ranked) > MAX_LISTED:
        rest = total - sum((amount for _, amount in listed), Decimal(0))
        text += f", and {len(ranked) - MAX_LISTED:,} more {what} {usd(rest)}"
    return text


def _advice(saving: Saving) -> str:
    about = f"about {usd(saving.monthly_savings_usd)} a month ({saving.rationale})"
    if saving.kind == "model_switch":
        return (
            f"Move the {saving.feature} feature from {saving.model} to {saving.target_model}: "
            f"{about}."
        )
    return f"Send the {saving.feature} requests on {saving.model} through the batch API: {about}."
