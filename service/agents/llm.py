"""An OpenAI-compatible chat completions provider for the report step, with a fallback.

The figures never come from the model: the deterministic report (computed by the optimizer) is
always the body of the answer, and the model only writes one introductory sentence around it. An
intro that states an amount is dropped, so "spent $X" and "save about $Y a month" stay the
optimizer's. Triage and refusals stay rule-based too.

Every call is bounded: a timeout per attempt, a few retries with backoff on failures worth
retrying (timeouts, connection errors, 408/429/5xx, unreadable answers), and an overall budget
(half the run deadline) so the run always ends in time. When the model cannot be reached the
answer falls back to the deterministic report, or, with `LLM_FALLBACK=none`, the run ends with
`agent_error` `llm_unavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any

import aiohttp

from service.agents.llm_settings import LlmSettings
from service.agents.model import Analysis, TriageResult
from service.agents.reasoner import DeterministicReasoner, Reasoner
from service.metrics import LLM_ATTEMPTS, LLM_FALLBACKS

log = logging.getLogger("service.agents.llm")

BACKOFF_S = 0.2
MIN_ATTEMPT_S = 0.2  # no attempt is started with less time than this left in the budget
MAX_INTRO_CHARS = 300
RETRY_STATUSES = frozenset({408, 409, 429}) | frozenset(range(500, 600))
_AMOUNT = re.compile(r"[$€£]\s*\d|\d\s*(usd|dollars?)\b", re.IGNORECASE)

SYSTEM_PROMPT = (
    "You advise companies on their AI model spend. Write one short, friendly sentence that "
    "introduces the report below for the person who asked. Do not state any amounts or "
    "numbers: the report states them."
)


class LlmError(Exception):
    """One failed call of the model; `retryable` says whether another attempt may help, `outcome`
    how it is counted in `chat_llm_attempts_total`."""

    def __init__(self, message: str, *, retryable: bool, outcome: str = "unreadable") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.outcome = outcome


def status_outcome(status: int) -> str:
    """A failed answer's outcome label: a few classes, not one label value per status code."""
    if status == 429:
        return "rate_limited"
    return "server_error" if status >= 500 else "client_error"


class LlmUnavailable(Exception):
    """The model could not be reached within its budget, and no fallback is configured."""


@contextlib.asynccontextmanager
async def reasoner_for(settings: LlmSettings, *, run_deadline_s: float) -> AsyncIterator[Reasoner]:
    """The reasoner the settings ask for; an LLM one holds an HTTP session until exit."""
    if not settings.enabled:
        yield DeterministicReasoner()
        return
    reasoner = LlmReasoner(settings, budget_s=run_deadline_s / 2)
    try:
        yield reasoner
    finally:
        await reasoner.aclose()


