"""The chat web page as a person uses it (a page object over Playwright's async API): sign up,
load usage, ask, read the progress and the answer, browse the history. Each method waits for
what a person would wait for and says in business words what did not happen."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.
# ruff: noqa: ASYNC109

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from driver.client.contract import AGENT_COMPLETED, AGENT_ERROR, CloseCode

# Added to every page before its own scripts by the suite (the page ships no test hook): the
# page's chat connections, so a scenario can cut them as a lost network would, and every frame
# they sent and received, for the stream verifier (driver/web/page_frames.py):
# `{kind: opened|sent|received|closed, socket: n, at: epoch seconds, text?, code?, reason?}`.
TRACK_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  const sockets = (window.__testSockets = []);
  const frames = (window.__testFrames = []);
  const note = (socket, entry) =>
    frames.push({ ...entry, socket, at: (performance.timeOrigin + performance.now()) / 1000 });
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      sockets.push(this);
      const socket = (this.testNumber = sockets.length);
      this.addEventListener("open", () => note(socket, { kind: "opened" }));
      this.addEventListener("message", (m) =>
        note(socket, { kind: "received", text: String(m.data) }));
      this.addEventListener("close", (c) =>
        note(socket, { kind: "closed", code: c.code, reason: c.reason }));
    }
    send(data) {
      const text = String(data);
      if (this.readyState === Native.OPEN) note(this.testNumber, { kind: "sent", text });
      super.send(data);
    }
  };
})();
"""
FINAL_KINDS = (AGENT_COMPLETED, AGENT_ERROR)


@dataclass(frozen=True)
class Step:
    """One line of the page's progress timeline."""

    kind: str
    seq: int
    run_id: str
    title: str
    # The first event the line stands for: a line that only repeats itself (the place in line
    # as it moves, "still reading your usage") is updated in place, up to `seq`.
    first_seq: int

    @property
    def seqs(self) -> range:
        return range(self.first_seq, self.seq + 1)


