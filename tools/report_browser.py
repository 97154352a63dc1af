"""Look at the rendered Allure report in a real browser: Debian's headless Chromium driven by
Playwright, with the network blocked (a report opened from disk needs none).

    python -m tools.report_browser screenshot [--report reports/allure-report]
        [--scenario "Alice learns what her company spent"] [--out docs/report-screenshot.png]

opens a scenario of the report (the first one without --scenario), expands its conversation
and saves a screenshot. tests/tools/test_report_browser.py uses the same helpers; every request the
page makes to another origin is refused and kept in `ReportPage.outside`, with what the page's
own Content-Security-Policy refused (tools/private_report.py).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import re
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from playwright.async_api import ConsoleMessage, Page, Request, Route, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
# The report's own origin, and what it builds in memory.
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
# Chromium's console line when the page's policy stopped a load or a connection.
REFUSED = "violates the following Content Security Policy"
# The report's attachment rows (Allure 3 "awesome" report, 3.18).
ATTACHMENT_HEADER = "[data-testid=test-result-attachment-header]"
TIMEOUT_MS = 15_000
_DATA_FILE = re.compile(r'\bd\("([^"]+)","([A-Za-z0-9+/=]*)"\)')


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def report_data(report_dir: Path) -> dict[str, Any]:
    """The data a single-file report carries (`d("widgets/categories.json", "<base64>")` calls in
    its index.html), by name, decoded."""
    html = (report_dir / "index.html").read_text(encoding="utf-8")
    return {
        match.group(1): json.loads(base64.b64decode(match.group(2)))
        for match in _DATA_FILE.finditer(html)
        if match.group(1).endswith(".json")
    }


def test_results(report_dir: Path) -> dict[str, str]:
    """Name by test result id, from the report's own index (test-results.json)."""
    data = json.loads((report_dir / "test-results.json").read_text(encoding="utf-8"))
    return {key: str(value.get("name", "")) for key, value in data.get("byId", {}).items()}


class ReportPage:
    """One tab on the report; `outside` lists what it tried to reach beyond the file."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.outside: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._on_request)
        page.on("websocket", lambda socket: self.outside.append(f"websocket {socket.url}"))
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_request(self, request: Request) -> None:
        if not request.url.startswith(LOCAL_SCHEMES):
            self.outside.append(f"{request.method} {request.url}")

    def _on_console(self, message: ConsoleMessage) -> None:
        if REFUSED in message.text:
            self.outside.append(f"refused by the page's policy: {message.text[:300]}")
        elif message.type == "error":
            self.errors.append(message.text)

    async def open(self, url: str) -> None:
        """Load `url` and wait until its scripts have rendered something."""
        await self.page.goto(url, wait_until="load")
        await self.page.wait_for_function("document.body.innerText.trim().length > 0")

    async def text(self) -> str:
        return await self.page.inner_text("body")

    async def screenshot(self, path: Path) -> None:
        await self.page.screenshot(path=path, full_page=True)

    # -- the Allure report
    async def show_test_result(self, result_id: str) -> None:
        await self.page.evaluate(f"location.hash = '#/{result_id}'")
        await self.page.locator(ATTACHMENT_HEADER).first.wait_for()

    async def show_global_attachments(self, index: str) -> None:
        """The report's Global Attachments tab, in a fresh load of the page: a hash change
        made while a test result's view is still settling can leave that view in place."""
        await self.page.goto("about:blank")
        await self.open(f"{index}#globalAttachments")

    async def description(self) -> str:
        """The scenario's description as shown (Allure renders it in its own frame)."""
        body = self.page.frame_locator("iframe[title=Description]").locator("body")
        return await body.inner_text()

    async def attachment_names(self) -> list[str]:
        return await self.page.locator(ATTACHMENT_HEADER).all_inner_texts()

    def _header(self, name: str) -> str:
        return f"{ATTACHMENT_HEADER}:has-text({json.dumps(name)})"

    async def expand_attachment(self, name: str) -> None:
        header = self.page.locator(self._header(name)).first
        try:  # the page renders the scenario's attachments after its steps: wait for them
            await header.wait_for(timeout=TIMEOUT_MS)
        except PlaywrightTimeout as error:
            shown = (await self.text())[:300].replace("\n", " | ")
            raise LookupError(
                f"no attachment named {name!r} at {self.page.url} showing: {shown}"
            ) from error
        await header.locator("button").first.click()

    async def attachment_table(self, name: str) -> list[list[str]]:
        """Open an attachment row; the rows of the table it shows (a CSV attachment)."""
        await self.expand_attachment(name)
        table = self.page.locator(f"{self._header(name)} + * table").first
        await table.wait_for()
        rows: list[list[str]] = await table.evaluate(
            "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText.trim()))"
        )
        return rows


async def _refuse(route: Route) -> None:
    """Nothing leaves the machine; the page's attempt is recorded by the request event."""
    if route.request.url.startswith(LOCAL_SCHEMES):
        await route.continue_()
    else:
        await route.abort("blockedbyclient")


@contextlib.asynccontextmanager
async def browser(
    chromium: str, *, width: int = 1400, height: int = 1800
) -> AsyncIterator[ReportPage]:
    """Headless Chromium, one tab, every request to another origin refused."""
    async with async_playwright() as playwright:
        # --no-sandbox: Chromium refuses to sandbox as root (CI containers run as root).
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox"]
        )
        try:
            context = await launched.new_context(
                viewport={"width": width, "height": height}, service_workers="block"
            )
            context.set_default_timeout(TIMEOUT_MS)
            await context.route("**/*", _refuse)
            yield ReportPage(await context.new_page())
        finally:
            await launched.close()


async def screenshot(report_dir: Path, out: Path, scenario: str) -> str:
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("no chromium: make system (as root)")
    results = test_results(report_dir)
    result_id, name = next(
        ((key, value) for key, value in results.items() if value.startswith(scenario)),
        (None, None),
    )
    if result_id is None or name is None:
        raise SystemExit(f"no scenario starting with {scenario!r} in {report_dir}")
    async with browser(chromium, height=2200) as page:
        await page.open((report_dir / "index.html").resolve().as_uri())
        await page.show_test_result(result_id)
        await page.expand_attachment("Conversation")
        await page.screenshot(out)
    return name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of the rendered report.")
    parser.add_argument("command", choices=["screenshot"])
    parser.add_argument("--report", type=Path, default=Path("reports/allure-report"))
    parser.add_argument("--scenario", default="")
    parser.add_argument("--out", type=Path, default=Path("docs/report-screenshot.png"))
    args = parser.parse_args(argv)
    name = asyncio.run(screenshot(args.report, args.out, args.scenario))
    print(f"{args.out}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
