"""Look at the rendered Allure report in a real browser: Debian's headless Chromium, driven over
the DevTools protocol (websockets, already a dependency; no WebDriver needed).

    python -m tools.report_browser screenshot [--report reports/allure-report]
        [--scenario "Alice learns what her company spent"] [--out docs/report-screenshot.png]

opens a scenario of the report (the first one without --scenario), expands its conversation
and saves a screenshot. tests/test_report_browser.py uses the same helpers.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
# Headless, and nothing that talks to the network or needs a GPU or a sandbox (CI runs as root).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
# The report's attachment rows (Allure 3 "awesome" report, 3.18).
ATTACHMENT_HEADER = "[data-testid=test-result-attachment-header]"
# JavaScript: the attachment row whose name is NAME (a JSON string).
_FIND_HEADER = (
    f"[...document.querySelectorAll('{ATTACHMENT_HEADER}')]"
    ".find(h => h.innerText.split('\\n').some(part => part.trim() === NAME))"
)


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def dump_dom(chromium: str, url: str, *, budget_ms: int = 5000) -> str:
    """The page's DOM after its scripts ran for `budget_ms` of virtual time."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        result = subprocess.run(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return result.stdout


def test_results(report_dir: Path) -> dict[str, str]:
    """Name by test result id, from the report's own index (test-results.json)."""
    data = json.loads((report_dir / "test-results.json").read_text(encoding="utf-8"))
    return {key: str(value.get("name", "")) for key, value in data.get("byId", {}).items()}


class Page:
    """One tab, spoken to over the DevTools protocol."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        await self._socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self._socket.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, *, within: float = 15.0) -> Any:
        """The value of `expression` once it is truthy (the report renders asynchronously)."""
        deadline = time.monotonic() + within
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"never true within {within} s: {expression}")
            await asyncio.sleep(0.1)

    async def open(self, url: str) -> None:
        """Load `url` and wait until its scripts have rendered something."""
        await self.call("Page.enable")
        await self.call("Page.navigate", url=url)
        # Page.navigate returns before the old page (about:blank) is gone: wait for the new one.
        await self.wait_for(
            f"location.href === {json.dumps(url)} && document.readyState === 'complete'"
            " && document.body.innerText.trim().length > 0"
        )

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))

    # -- the Allure report
    async def show_test_result(self, result_id: str) -> None:
        await self.evaluate(f"location.hash = '#/{result_id}'")
        await self.wait_for(f"document.querySelectorAll('{ATTACHMENT_HEADER}').length > 0")

    async def description(self) -> str:
        """The scenario's description as shown (Allure renders it in its own frame)."""
        text = await self.wait_for(
            "(() => { const f = document.querySelector('iframe[title=Description]');"
            " const d = f && f.contentDocument; return d && d.body && d.body.innerText; })()"
        )
        return str(text)

    async def attachment_names(self) -> list[str]:
        names = await self.evaluate(
            f"[...document.querySelectorAll('{ATTACHMENT_HEADER}')].map(h => h.innerText)"
        )
        return [str(n) for n in names]

    async def expand_attachment(self, name: str) -> list[list[str]]:
        """Open an attachment row; the rows of the table it shows (a CSV attachment)."""
        header = _FIND_HEADER.replace("NAME", json.dumps(name))
        found = await self.evaluate(
            f"""(() => {{
              const header = {header};
              if (!header) return false;
              const click = new MouseEvent('click', {{bubbles: true}});
              header.querySelector('button').dispatchEvent(click);
              return true;
            }})()"""
        )
        if not found:
            raise LookupError(f"no attachment named {name!r}")
        rows = await self.wait_for(
            f"""(() => {{
              const header = {header};
              const table = header && header.parentElement.querySelector('table');
              return table && [...table.rows].map(r => [...r.cells].map(c => c.innerText.trim()));
            }})()"""
        )
        return [[str(cell) for cell in row] for row in rows]


@contextlib.asynccontextmanager
async def browser(chromium: str, *, width: int = 1400, height: int = 1800) -> AsyncIterator[Page]:
    """Headless Chromium with one tab; the DevTools port is chosen by Chromium (port 0)."""
    # Chromium's helper processes may still write to the profile just after the browser exits:
    # a leftover file must not fail the check that used it.
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        process = await asyncio.create_subprocess_exec(
            chromium,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            f"--window-size={width},{height}",
            "about:blank",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 30
            while not port_file.exists() or not port_file.read_text().strip():
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError("chromium did not open its DevTools port")
                await asyncio.sleep(0.05)
            port = port_file.read_text().split()[0]
            targets = await asyncio.to_thread(_targets, port)
            page = next(t for t in targets if t.get("type") == "page")
            async with connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
                yield Page(socket)
        finally:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


def _targets(port: str) -> list[dict[str, Any]]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
        targets: list[dict[str, Any]] = json.load(answer)
    return targets


async def screenshot(report_dir: Path, out: Path, scenario: str) -> str:
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("no chromium: make browser")
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