class ChatPage:
    def __init__(self, page: Page, name: str, timeout: float = 10.0) -> None:
        self.page = page
        self.name = name  # e.g. "Alice's browser tab 1"
        self.timeout = timeout

    async def open(self, url: str) -> None:
        await self.page.goto(url)
        # The page shows either once the service said whether this browser is signed in.
        await self.page.locator("#auth:visible, #app:visible").first.wait_for()

    # -- accounts
    async def sign_up(self, name: str, email: str, password: str) -> None:
        form = self.page.locator("#sign-up-form")
        await form.get_by_label("Name").fill(name)
        await form.get_by_label("Email").fill(email)
        await form.get_by_label("Password").fill(password)
        await form.get_by_role("button", name="Create account").click()
        await self._signed_in_or(form.get_by_role("alert"), f"{self.name} could not sign up")

    async def sign_in(self, email: str, password: str) -> str | None:
        """Sign in; None when it worked, else what the page said."""
        form = self.page.locator("#sign-in-form")
        await form.get_by_label("Email").fill(email)
        await form.get_by_label("Password").fill(password)
        await form.get_by_role("button", name="Sign in").click()
        alert = form.get_by_role("alert")
        outcome = self.page.locator("#app:visible").or_(alert.filter(has_text="."))
        await self._wait(outcome.first, f"{self.name} got no answer to signing in")
        return None if await self.signed_in() else (await alert.inner_text()).strip()

    async def signed_in(self) -> bool:
        return await self.page.locator("#app").is_visible()

    async def who(self) -> str:
        """Who the page says is signed in."""
        return (await self.page.locator("#who").inner_text()).strip()

    async def sign_out(self) -> None:
        await self.page.get_by_role("button", name="Sign out").click()
        await self._wait(self.page.locator("#auth:visible"), f"{self.name} is still signed in")

    async def reload(self) -> None:
        """Reload the page, as a person pressing F5 does."""
        await self.page.reload()
        await self.page.locator("#auth:visible, #app:visible").first.wait_for()

    async def storage(self) -> dict[str, str]:
        """Everything the page's own scripts can read back of this browser's storage: local and
        session storage, and the cookies visible to scripts."""
        kept: dict[str, str] = await self.page.evaluate(
            """() => {
                const kept = {};
                for (const [name, store] of [["local", localStorage], ["session", sessionStorage]])
                    for (let i = 0; i < store.length; i++)
                        kept[`${name}:${store.key(i)}`] = store.getItem(store.key(i));
                if (document.cookie) kept["cookies"] = document.cookie;
                return kept;
            }"""
        )
        return kept

    # -- usage
    async def load_usage(self, csv_file: Path) -> str:
        """Choose the file; what the page says about it once loaded (or refused)."""
        await self.page.get_by_label("Load your usage").set_input_files(csv_file)
        status = self.page.locator("#usage-status").filter(has_text=csv_file.name)
        done = status.filter(has_text="Loaded").or_(status.filter(has_text="Could not"))
        await self._wait(done, f"{self.name} loaded {csv_file.name} but the page never said so")
        return (await status.inner_text()).strip()

    # -- asking
    async def ask(self, question: str) -> None:
        box = self.page.get_by_label("Your question")
        await box.fill(question)
        await box.press("Enter")
        mine = self.page.locator("#messages .message.user").filter(has_text=question).last
        await self._wait(mine, f"{self.name} asked {question!r} but the page does not show it")

    async def wait_for_step(self, kind: str, timeout: float | None = None) -> None:
        step = self.page.locator(f"#timeline li[data-kind={kind}]").first
        await self._wait(step, f"{self.name} never saw a {kind} step", timeout)

    async def wait_for_step_titled(self, words: str, timeout: float | None = None) -> None:
        step = self.page.locator("#timeline li .title").filter(has_text=words).first
        await self._wait(step, f"{self.name} never saw a step about {words!r}", timeout)

    async def wait_for_end(self, timeout: float | None = None) -> Step:
        """The final step of the question on screen (the answer, or the failure)."""
        selector = ", ".join(f"#timeline li[data-kind={k}]" for k in FINAL_KINDS)
        try:
            await self._wait(self.page.locator(selector).first, "", timeout)
        except AssertionError as late:
            where = await self.steps()
            last = f"last step: {where[-1].title!r}" if where else "no step shown"
            message = f"{self.name} never saw the assistant finish{late} ({last})"
            raise AssertionError(message) from None
        return (await self.steps())[-1]

    async def steps(self) -> list[Step]:
        rows = await self.page.eval_on_selector_all(
            "#timeline li",
            """items => items.map(li => ({kind: li.dataset.kind, seq: Number(li.dataset.seq),
                from: Number(li.dataset.from || li.dataset.seq), run_id: li.dataset.run,
                title: li.querySelector('.title').textContent}))""",
        )
        return [Step(r["kind"], r["seq"], r["run_id"], r["title"], r["from"]) for r in rows]

    async def answer(self) -> str:
        answers = self.page.locator("#messages .message.assistant .text")
        if await answers.count() == 0:
            raise AssertionError(f"{self.name} shows no answer")
        return (await answers.last.inner_text()).strip()

    async def figures(self) -> dict[str, str]:
        """The answer's highlighted figures, by their label."""
        card = self.page.locator("#messages .message.assistant").last
        labels = await card.locator(".figures dt").all_inner_texts()
        values = await card.locator(".figures dd").all_inner_texts()
        return dict(zip(labels, values, strict=True))

    async def messages(self) -> list[tuple[str, str]]:
        """The conversation on screen: (role, text) in order."""
        rows = await self.page.eval_on_selector_all(
            "#messages .message",
            "items => items.map(m => [m.dataset.role, m.querySelector('.text').textContent])",
        )
        return [(role, text) for role, text in rows]

    # -- history
    async def conversations(self) -> list[str]:
        return [t.strip() for t in await self.page.locator("#threads .title").all_inner_texts()]

    async def wait_for_conversation(self, title: str, timeout: float | None = None) -> None:
        entry = self.page.locator("#threads .title").filter(has_text=title).first
        await self._wait(entry, f"{self.name}'s history never listed {title!r}", timeout)

    async def open_conversation(self, title: str) -> None:
        await self.page.locator("#threads button").filter(has_text=title).first.click()
        heading = self.page.locator("#chat-title").filter(has_text=title)
        await self._wait(heading, f"{self.name} could not open the conversation {title!r}")
        await self._wait(self.page.locator("#messages .message").first, f"{title!r} opened empty")

    async def search(self, words: str) -> list[str]:
        await self.page.get_by_label("Search your conversations").fill(words)
        await self.page.get_by_label("Search your conversations").press("Enter")
        results = self.page.locator("#search-results li")
        await self._wait(results.first, f"{self.name}'s search for {words!r} showed nothing")
        return [t.strip() for t in await results.all_inner_texts()]

    # -- what the page says
    async def notice(self) -> str:
        box = self.page.locator("#notice")
        return (await box.inner_text()).strip() if await box.is_visible() else ""

    async def wait_for_notice(self, words: str, timeout: float | None = None) -> str:
        box = self.page.locator("#notice").filter(has_text=words)
        await self._wait(box, f"{self.name} was never told {words!r}", timeout)
        return (await box.inner_text()).strip()

    async def wait_connected(self, timeout: float | None = None) -> None:
        connected = self.page.locator("#connection[data-state=connected]")
        await self._wait(connected, f"{self.name} never connected to the chat", timeout)

    async def frame_log(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = await self.page.evaluate("window.__testFrames || []")
        return entries

    # -- the network
    async def drop_connection(self) -> None:
        """Cut the page's open chat connections, as a lost network would."""
        cut = await self.page.evaluate(
            """(code) => (window.__testSockets || []).filter(ws => ws.readyState === 1)
                .map(ws => { ws.close(code, 'network dropped'); return 1; }).length""",
            int(CloseCode.NORMAL),
        )
        if not cut:
            raise AssertionError(f"{self.name} had no open chat connection to lose")

    async def screenshot(self) -> bytes:
        return await self.page.screenshot(full_page=True)

    # -- internals
    async def _signed_in_or(self, alert: Any, what: str) -> None:
        outcome = self.page.locator("#app:visible").or_(alert.filter(has_text="."))
        await self._wait(outcome.first, what)
        if not await self.signed_in():
            raise AssertionError(f"{what}: {(await alert.inner_text()).strip()}")

    async def _wait(self, locator: Any, what: str, timeout: float | None = None) -> None:
        limit = self.timeout if timeout is None else timeout
        try:
            await locator.wait_for(state="visible", timeout=limit * 1000)
        except PlaywrightError:
            raise AssertionError(f"{what} within {limit:g} s") from None
