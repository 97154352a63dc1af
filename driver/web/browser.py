"""The ability to browse the web: Debian's Chromium driven by Playwright's async API, on the
caller's event loop. One `Browser` per run; each person gets a `WebBrowsing`, their own browser
profile (a Playwright context: its tabs share storage, as a person's tabs do).

Never imports behave: fixtures and steps use it, so could pytest or a benchmark.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import (
    BrowserContext,
    ConsoleMessage,
    Playwright,
    ViewportSize,
    async_playwright,
)

from driver.client.contract import SocketObserver
from driver.client.eventually import eventually
from driver.web.chat_page import TRACK_SOCKETS, ChatPage
from driver.web.page_frames import PageFrames

CHROMIUM = "/usr/bin/chromium"
PHONE = ViewportSize(width=390, height=844)
LAPTOP = ViewportSize(width=1100, height=800)
# The service's refusals (a wrong password: 401) are shown on the page; Chromium also logs each
# as a failed resource. Those lines are the contract working, not the page failing.
REFUSAL_LOG = "Failed to load resource: the server responded with a status of 4"


class Browser:
    """One headless Chromium for the whole run."""

    def __init__(self, playwright: Playwright, browser: PlaywrightBrowser) -> None:
        self._playwright = playwright
        self._browser = browser

    @classmethod
    async def launch(cls, executable: str = CHROMIUM) -> Browser:
        if not os.access(executable, os.X_OK):
            raise RuntimeError(f"no Chromium at {executable}: run `make browser` (as root)")
        playwright = await async_playwright().start()
        # --no-sandbox: Chromium refuses to sandbox as root (CI containers run as root).
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        return cls(playwright, browser)

    async def new_profile(self, *, phone: bool = False) -> BrowserContext:
        context = await self._browser.new_context(viewport=PHONE if phone else LAPTOP)
        await context.add_init_script(TRACK_SOCKETS)
        return context

    async def close(self) -> None:
        await self._browser.close()
        await self._playwright.stop()


@dataclass(frozen=True)
class Violation:
    """An accessibility rule axe-core found broken on a page state."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.impact}: {self.rule} ({self.help}) at {', '.join(self.targets)}"


class WebBrowsing:
    """One person's browser: tabs on the service's chat page, what their console said, and the
    chat frames each tab received (replayed to the person's observers)."""

    def __init__(
        self,
        who: str,
        context: BrowserContext,
        url: str,
        observers: tuple[SocketObserver, ...] = (),
    ) -> None:
        self.who = who
        self.context = context
        self.url = url.rstrip("/") + "/"
        self.observers = observers
        self.tabs: list[ChatPage] = []
        self.console_errors: list[str] = []
        self._frames: dict[int, PageFrames] = {}
        self._closed = False

    async def open_tab(self) -> ChatPage:
        page = await self.context.new_page()
        name = f"{self.who}'s browser tab {len(self.tabs) + 1}"
        page.on("console", lambda message: self._console(name, message))
        page.on("pageerror", lambda error: self.console_errors.append(f"{name}: {error}"))
        tab = ChatPage(page, name)
        self._frames[id(tab)] = PageFrames(name, self.observers)
        self.tabs.append(tab)
        await tab.open(self.url)
        return tab

    async def tab(self, number: int = 1) -> ChatPage:
        """Tab `number` (1 = the first), opened if it is not yet."""
        while len(self.tabs) < number:
            await self.open_tab()
        return self.tabs[number - 1]

    async def reload(self, tab: ChatPage) -> None:
        """Reload a tab; what its chat saw before is replayed first (the reload forgets it)."""
        await self.sync_frames()
        await tab.reload()
        self._frames[id(tab)].new_document()

    async def sync_frames(self) -> None:
        """Replay to the observers every frame the tabs received since the last call."""
        for tab in self.tabs:
            if not tab.page.is_closed():
                self._frames[id(tab)].feed(await tab.frame_log())

    async def screenshots(self) -> list[tuple[str, bytes]]:
        return [(t.name, await t.screenshot()) for t in self.tabs if not t.page.is_closed()]

    async def accessibility(self, axe_source: str) -> list[Violation]:
        """Serious and critical axe-core violations on every open tab, as it stands now."""
        found: list[Violation] = []
        for tab in self.tabs:
            if not tab.page.is_closed():
                found += await _axe(tab, axe_source)
        return found

    async def close(self, trace: Path | None = None) -> None:
        """Close the profile; with `trace`, keep its Playwright trace there (tracing must be on)."""
        if self._closed:
            return
        self._closed = True
        if trace is not None:
            await self.context.tracing.stop(path=trace)
        await self.context.close()

    async def forget(self) -> None:
        """The ability forgotten: the profile closed (the scenario's web fixture closes it first,
        keeping a failed scenario's trace; then this does nothing)."""
        await self.close()

    async def settle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Let questions in flight on the tabs end (up to `timeout`), so that every run a tab
        saw start is judged whole; one that never ends is then the verifier's finding."""

        async def all_ended() -> bool:
            for tab in self.tabs:
                if not tab.page.is_closed() and _unfinished(await tab.frame_log()):
                    raise AssertionError(f"{tab.name} has a question in flight")
            return True

        check: Callable[[], Awaitable[bool]] = all_ended

        with contextlib.suppress(AssertionError):
            ended: bool = await eventually(check, timeout=timeout, describe="runs ended")
            assert ended

    def _console(self, tab: str, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith(REFUSAL_LOG):
            self.console_errors.append(f"{tab}: {message.text}")


def _unfinished(entries: list[dict[str, Any]]) -> set[str]:
    """Runs a tab's frame log shows starting but not ending."""
    started, ended = set(), set()
    for entry in entries:
        if entry.get("kind") != "received" or '"run_id"' not in str(entry.get("text")):
            continue
        frame = json.loads(str(entry["text"]))
        if frame.get("type") == "agent_started":
            started.add(frame["run_id"])
        elif frame.get("final") is True:
            ended.add(frame["run_id"])
    return started - ended


async def _axe(tab: ChatPage, axe_source: str) -> list[Violation]:
    # evaluate() runs outside the page's Content-Security-Policy, which refuses inline scripts.
    if not await tab.page.evaluate("typeof window.axe !== 'undefined'"):
        await tab.page.evaluate(axe_source)
    raw: Any = await tab.page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({rule: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [Violation(v["rule"], v["impact"], v["help"], tuple(v["targets"])) for v in raw]
