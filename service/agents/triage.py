"""Decide whether a question is about AI spend, and which feature or model it narrows to.

Feature and model names count when the question names them loosely ("the support bot" names
`support-bot`, "nightly reports" names `nightly-report`). Naming one is enough to be on topic:
those names come from the company's own usage data.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from service.agents.model import Intent, Scope, TriageResult, name_key

_SPEND_WORDS = re.compile(
    r"\b(spen[dt]\w*|costs?|costly|costing|expens\w*|cheap\w*|sav(e|es|ed|ing|ings)|budget\w*"
    r"|bill\w*|invoice\w*|pric\w*|pay\w*|paid|charge[sd]?|money|dollars?|usage|tokens?"
    r"|models?|llms?|optimi[sz]\w*|cut|reduce|waste\w*|how much)\b"
)
_REFERS_BACK = re.compile(
    r"\b(what about|how about|and for|and on|and the|only|just|instead|same|that|those|it)\b"
)


def triage(
    question: str,
    *,
    history: Sequence[str],
    known_features: Collection[str],
    known_models: Collection[str],
) -> TriageResult:
    """Classify a question; `history` holds the thread's earlier questions, oldest first."""
    text = question.casefold()
    scope = Scope(feature=_named(question, known_features), model=_named(question, known_models))
    named = scope != Scope()
    on_topic = named or _SPEND_WORDS.search(text) is not None
    if not on_topic:
        return TriageResult(Intent.UNSUPPORTED, Scope(), "not about AI spend, costs or usage")
    if history and (named or _REFERS_BACK.search(text)):
        return TriageResult(Intent.FOLLOW_UP, scope, f"follow-up about {scope.describe()}")
    return TriageResult(Intent.SPEND, scope, f"question about the AI spend of {scope.describe()}")


def _named(question: str, names: Collection[str]) -> str | None:
    """The one name the question mentions, or `None` when it names none or several.

    A mention inside a longer one does not count: "gpt-4o-mini" does not also name "gpt-4o".
    """
    text = name_key(question)
    by_key = {name_key(name): name for name in sorted(names, reverse=True)}
    hits = [
        (match.start(), match.end(), key)
        for key in by_key
        if key
        for match in re.finditer(rf"(?<![^-]){re.escape(key)}s?(?![^-])", text)
    ]
    mentioned = {
        key
        for start, end, key in hits
        if not any(s <= start and end <= e and e - s > end - start for s, e, _ in hits)
    }
    return by_key[mentioned.pop()] if len(mentioned) == 1 else None
