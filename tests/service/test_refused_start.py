"""A real service process refuses to start on a bad setting, with one line that says why
(exit 2), beside the stack's real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from harness.services import PROJECT_ROOT, free_port
from harness.stack import Stack, StackConfig

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(instances=0)) as running:
        yield running


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("PORT", "eighty", "PORT must be a number"),
        ("PORT", "70000", "PORT must be between 1 and 65535"),
        ("PORT", "80.5", "PORT must be a whole number"),
        ("RUN_DEADLINE_SECONDS", "0", "RUN_DEADLINE_SECONDS must be between"),
        ("RUN_DEADLINE_SECONDS", "soon", "RUN_DEADLINE_SECONDS must be a number"),
        ("DRAIN_SECONDS", "-5", "DRAIN_SECONDS must be between"),
    ],
)
async def test_a_bad_setting_refuses_the_start_with_one_line(
    stack: Stack, name: str, value: str, reason: str
) -> None:
    env = {
        **os.environ,
        **stack.service_settings(),
        "PORT": str(free_port()),
        "METRICS_PORT": str(free_port()),
        name: value,
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "service"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    said = done.stderr.strip().splitlines()
    assert done.returncode == 2, f"exit {done.returncode}: {done.stderr[-500:]}"
    assert len(said) == 1 and said[0].startswith("refusing to start: ") and reason in said[0], said
