"""What a real language model's prose can be held to (the `@real_llm` scenarios).

A real model's wording cannot be compared with a fixed text, but two things can be checked:
- every figure it states (money, percentages) is a figure one of the assistant's tools reported
  in the same run (`tool_completed` summaries, `tool_executing` arguments): a figure found
  nowhere there was made up, or worked out by the model, which our answers never do;
- its own words (the lines before the computed report) stay on the person's question: they speak
  of AI spend, not of something else, and are not a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Kind = Literal["money", "percent"]

_NUMBER = r"\d(?:[\d,]*\d)?(?:\.\d+)?"
_FIGURE = re.compile(
    rf"(?P<money>[$€£]\s?(?P<m>{_NUMBER})(?P<scale>\s?[kKmM]\b)?)"
    rf"|(?P<m2>{_NUMBER})\s?(?:USD|dollars?)\b"
    rf"|(?P<p>{_NUMBER})\s?(?:%|percent\b|per cent\b)",
    re.IGNORECASE,
)
_SCALE = {"k": Decimal(1000), "m": Decimal(1_000_000)}

# How the computed report opens (service/agents/report.py): the model's words come before it.
_REPORT_OPENING = re.compile(
    r"^(Over the last \d+ days|For .+, over the last \d+ days|There is no AI usage)"
)
# The subject of every answer: at least one of these words in the model's own words.
TOPIC_WORDS = frozenset(
    "ai spend spends spending spent cost costs costly budget budgets save saves saving savings "
    "model models usage money expense expenses bill bills cheaper price prices pricing "
    "optimise optimize optimising optimizing report breakdown efficient efficiency cut cuts "
    "reduce reducing invest investment".split()
)
# A model that declines or talks about itself instead of answering.
_OFF_TOPIC = re.compile(
    r"\b(as an ai\b|i(?:'m| am) (?:sorry|unable)|i can(?:not|'t) (?:help|assist))", re.IGNORECASE
)


@dataclass(frozen=True)
class Figure:
    """A figure as stated ("$1,316.00", "40%"), its kind and its value."""

    text: str
    kind: Kind
    value: Decimal


def figures_in(text: str) -> list[Figure]:
    """Every money amount and percentage in `text`, as a reader would take them."""
    found = []
    for match in _FIGURE.finditer(text):
        if match["money"]:
            value = _number(match["m"])
            if match["scale"]:
                value *= _SCALE[match["scale"].strip().lower()]
            kind: Kind = "money"
        elif match["m2"]:
            value, kind = _number(match["m2"]), "money"
        else:
            value, kind = _number(match["p"]), "percent"
        found.append(Figure(match[0].strip(), kind, value))
    return found


def tool_figures(events: Iterable[Mapping[str, Any]]) -> set[tuple[Kind, Decimal]]:
    """The figures the run's tools reported: in each `tool_completed` summary and each
    `tool_executing` argument (frames as received)."""
    figures: set[tuple[Kind, Decimal]] = set()
    for frame in events:
        payload = frame.get("payload")
        if not isinstance(payload, dict):
            continue
        texts: list[str] = []
        if frame.get("type") == "tool_completed" and isinstance(payload.get("summary"), str):
            texts.append(payload["summary"])
        if frame.get("type") == "tool_executing" and isinstance(payload.get("args"), dict):
            texts.extend(str(value) for value in payload["args"].values())
        figures |= {(f.kind, f.value) for text in texts for f in figures_in(text)}
    return figures


def unsupported_figures(answer: str, events: Iterable[Mapping[str, Any]]) -> list[Figure]:
    """The figures of `answer` that no tool of the run reported (empty when all are held)."""
    known = tool_figures(events)
    return [f for f in figures_in(answer) if (f.kind, f.value) not in known]


def models_words(answer: str) -> str:
    """The lines of the answer before the computed report: what the language model wrote."""
    lines = answer.strip().splitlines()
    for i, line in enumerate(lines):
        if _REPORT_OPENING.match(line.strip()):
            return " ".join(lines[:i]).strip()
    return ""


def opens_with_report(answer: str) -> bool:
    """The answer's first line is the computed report's."""
    return bool(_REPORT_OPENING.match(answer.strip()))


def off_topic(words: str) -> str | None:
    """Why these words are not about the person's AI spend, or None when they are."""
    if not words:
        return "the language model wrote nothing of its own"
    if refusal := _OFF_TOPIC.search(words):
        return f'it declines or speaks of itself ("{refusal[0]}")'
    said = {w.strip("'").casefold() for w in re.findall(r"[A-Za-z']+", words)}
    if not said & TOPIC_WORDS:
        return "it never mentions AI, spend, costs, savings or models"
    return None


def _number(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # the pattern only matches numbers; kept total for mypy's sake
        return Decimal(0)
