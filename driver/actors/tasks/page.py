"""Tasks at the chat web page, performed by an actor who can browse the web (their `WebBrowsing`,
driver/web/browser.py: a browser profile whose tabs are `ChatPage`s). What the page told them is
noted on their notepad for the questions that follow."""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.actors.questions.page import TheAnswerInTheBrowser
from driver.actors.tasks.usage import usage_records
from driver.client.contract import CloseCode
from driver.client.eventually import eventually
from driver.web.browser import WebBrowsing
from driver.web.chat_page import ChatPage

USAGE_FILE = Note[Path]("her usage file")
ANSWERS_IN_THE_BROWSER = Note[dict[str, str]]("the answers her browser showed, by question")
FOUND_IN_THE_BROWSER = Note[list[str]]("what her browser's search found")
SIGN_IN_SHOWN = Note[str]("what the page said when she signed in")
SIGNED_OUT_AT = Note[float]("when she signed out in her browser")

T = TypeVar("T")

CSV_COLUMNS = ("day", "model", "feature", "requests", "input tokens", "output tokens", "cost")


@dataclass(frozen=True)
class SaveUsageFile:
    """Export the table's usage of last month to a file, as from a spreadsheet (one row per
    record); the file is noted as USAGE_FILE."""

    rows: Sequence[Mapping[str, str]]

    async def perform_as(self, actor: Actor) -> None:
        path = Path(tempfile.mkdtemp()) / f"{actor.name.lower()}-usage.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(CSV_COLUMNS)
            for r in usage_records(self.rows):
                cost = f"{r['cost_usd']:.2f}"
                counts = [r["requests"], r["input_tokens"], r["output_tokens"]]
                writer.writerow([r["day"], r["model"], r["feature"], *counts, cost])
        actor.notes.write(USAGE_FILE, path)


@dataclass(frozen=True)
class SignUpInTheBrowser:
    """Create the account on the page. The page keeps its passes where the suite cannot read
    them either, so the suite signs in as the person on its own (to check the history as the
    person, as every scenario's verification does)."""

    async def perform_as(self, actor: Actor) -> None:
        await (await _tab(actor)).sign_up(actor.name, actor.email, actor.password)
        actor.tokens = await actor.api.login(actor.email, actor.password)
        actor.user_id = (await actor.api.me(actor.access_token)).user_id
        actor.note("signed up in the browser")


@dataclass(frozen=True)
class SignInInTheBrowser:
    """Sign in on the page with that password; what the page said (empty: let in) is noted as
    SIGN_IN_SHOWN."""

    password: str

    async def perform_as(self, actor: Actor) -> None:
        said = await (await _tab(actor)).sign_in(actor.email, self.password)
        actor.notes.write(SIGN_IN_SHOWN, said or "")


@dataclass(frozen=True)
class SignOutInTheBrowser:
    """Sign out in that tab; the moment of the click is noted as SIGNED_OUT_AT."""

    tab: int = 1

    async def perform_as(self, actor: Actor) -> None:
        actor.notes.write(SIGNED_OUT_AT, time.monotonic())
        await (await _tab(actor, self.tab)).sign_out()


@dataclass(frozen=True)
class ReloadThePage:
    async def perform_as(self, actor: Actor) -> None:
        web = actor.ability_to(WebBrowsing)
        await web.reload(await web.tab())
        actor.note("reloaded the page")


@dataclass(frozen=True)
class OpenASecondTab:
    async def perform_as(self, actor: Actor) -> None:
        await (await _tab(actor, 2)).wait_connected()


@dataclass(frozen=True)
class LoadTheUsageFileInTheBrowser:
    """Load the file noted as USAGE_FILE on the page, which must say it loaded it."""

    async def perform_as(self, actor: Actor) -> None:
        csv_file = actor.notes.read(USAGE_FILE)
        said = await (await _tab(actor)).load_usage(csv_file)
        actor.note(f"loaded usage in the browser: {said}")
        if not said.startswith("Loaded"):
            raise AssertionError(f"{actor.name} could not load {csv_file.name}: {said}")


@dataclass(frozen=True)
class AskInTheBrowser:
    """Ask on the page (a new question, or in the conversation the page shows)."""

    question: str

    async def perform_as(self, actor: Actor) -> None:
        await (await _tab(actor)).ask(self.question)


@dataclass(frozen=True)
class AskInTheBrowserForTheAnswer:
    """Ask on the page and wait for the answer, noted by question in ANSWERS_IN_THE_BROWSER."""

    question: str
    within: float

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(AskInTheBrowser(self.question))
        answer = await actor.asks_for(TheAnswerInTheBrowser(self.within))
        answers = _noted(actor, ANSWERS_IN_THE_BROWSER, {})
        actor.notes.write(ANSWERS_IN_THE_BROWSER, {**answers, self.question: answer})


@dataclass(frozen=True)
class AskInTheBrowserUntilItRuns:
    """Ask on the page, then wait until it shows the assistant running that tool."""

    question: str
    tool: str
    within: float

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(AskInTheBrowser(self.question))
        await (await _tab(actor)).wait_for_step_titled(self.tool, self.within)


@dataclass(frozen=True)
class AskInTheBrowserOnceThePassIsRenewed:
    """Wait until the page's chat was closed for an expired pass and reopened (with the pass
    the page renewed by itself), then ask."""

    question: str
    within: float

    async def perform_as(self, actor: Actor) -> None:
        tab = await _tab(actor)

        async def reopened() -> bool:
            log = await tab.frame_log()
            expired = [
                i
                for i, e in enumerate(log)
                if e.get("kind") == "closed" and e["code"] == CloseCode.PASS_ENDED
            ]
            if not expired or not any(e.get("kind") == "opened" for e in log[expired[0] :]):
                raise AssertionError(f"{tab.name} has not reopened the chat with a renewed pass")
            return True

        check: Callable[[], Awaitable[bool]] = reopened
        what = f"{actor.name}'s browser reopening the chat with a renewed pass"
        done: bool = await eventually(check, timeout=self.within, describe=what)
        assert done
        actor.note("the browser renewed the pass and reopened the chat")
        await actor.attempts_to(AskInTheBrowser(self.question))


@dataclass(frozen=True)
class OpenTheConversationInTheBrowser:
    """Open an earlier conversation by its title from the page's history."""

    title: str

    async def perform_as(self, actor: Actor) -> None:
        await (await _tab(actor)).open_conversation(self.title)


@dataclass(frozen=True)
class SearchInTheBrowser:
    """Search her conversations on the page; what it found is noted as FOUND_IN_THE_BROWSER."""

    words: str

    async def perform_as(self, actor: Actor) -> None:
        actor.notes.write(FOUND_IN_THE_BROWSER, await (await _tab(actor)).search(self.words))


@dataclass(frozen=True)
class LoseTheBrowsersConnection:
    async def perform_as(self, actor: Actor) -> None:
        await (await _tab(actor)).drop_connection()
        actor.note("lost the browser's connection")


async def _tab(actor: Actor, number: int = 1) -> ChatPage:
    """Their browser's tab `number` (1 = the first), opened if it is not yet."""
    return await actor.ability_to(WebBrowsing).tab(number)


def _noted(actor: Actor, note: Note[T], otherwise: T) -> T:
    return actor.notes.read(note) if actor.notes.has(note) else otherwise
