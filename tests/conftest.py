"""Whatever ends a pytest run (a failure under -x, Ctrl-C, SIGTERM, an exception in a fixture),
no process it started outlives it.

Stacks stop through their fixtures' finalizers and, as a safety net, `atexit`
(harness/stack.py, harness/services.py). Two ways still left a service process and its
PostgreSQL running after the run: a process whose owner was killed (a `python -m
harness.stack` child SIGKILLed by a failing test: its PostgreSQL and instances, each in a
session of its own, were adopted by init), and SIGTERM, which ends Python without running
finalizers or `atexit`. So this run adopts orphaned descendants (Linux's child subreaper), turns
SIGTERM into the KeyboardInterrupt pytest cleans up after, and at exit, after every stack's own
`atexit` stop, ends whatever is still running below it. `tests/harness/test_no_leftovers.py`
proves it. A test that starts processes says so (`@pytest.mark.stack`: tests/stack_marker.py).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import signal
import sys
from pathlib import Path
from types import FrameType

import psutil
import pytest

from tests.stack_marker import StackMarker

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
GRACE_S = 5.0  # SIGTERM first (PostgreSQL and the service clean up), then SIGKILL
ROOT = Path(__file__).resolve().parents[1]


def _adopt_orphans() -> None:
    """Descendants whose parent dies are re-parented to this process instead of init."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def end_leftovers() -> list[str]:
    """End every process still running below this one; what was ended, for the log."""
    leftovers = [p for p in psutil.Process().children(recursive=True) if _alive(p)]
    ended = []
    for proc in leftovers:
        with contextlib.suppress(psutil.Error):
            ended.append(f"{proc.pid} {' '.join(proc.cmdline())[:100]}")
            proc.terminate()
    _, alive = psutil.wait_procs(leftovers, timeout=GRACE_S)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=GRACE_S)
    return ended


def _alive(proc: psutil.Process) -> bool:
    try:
        return bool(proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _at_exit() -> None:
    ended = end_leftovers()
    if ended:
        listed = "\n  ".join(ended)
        print(f"pytest: ended {len(ended)} process(es) left running:\n  {listed}", file=sys.stderr)


def pytest_configure(config: pytest.Config) -> None:
    _adopt_orphans()
    signal.signal(signal.SIGTERM, _terminated)
    # Registered first, so it runs last: after the `atexit` stop of any stack still up.
    atexit.register(_at_exit)
    # The project's own run (not an inner run of tests/harness/test_no_leftovers.py, whose
    # made-up tests start stacks unmarked on purpose).
    if config.rootpath == ROOT:
        config.pluginmanager.register(StackMarker(), "stack_marker")


# make pytest hands whole files to its workers in collection order (`--dist loadfile
# --no-loadscope-reorder`; xdist's default order is the most tests first, which started the
# slowest file, the lean install's three tests, among the last). The slowest files, measured
# (docs/developing.md, "Where `make test`'s time goes"), go first so that none starts late and
# keeps the run waiting for it alone; every other file keeps its place after them.
SLOWEST_FIRST = (
    "tests/harness/test_no_leftovers.py",
    "tests/harness/test_postgres_template.py",
    "tests/project/test_lean_install.py",
    "tests/service/agents/test_triage_index.py",
    "tests/load/test_make_load.py",
    "tests/service/http/test_usage_bounds.py",
    "tests/service/delivery/test_closing_handshake.py",
    "tests/tools/test_report_browser.py",
    "tests/harness/test_pool_release.py",
    "tests/service/test_refused_start.py",
    "tests/service/test_plans.py",
    "tests/service/store/test_connection_budget.py",
    "tests/service/auth/test_revocation_scale.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: place for place, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
