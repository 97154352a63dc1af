"""Questions about what the chat web page shows an actor who can browse the web."""

from __future__ import annotations

import time
from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.client.contract import AGENT_COMPLETED
from driver.web.browser import WebBrowsing
from driver.web.chat_page import ChatPage, Step


@dataclass(frozen=True)
class Shown:
    """What a tab shows of the person's sign-in: the chat or the sign-in form, who it says is
    signed in, and the notice it shows (empty: none)."""

    tab: str
    signed_in: bool
    who: str
    notice: str
    connected: bool | None  # None: not looked at


@dataclass(frozen=True)
class CatchingUp:
    """The progress a page showed for a question after losing its connection, and whether it
    reconnected and then asked for the steps it missed."""

    steps: list[Step]
    reconnected: bool
    resumed: bool


@dataclass(frozen=True)
class TheAnswerInTheBrowser:
    """The answer on screen once the assistant has finished, within `within` seconds (an error
    is not an answer: it fails the question)."""

    within: float

    async def answered_by(self, actor: Actor) -> str:
        tab = await _tab(actor)
        last = await tab.wait_for_end(self.within)
        if last.kind != AGENT_COMPLETED:
            raise AssertionError(f"{tab.name} shows the assistant failed: {last.title}")
        return await tab.answer()


@dataclass(frozen=True)
class TheProgressInTheBrowser:
    """The progress timeline the page shows for the question, once it ended (within `within`)."""

    within: float

    async def answered_by(self, actor: Actor) -> list[Step]:
        tab = await _tab(actor)
        await tab.wait_for_end(self.within)
        return await tab.steps()


@dataclass(frozen=True)
class HowTheBrowserCaughtUp:
    """After a lost connection: the progress the page shows once the question ended (within
    `within`), and what its connections did meanwhile."""

    within: float

    async def answered_by(self, actor: Actor) -> CatchingUp:
        tab = await _tab(actor)
        await tab.wait_for_end(self.within)
        log = await tab.frame_log()
        opened = [e for e in log if e.get("kind") == "opened"]
        resumed = [e for e in log if e.get("kind") == "sent" and '"resume"' in str(e.get("text"))]
        return CatchingUp(await tab.steps(), len(opened) >= 2, bool(resumed))


@dataclass(frozen=True)
class TheConversationInTheBrowser:
    """The messages of the conversation the page shows: (speaker, text), in order."""

    async def answered_by(self, actor: Actor) -> list[tuple[str, str]]:
        return await (await _tab(actor)).messages()


@dataclass(frozen=True)
class WhatScriptsOnThePageCanRead:
    """What a script on the page could read back of the browser's storage (the page keeps its
    passes where none can: the access pass in memory, the renewal pass in an HttpOnly cookie)."""

    async def answered_by(self, actor: Actor) -> dict[str, str]:
        return await (await _tab(actor)).storage()


@dataclass(frozen=True)
class WhatTheBrowserShows:
    """What tab `tab` shows of their sign-in; given `told`, once it tells them those words
    (waited for up to `within` seconds, counted from the moment noted under `since`); with
    `connected`, whether its chat connects (when signed in)."""

    tab: int = 1
    told: str | None = None
    within: float | None = None
    since: Note[float] | None = None
    connected: bool = False

    async def answered_by(self, actor: Actor) -> Shown:
        tab = await _tab(actor, self.tab)
        if self.told is not None:
            left = self.within
            if left is not None and self.since is not None:
                left = max(left - (time.monotonic() - actor.notes.read(self.since)), 0.0)
            await tab.wait_for_notice(self.told, left)
        signed_in = await tab.signed_in()
        who = await tab.who() if signed_in else ""
        connected = (await _connects(tab) if signed_in else False) if self.connected else None
        return Shown(tab.name, signed_in, who, await tab.notice(), connected)


async def _tab(actor: Actor, number: int = 1) -> ChatPage:
    """Their browser's tab `number` (1 = the first), opened if it is not yet."""
    return await actor.ability_to(WebBrowsing).tab(number)


async def _connects(tab: ChatPage) -> bool:
    try:
        await tab.wait_connected()
    except AssertionError:
        return False
    return True
