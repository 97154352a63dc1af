"""A pytest run leaves no process behind, whatever stops it (tests/conftest.py): an inner
`python -m pytest -x` whose tests start a stack (in a fixture, and as a `python -m
harness.stack` child that a failing test kills outright) stops at a failure, or is interrupted
with Ctrl-C or SIGTERM while its stack runs; afterwards none of the processes it started (the
service, PostgreSQL, Redis) is still running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from harness.services import PROJECT_ROOT

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

RUN_TIMEOUT_S = 180
INNER = textwrap.dedent(
    """
    import json, os, signal, time
    from pathlib import Path

    import pytest

    from harness.stack import Stack, StackConfig, spawn

    PIDS = Path(os.environ["LEFTOVER_PIDS"])


    def note(pids):
        with PIDS.open("a") as out:
            out.write(json.dumps(pids) + "\\n")


    def pids_of(described):
        found = described["pids"]
        return [found["postgres"], found["redis"], *found["service"]]


    @pytest.fixture(scope="module")
    def stack():
        with Stack(StackConfig.from_env(instances=1)) as running:
            note(pids_of(running.describe()))
            yield running


    def test_a_stack_command_killed_outright(tmp_path):
        process, described = spawn(["--instances", "1"], (tmp_path / "stack.log").open("w"))
        note([process.pid, *pids_of(described)])
        process.send_signal(signal.SIGKILL)  # its children are orphaned
        process.wait()
        assert os.environ["HOW"] != "fail", "a failure: -x stops the run here"


    def test_with_a_stack(stack):
        if os.environ["HOW"] != "fail":
            PIDS.with_suffix(".ready").touch()
            time.sleep(120)  # interrupted meanwhile


    def test_never_reached():
        pass
    """
)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def inner_run(tmp_path: Path, how: str) -> tuple[subprocess.Popen[str], Path]:
    (tmp_path / "test_inner.py").write_text(INNER)
    pids = tmp_path / "pids.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(LEFTOVER_PIDS=str(pids), HOW=how, PYTHONPATH=str(PROJECT_ROOT))
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "tests.conftest"]
    command += ["-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)]
    # Ctrl-C as at a terminal: a run started in the background of a script (`make pytest &`)
    # ignores SIGINT, every process it starts inherits that, and the interrupted inner run slept
    # its 120 s instead. A handler, unlike SIG_IGN, is not inherited across exec.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    return process, pids


def started(pids: Path) -> list[int]:
    return [pid for line in pids.read_text().splitlines() for pid in json.loads(line)]


@pytest.mark.parametrize("how", ["fail", "SIGINT", "SIGTERM"])
def test_nothing_outlives_the_run(tmp_path: Path, how: str) -> None:
    process, pids = inner_run(tmp_path, how)
    try:
        if how != "fail":
            ready = pids.with_suffix(".ready")
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while not ready.exists():
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "the inner run never started its stack"
                time.sleep(0.1)
            process.send_signal(getattr(signal, how))
        output, _ = process.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0, output
    pids_started = started(pids)
    assert len(pids_started) >= 4, output  # the command and its three, at least
    left = [pid for pid in pids_started if alive(pid)]
    assert left == [], f"still running after the run ({how}): {left}\n{output}"
