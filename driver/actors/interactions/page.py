"""What the chat web page is held to: its progress, how it catches up, the conversation it
shows, what it keeps, and what it says of the person's sign-in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.questions.page import CatchingUp, Shown
from driver.actors.tasks.page import ANSWERS_IN_THE_BROWSER
from driver.client.contract import (
    AGENT_COMPLETED,
    AGENT_STARTED,
    AGENT_THINKING,
    TOOL_COMPLETED,
    TOOL_EXECUTING,
)
from driver.web.chat_page import Step

EVERY_KIND = (AGENT_STARTED, AGENT_THINKING, TOOL_EXECUTING, TOOL_COMPLETED, AGENT_COMPLETED)


@dataclass(frozen=True)
class ShowsEveryKindOfProgressInOrder:
    """The progress of one question: every kind of step, each once, in order, ending with the
    answer."""

    def problems(self, actor: Actor, answer: Sequence[Step]) -> list[str]:
        problems = _progress_problems(answer)
        if not problems:
            return []
        return [f"{actor.name}'s browser shows the wrong progress: {'; '.join(problems)}"]


@dataclass(frozen=True)
class CaughtUpOnItsOwn:
    """After a lost connection the page reconnected and resumed by itself, and shows every step
    of the question once, in order, ending with the answer."""

    def problems(self, actor: Actor, answer: CatchingUp) -> list[str]:
        problems = _progress_problems(answer.steps)
        if not answer.reconnected:
            problems.append("it never reconnected")
        elif not answer.resumed:
            problems.append("it reconnected without asking for the steps it missed")
        if not problems:
            return []
        return [f"{actor.name}'s browser did not catch up: {'; '.join(problems)}"]


@dataclass(frozen=True)
class ShowsHerQuestionThenTheAnswer:
    """The conversation on screen holds one question, as it was asked, followed by the answer
    the browser showed for it when it arrived (texts compared with their spacing evened out)."""

    def problems(self, actor: Actor, answer: Sequence[tuple[str, str]]) -> list[str]:
        noted = actor.notes.has(ANSWERS_IN_THE_BROWSER)
        given = actor.notes.read(ANSWERS_IN_THE_BROWSER) if noted else {}
        wrong = _exchange_problems(answer, given)
        return [f"{actor.name}'s browser shows {list(answer)}: {'; '.join(wrong)}"] if wrong else []


@dataclass(frozen=True)
class Includes:
    """The list the page gave (what a search found) includes that item."""

    item: str
    what: str = "search found"

    def problems(self, actor: Actor, answer: Sequence[str]) -> list[str]:
        if self.item in answer:
            return []
        return [f"{actor.name}'s {self.what} {list(answer)}, not {self.item!r}"]


@dataclass(frozen=True)
class KeepsNothingReadable:
    """The browser's storage holds nothing a script on the page could read."""

    def problems(self, actor: Actor, answer: dict[str, str]) -> list[str]:
        return [f"a script on {actor.name}'s page can read: {answer}"] if answer else []


@dataclass(frozen=True)
class IsSignedOut:
    """The tab shows the sign-in form, not the chat."""

    def problems(self, actor: Actor, answer: Shown) -> list[str]:
        return [f"{answer.tab} shows {actor.name} signed in"] if answer.signed_in else []


@dataclass(frozen=True)
class IsSignedInAsThemselves:
    """The tab shows their chat, signed in as them (their email), and connected when the
    question looked."""

    def problems(self, actor: Actor, answer: Shown) -> list[str]:
        if not answer.signed_in:
            return [f"{answer.tab} asks {actor.name} to sign in again"]
        if actor.email not in answer.who:
            return [f"{answer.tab} shows {answer.who!r} as signed in, not {actor.name}"]
        if answer.connected is False:
            return [f"{answer.tab} never connected to the chat"]
        return []


@dataclass(frozen=True)
class NeverSaidSignedOut:
    """The tab still shows the chat and no notice that they were signed out."""

    def problems(self, actor: Actor, answer: Shown) -> list[str]:
        if answer.signed_in and "signed out" not in answer.notice:
            return []
        return [f"{answer.tab} says {answer.notice!r}"]


def _progress_problems(steps: Sequence[Step]) -> list[str]:
    problems = []
    kinds = [s.kind for s in steps]
    missing = [k for k in EVERY_KIND if k not in kinds]
    if missing:
        problems.append(f"no {', '.join(missing)} step")
    seqs = [seq for s in steps for seq in s.seqs]
    if seqs != list(range(1, len(seqs) + 1)):
        problems.append(f"the steps are not each shown once, in order: {seqs}")
    if len({s.run_id for s in steps}) > 1:
        problems.append("steps of several questions are mixed")
    if kinds and kinds[-1] != AGENT_COMPLETED:
        problems.append(f"the last step is {steps[-1].title!r}, not the answer")
    return problems


def _exchange_problems(shown: Sequence[tuple[str, str]], answers: dict[str, str]) -> list[str]:
    roles = [role for role, _ in shown]
    if roles != ["user", "assistant"]:
        return [f"the speakers are {roles}, not her question then the assistant's answer"]
    (_, question), (_, answer) = ((role, " ".join(text.split())) for role, text in shown)
    given = {" ".join(q.split()): " ".join(a.split()) for q, a in answers.items()}
    if question not in given:
        return [f"the question {question!r} is not one she asked ({list(given)})"]
    if answer != given[question]:
        return [f"the answer is not the one she was given: {given[question][:120]!r}"]
    return []
