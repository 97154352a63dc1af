"""`@pytest.mark.stack` (`pytestmark = pytest.mark.stack` for a whole module) says a test starts
real processes: the stack or a part of it (PostgreSQL, Redis, service instances, nginx), a
browser, Node.js, or one of the project's commands. `pytest -m "not stack"` is the fast run.

The mark is kept honest: a test without it that starts a process (even through a session
fixture it is the first to use) fails, naming what it started. Python reports every process
it starts to an audit hook (`subprocess.Popen`, which asyncio's subprocesses go through too,
`os.posix_spawn`, `os.fork`, `os.system`), so nothing is guessed from names.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from typing import Any

import pytest

MARK = "stack"
STARTS_A_PROCESS = frozenset(
    {"subprocess.Popen", "os.posix_spawn", "os.fork", "os.forkpty", "os.system"}
)


class StackMarker:
    def __init__(self) -> None:
        self._pid = os.getpid()
        self._item: pytest.Item | None = None
        self._started: dict[str, list[str]] = {}
        sys.addaudithook(self._audit)

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        # A forked child inherits the hook: only this process's own tests are judged.
        if event in STARTS_A_PROCESS and self._item is not None and os.getpid() == self._pid:
            what = " ".join(str(a) for a in (args[1] if event == "subprocess.Popen" else args))
            self._started.setdefault(self._item.nodeid, []).append(f"{event}: {what[:120]}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        self._item = item if item.get_closest_marker(MARK) is None else None
        try:
            return (yield)
        finally:
            self._item = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        started = self._started.pop(item.nodeid, None)
        if started and report.outcome != "failed":
            report.outcome = "failed"
            listed = "\n  ".join(started)
            report.longrepr = (
                f"{item.nodeid} starts processes without @pytest.mark.{MARK} "
                f"(tests/stack_marker.py):\n  {listed}"
            )
        return report
