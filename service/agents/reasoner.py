"""The judgement steps of the pipeline, behind one protocol so an LLM can take them over.

The computations (totals, savings) are never delegated: a reasoner classifies questions and
phrases answers around figures the optimizer has already computed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from service.agents.model import Analysis, TriageResult
from service.agents.name_index import INDEXES
from service.agents.report import polite_refusal, write_report
from service.agents.triage import as_set, cheap, triage_over


class Reasoner(Protocol):
    async def triage(
        self,
        question: str,
        *,
        history: Sequence[str],
        known_features: Collection[str],
        known_models: Collection[str],
    ) -> TriageResult: ...

    async def write_report(self, analysis: Analysis, question: str) -> str: ...

    async def refuse(self, question: str) -> str: ...


class DeterministicReasoner:
    """The embedded default: rules and templates, same answer for the same input."""

    async def triage(
        self,
        question: str,
        *,
        history: Sequence[str],
        known_features: Collection[str],
        known_models: Collection[str],
    ) -> TriageResult:
        # A set of names not seen lately is indexed off the event loop, once however many
        # questions await it (service/agents/name_index.py).
        features = await INDEXES.index(as_set(known_features))
        models = await INDEXES.index(as_set(known_models))
        if cheap(question, history=history):
            return triage_over(question, history=history, features=features, models=models)
        # Linear in the question, but a long one still costs milliseconds: off the event loop,
        # so the other people on the instance never wait.
        return await INDEXES.run(
            triage_over, question, history=history, features=features, models=models
        )

    async def write_report(self, analysis: Analysis, question: str) -> str:
        return write_report(analysis, question)

    async def refuse(self, question: str) -> str:
        return polite_refusal(question)
