"""What the text of an answer is held to: its figures (driver/oracle/answers.py), the wording of
a language model (driver/oracle/held_prose.py), the same figures as the first time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.tasks.again import FIRST_ANSWER
from driver.evidence.stages import figures
from driver.oracle import held_prose
from driver.oracle.answers import (
    stated_costliest,
    stated_monthly_savings,
    stated_total,
    stated_unit_costs,
    stated_yearly_savings,
)

# The golden path's features (features/conversation/golden_path.feature).
GOLDEN_PATH_FEATURES = ("support-bot", "nightly-report", "contract-review")


@dataclass(frozen=True)
class StatesTheTotal:
    """The answer states that total spend over the last 30 days (e.g. "$3,785.00")."""

    amount: str

    def problems(self, actor: Actor, answer: str) -> list[str]:
        stated = stated_total(answer)
        if stated == self.amount:
            return []
        return [f"{actor.name} was told a total of {stated}, expected {self.amount}:\n{answer}"]


@dataclass(frozen=True)
class StatesTheSavings:
    """The answer states savings of about that amount a month (or a year)."""

    amount: str
    per: str = "month"

    def problems(self, actor: Actor, answer: str) -> list[str]:
        read = stated_yearly_savings if self.per == "year" else stated_monthly_savings
        stated = read(answer)
        if stated == self.amount:
            return []
        return [
            f"{actor.name} was told savings of {stated} a {self.per}, expected "
            f"{self.amount}:\n{answer}"
        ]


@dataclass(frozen=True)
class IsAboutTheFeatureOnly:
    """The answer is scoped to that feature and names no other of the golden path's."""

    feature: str
    others: tuple[str, ...] = GOLDEN_PATH_FEATURES

    def problems(self, actor: Actor, answer: str) -> list[str]:
        if f"For the {self.feature} feature" not in answer:
            return [f"the answer to {actor.name} is not about {self.feature}:\n{answer}"]
        named = [o for o in self.others if o != self.feature and o in answer]
        if named:
            return [f"the answer to {actor.name} still mentions {', '.join(named)}:\n{answer}"]
        return []


@dataclass(frozen=True)
class DeclinesPolitely:
    """A polite refusal that it can only help with AI spend, with no figures."""

    def problems(self, actor: Actor, answer: str) -> list[str]:
        if "Sorry" not in answer or "AI spend" not in answer:
            return [f"{actor.name} was told:\n{answer}"]
        if stated_total(answer) is not None:
            return [f"{actor.name} was given figures nobody asked for:\n{answer}"]
        return []


@dataclass(frozen=True)
class NamesTheCostliest:
    """The answer names that feature as the costliest per request, at exactly that cost."""

    feature: str
    amount: str

    def problems(self, actor: Actor, answer: str) -> list[str]:
        expected = ("request", self.feature, self.amount)
        stated = stated_costliest(answer)
        if stated == expected:
            return []
        return [f"{actor.name} was told {stated}, expected {expected}:\n{answer}"]


@dataclass(frozen=True)
class StatesWhatEachFeatureCosts:
    """The answer states each feature's costs by measure ("request", "thousand tokens"), exactly
    these and for no other feature."""

    expected: Mapping[str, Mapping[str, str]]

    def problems(self, actor: Actor, answer: str) -> list[str]:
        stated = stated_unit_costs(answer)
        if stated == self.expected:
            return []
        return [f"{actor.name} was told {stated}, expected {dict(self.expected)}:\n{answer}"]


@dataclass(frozen=True)
class HasTheSameFiguresAsTheFirstTime:
    """The answer states the same dollar amounts, in order, as the one noted as FIRST_ANSWER."""

    def problems(self, actor: Actor, answer: str) -> list[str]:
        first, again = figures(actor.notes.read(FIRST_ANSWER)), figures(answer)
        if first and again == first:
            return []
        return [f"{actor.name} was told {again} the second time, {first} the first time"]


@dataclass(frozen=True)
class HoldsOnlyTheAssistantsFigures:
    """Every amount and percentage of the answer is one a tool of the same run reported."""

    def problems(self, actor: Actor, answer: str) -> list[str]:
        events = [event.frame for event in actor.asked_last().events]
        made_up = held_prose.unsupported_figures(answer, events)
        if not made_up:
            return []
        return [
            f"the answer to {actor.name} states figures the assistant never worked out: "
            f"{', '.join(figure.text for figure in made_up)}\n{answer}"
        ]


@dataclass(frozen=True)
class KeepsItsWordsOnAISpend:
    """The language model's own words (before the computed report) are about AI spend."""

    def problems(self, actor: Actor, answer: str) -> list[str]:
        wrong = held_prose.off_topic(held_prose.models_words(answer))
        if wrong is None:
            return []
        return [f"the language model's words are off the question: {wrong}\n{answer}"]


@dataclass(frozen=True)
class IsTheComputedReportAlone:
    """The answer opens with the computed report: no words of the language model before it."""

    def problems(self, actor: Actor, answer: str) -> list[str]:
        if not held_prose.models_words(answer) and held_prose.opens_with_report(answer):
            return []
        return [f"the answer does not open with the computed report:\n{answer}"]