class LlmReasoner:
    def __init__(self, settings: LlmSettings, *, budget_s: float) -> None:
        if settings.base_url is None:
            raise ValueError("LlmReasoner needs a base URL")
        self._settings = settings
        self._url = f"{settings.base_url}/chat/completions"
        self._budget_s = budget_s
        self._rules = DeterministicReasoner()
        self._http: aiohttp.ClientSession | None = None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def triage(
        self,
        question: str,
        *,
        history: Sequence[str],
        known_features: Collection[str],
        known_models: Collection[str],
    ) -> TriageResult:
        return await self._rules.triage(
            question, history=history, known_features=known_features, known_models=known_models
        )

    async def refuse(self, question: str) -> str:
        return await self._rules.refuse(question)

    async def write_report(self, analysis: Analysis, question: str) -> str:
        report = await self._rules.write_report(analysis, question)
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Question: {question}\n\nReport:\n{report}"},
        ]
        try:
            intro = await self.complete(messages)
        except LlmError as exc:
            if not self._settings.fallback:
                raise LlmUnavailable(
                    "The language model is not answering right now; please ask again shortly"
                ) from exc
            log.warning("LLM unavailable, answering with the deterministic report: %s", exc)
            LLM_FALLBACKS.labels("unavailable").inc()
            return report
        usable = _usable_intro(intro)
        if usable is None:
            LLM_FALLBACKS.labels("unusable_answer").inc()
            log.warning("LLM intro dropped (empty or stating figures): %r", intro[:200])
            return report
        return f"{usable}\n{report}"

    async def complete(self, messages: list[dict[str, str]]) -> str:
        """The model's text for `messages`, retrying within the budget; raises LlmError."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._budget_s
        attempts = self._settings.retries + 1
        last: LlmError | None = None
        for attempt in range(attempts):
            remaining = deadline - loop.time()
            if remaining < MIN_ATTEMPT_S:
                break
            try:
                async with asyncio.timeout(min(self._settings.timeout_s, remaining)):
                    text = await self._attempt(messages)
            except TimeoutError:
                last = LlmError("no answer within the timeout", retryable=True, outcome="timeout")
            except aiohttp.ClientError as exc:
                last = LlmError(
                    f"connection failed: {exc!r}", retryable=True, outcome="connection_error"
                )
            except LlmError as exc:
                last = exc
            else:
                LLM_ATTEMPTS.labels("ok").inc()
                return text
            LLM_ATTEMPTS.labels(last.outcome).inc()
            if not last.retryable or attempt == attempts - 1:
                break
            pause = min(BACKOFF_S * 2**attempt, max(0.0, deadline - loop.time() - MIN_ATTEMPT_S))
            await asyncio.sleep(pause)
        raise LlmError(
            f"{last or 'no time left'} (after {attempt + 1} of {attempts} attempts)",
            retryable=False,
        )

    async def _attempt(self, messages: list[dict[str, str]]) -> str:
        if self._http is None:
            self._http = aiohttp.ClientSession(trust_env=False)
        headers = {"Accept": "text/event-stream" if self._settings.stream else "application/json"}
        if self._settings.api_key:
            headers["Authorization"] = f"Bearer {self._settings.api_key.get_secret_value()}"
        body: dict[str, Any] = {
            "model": self._settings.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": 120,
            "stream": self._settings.stream,
        }
        async with self._http.post(self._url, json=body, headers=headers) as response:
            if response.status != 200:
                detail = (await response.text(errors="replace"))[:200]
                raise LlmError(
                    f"HTTP {response.status}: {detail}",
                    retryable=response.status in RETRY_STATUSES,
                    outcome=status_outcome(response.status),
                )
            if response.content_type == "text/event-stream":
                return await _read_stream(response)
            try:
                answer = await response.json(content_type=None)
                content = answer["choices"][0]["message"].get("content")
            except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                raise LlmError(f"unreadable completion: {exc!r}", retryable=True) from exc
            # A model that declines answers `content: null` (and a `refusal`): no intro, not "None".
            return content if isinstance(content, str) else ""


async def _read_stream(response: aiohttp.ClientResponse) -> str:
    """Join the deltas of a server-sent events completion (`data: {...}` ... `data: [DONE]`)."""
    parts: list[str] = []
    async for raw in response.content:
        line = raw.decode("utf-8", errors="replace").strip()
        if not line.startswith("data:"):
            continue
        data = line.removeprefix("data:").strip()
        if data == "[DONE]":
            return "".join(parts)
        try:
            choices = json.loads(data)["choices"]
            # Chunks without choices carry no text: Azure OpenAI's content-filter results first,
            # the usage totals last (`stream_options.include_usage`). Skipped, not an error.
            delta = choices[0].get("delta", {}) if choices else {}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LlmError(f"unreadable stream chunk: {exc!r}", retryable=True) from exc
        if isinstance(delta, dict) and isinstance(delta.get("content"), str):
            parts.append(delta["content"])
    raise LlmError("the stream ended before [DONE]", retryable=True)


def _usable_intro(text: str) -> str | None:
    """One line of plain prose without amounts, or None."""
    line = " ".join(text.strip().split("\n\n")[0].split())
    if not line or _AMOUNT.search(line) or "$" in line:
        return None
    if len(line) > MAX_INTRO_CHARS:
        line = line[: MAX_INTRO_CHARS - 1].rstrip() + "…"
    return line
