"""The judgement steps of the pipeline, behind one protocol so an LLM can take them over.

The computations (totals, savings) are never delegated: a reasoner classifies questions and
phrases answers around figures the optimizer has already computed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from typing import Protocol

from service.agents.model import Analysis, TriageResult
from service.agents.report import polite_refusal, write_report
from service.agents.triage import costly, triage


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
        if not (
            costly(question, known_features, history=history)
            or costly(question, known_models, history=history)
        ):
            return triage(
                question,
                history=history,
                known_features=known_features,
                known_models=known_models,
            )
        # Linear in the question, but a long one still costs milliseconds (and a new set of
        # names its index): off the event loop, so the other people on the instance never wait.
        return await asyncio.to_thread(
            triage,
            question,
            history=history,
            known_features=known_features,
            known_models=known_models,
        )

    async def write_report(self, analysis: Analysis, question: str) -> str:
        return write_report(analysis, question)

    async def refuse(self, question: str) -> str:
        return polite_refusal(question)
