"""What a person does on the chat web page, in one call per step: the tasks and questions of an
actor who can browse the web (their `WebBrowsing`: a browser profile whose tabs are `ChatPage`s)."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.
# ruff: noqa: ASYNC109

from __future__ import annotations

import csv
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from driver.actors.actor import Actor
from driver.client.contract import (
    AGENT_COMPLETED,
    AGENT_STARTED,
    AGENT_THINKING,
    TOOL_COMPLETED,
    TOOL_EXECUTING,
    CloseCode,
)
from driver.client.eventually import eventually
from driver.web.browser import WebBrowsing
from driver.web.chat_page import ChatPage, Step

EVERY_KIND = (AGENT_STARTED, AGENT_THINKING, TOOL_EXECUTING, TOOL_COMPLETED, AGENT_COMPLETED)
CSV_COLUMNS = ("day", "model", "feature", "requests", "input tokens", "output tokens", "cost")


def write_usage_csv(records: Sequence[Mapping[str, Any]], path: Path) -> Path:
    """The usage as a person exports it from a spreadsheet (one row per record)."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for r in records:
            cost = f"{r['cost_usd']:.2f}"
            counts = [r["requests"], r["input_tokens"], r["output_tokens"]]
            writer.writerow([r["day"], r["model"], r["feature"], *counts, cost])
    return path


async def sign_up(person: Actor) -> ChatPage:
    """Create the account on the page. The page keeps its passes where the suite cannot read
    them either, so the suite signs in as the person on its own (to check the history as the
    person, as every scenario's verification does)."""
    tab = await _browser(person).tab()
    await tab.sign_up(person.name, person.email, person.password)
    person.tokens = await person.api.login(person.email, person.password)
    person.user_id = (await person.api.me(person.access_token)).user_id
    person.note("signed up in the browser")
    return tab


async def reload(person: Actor) -> ChatPage:
    web = _browser(person)
    tab = await web.tab()
    await web.reload(tab)
    person.note("reloaded the page")
    return tab


async def readable_by_scripts(person: Actor) -> dict[str, str]:
    """What a script on the page could read back of the browser's storage (the page keeps its
    passes where none can: the access pass in memory, the renewal pass in an HttpOnly cookie)."""
    return await (await _browser(person).tab()).storage()


async def load_usage(person: Actor, csv_file: Path) -> None:
    said = await (await _browser(person).tab()).load_usage(csv_file)
    person.note(f"loaded usage in the browser: {said}")
    if not said.startswith("Loaded"):
        raise AssertionError(f"{person.name} could not load {csv_file.name}: {said}")


async def ask(person: Actor, question: str) -> None:
    await (await _browser(person).tab()).ask(question)


async def answer(person: Actor, timeout: float) -> str:
    """The answer on screen once the assistant has finished (a failure is not an answer)."""
    tab = await _browser(person).tab()
    last = await tab.wait_for_end(timeout)
    if last.kind != AGENT_COMPLETED:
        raise AssertionError(f"{tab.name} shows the assistant failed: {last.title}")
    return await tab.answer()


def progress_problems(steps: Sequence[Step]) -> list[str]:
    """What is wrong with the progress a page shows for one question: every kind of step, each
    once, in order, ending with the answer."""
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


def exchange_problems(shown: Sequence[tuple[str, str]], answers: Mapping[str, str]) -> list[str]:
    """What is wrong with a conversation on screen that should hold one question, as it was
    asked, followed by the answer the assistant gave to it (`answers`: by question, as shown
    when it arrived); texts compared with their spacing evened out."""
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


async def start_with_usage(person: Actor, csv_file: Path) -> None:
    await sign_up(person)
    await load_usage(person, csv_file)


async def ask_and_wait(person: Actor, question: str, timeout: float) -> str:
    await ask(person, question)
    return await answer(person, timeout)


async def ask_and_wait_for_tool(person: Actor, question: str, tool: str, timeout: float) -> None:
    """Ask, then wait until the page shows the assistant running that tool."""
    await ask(person, question)
    await (await _browser(person).tab()).wait_for_step_titled(tool, timeout)


async def open_second_tab(person: Actor) -> ChatPage:
    tab = await _browser(person).tab(2)
    await tab.wait_connected()
    return tab


async def drop_connection(person: Actor) -> None:
    await (await _browser(person).tab()).drop_connection()
    person.note("lost the browser's connection")


async def caught_up_problems(person: Actor, timeout: float) -> list[str]:
    """After a lost connection: the page reconnected and resumed by itself, and shows every
    step of the question once, in order, ending with the answer."""
    tab = await _browser(person).tab()
    await tab.wait_for_end(timeout)
    problems = progress_problems(await tab.steps())
    log = await tab.frame_log()
    opened = [e for e in log if e.get("kind") == "opened"]
    resumed = [e for e in log if e.get("kind") == "sent" and '"resume"' in str(e.get("text"))]
    if len(opened) < 2:
        problems.append("it never reconnected")
    elif not resumed:
        problems.append("it reconnected without asking for the steps it missed")
    return problems


def about_feature_only(answer: str, feature: str, others: Sequence[str] = ()) -> bool:
    """The answer is scoped to one feature and names no other of the golden path's."""
    others = others or ("support-bot", "nightly-report", "contract-review")
    return f"For the {feature} feature" in answer and not any(
        o in answer for o in others if o != feature
    )


async def ask_once_pass_renewed(person: Actor, question: str, timeout: float) -> None:
    """Wait until the page's chat was closed for an expired pass and reopened (with the pass
    the page renewed by itself), then ask."""
    tab = await _browser(person).tab()

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
    what = f"{person.name}'s browser reopening the chat with a renewed pass"
    done: bool = await eventually(check, timeout=timeout, describe=what)
    assert done
    person.note("the browser renewed the pass and reopened the chat")
    await ask(person, question)


def _browser(person: Actor) -> WebBrowsing:
    return person.ability_to(WebBrowsing)
