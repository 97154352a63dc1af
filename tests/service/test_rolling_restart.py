"""`golden-path-rolling-restart`, the real console script, against real instances of the embedded
stack: every instance restarted in turn when a supervisor brings each back; at the first
failure it stops with a clear error and leaves the instances after it alone."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driver.client.eventually import eventually
from harness.readiness import readiness
from harness.services import ServiceProcess, free_port
from harness.stack import Stack, StackConfig
from harness.supervisor import Supervisor

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

TOOL = str(Path(sys.executable).parent / "golden-path-rolling-restart")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(instances=0, drain_seconds=3)) as running:
        yield running


@pytest.fixture
def pair(stack: Stack) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    first = stack.start_service(wait_ready=False)
    second = stack.start_service(wait_ready=False)
    first.wait_ready()
    second.wait_ready()
    yield first, second
    stack.retire_service(first)
    stack.retire_service(second)


def restart(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TOOL, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def steps(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def untouched(service: ServiceProcess, pid: int) -> None:
    """Same process, still serving and not drained."""
    assert service.pid == pid and service.running
    answer = readiness(service.operator_url)
    assert answer.ready, f"the instance after the failure was touched: {answer}"
    assert answer.body["instance"] == "ok"


def test_every_instance_is_restarted_in_turn_when_a_supervisor_brings_it_back(
    pair: tuple[ServiceProcess, ServiceProcess],
) -> None:
    first, second = pair
    before = (first.pid, second.pid)
    supervisor = Supervisor(lambda: pair).start()
    try:
        result = restart(
            "--instance", f"{first.operator_url},{second.operator_url}", "--settle", "0.2"
        )
    finally:
        supervisor.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    done = [(s["index"], s["step"]) for s in steps(result)]
    per_instance = ["drained", "settled", "stopping", "stopped", "ready"]
    assert done == [
        *((1, step) for step in per_instance),
        *((2, step) for step in per_instance),
        (0, "done"),
    ]
    assert (first.pid, second.pid) != before and first.pid not in before
    assert (first.restarts, second.restarts) == (1, 1)
    assert readiness(first.url).ready and readiness(second.url).ready


def test_an_instance_that_never_comes_back_stops_the_redeploy_before_the_next(
    pair: tuple[ServiceProcess, ServiceProcess],
) -> None:
    first, second = pair  # no supervisor: the first stays down once stopped
    second_pid = second.pid
    result = restart(
        "--instance", first.operator_url, "--instance", second.operator_url,
        "--settle", "0", "--ready-timeout", "2",
    )  # fmt: skip
    assert result.returncode == 1
    assert "instance 1 (" in result.stderr
    assert "no new process became ready within 2 s" in result.stderr
    assert "1 instance(s) after it were not touched" in result.stderr
    assert steps(result)[-1]["step"] == "failed"
    assert first.wait_exit(timeout=10) == 0, "the first was stopped gracefully"
    untouched(second, second_pid)


def test_a_failing_restart_command_stops_the_redeploy_before_the_next(
    pair: tuple[ServiceProcess, ServiceProcess],
) -> None:
    first, second = pair
    second_pid = second.pid
    result = restart(
        "--instance", f"{first.operator_url},{second.operator_url}", "--settle", "0",
        "--restart-command", f"{sys.executable} -c 'import sys; sys.exit(3)' {{index}} {{url}}",
    )  # fmt: skip
    assert result.returncode == 1
    assert "exited with code 3" in result.stderr
    assert [s["step"] for s in steps(result)] == ["drained", "settled", "restarting", "failed"]
    assert steps(result)[2]["command"].endswith(f" 1 {first.operator_url}")
    untouched(second, second_pid)


def test_an_address_where_nothing_answers_restarts_nothing(
    pair: tuple[ServiceProcess, ServiceProcess],
) -> None:
    first, _ = pair
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = restart("--instance", first.operator_url, "--instance", nowhere, "--settle", "0")
    assert result.returncode == 1
    assert f"instance 2 ({nowhere}) is not ready before the redeploy" in result.stderr
    assert "nothing answers there" in result.stderr
    assert "nothing was restarted" in result.stderr
    untouched(first, first.pid)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--instance", "10.0.0.5:9464"], "is not an operators' listener address"),
        (["--instance", "http://10.0.0.5:99999"], "out of range"),
        (["--instance", "http://10.0.0.5:9464/metrics"], "is not an operators' listener"),
        (["--instance", "http://a:1,http://a:1"], "an address is given twice"),
        (["--instance", "http://a:1", "--settle", "soon"], "is not a number of seconds"),
        (["--instance", "http://a:1", "--restart-command", "x {host}"], "only {index} and {url}"),
        ([], "the following arguments are required: --instance"),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(args: list[str], said: str) -> None:
    result = restart(*args, timeout=20)
    assert result.returncode == 2
    assert said in result.stderr
    assert result.stdout == ""


def test_the_supervisor_starts_an_instance_that_exits_unasked_again_on_its_ports(
    stack: Stack, pair: tuple[ServiceProcess, ServiceProcess]
) -> None:
    crashed, retired = pair
    ports = (crashed.port, crashed.operator_port)
    old_pid = crashed.pid
    supervisor = Supervisor(lambda: pair).start()
    try:
        os.kill(old_pid, signal.SIGKILL)  # not asked by its owner: a crash
        retired.kill()  # asked by its owner: stays down

        def back() -> bool:
            assert crashed.pid != old_pid and readiness(crashed.url).ready
            return True

        asyncio.run(eventually(back, timeout=20, describe="the crashed instance never came back"))
        assert (crashed.port, crashed.operator_port) == ports
        assert readiness(crashed.operator_url).ready
        assert not retired.running and retired.restarts == 0
    finally:
        supervisor.stop()
