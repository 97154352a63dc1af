"""Service instances forked from the warmed fork server (harness/forkserver.py,
harness/forked.py) live as instances started with `python -m service` do: each is a process of
its own, in its own session, started for a small part of the CPU a plain start costs, with its own
settings and log file; it answers the signals the fault scenarios send (freeze and thaw,
terminate, kill), a refused start's exit code and message reach the owner, an exit the owner did
not ask for is restarted; GOLDEN_PATH_FORKSERVER=0 brings plain starts back."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from harness import forked
from harness.forked import ForkedProcess
from harness.readiness import readiness
from harness.services import ServiceProcess, StartError, log_tail
from harness.stack import Stack, StackConfig

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

WITHIN_S = 15.0
# A plain start spends about a second of CPU importing the service before it serves; a forked
# one only builds its app and connects (about 0.06 s).
FORKED_START_CPU_S = 0.4


def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WITHIN_S
    while not check():
        assert time.monotonic() < deadline, f"not within {WITHIN_S:g} s: {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(instances=1)) as running:
        yield running


@pytest.fixture
def instance(stack: Stack) -> Iterator[ServiceProcess]:
    service = stack.start_service()
    yield service
    stack.retire_service(service)


def build_info(service: ServiceProcess) -> str:
    with urllib.request.urlopen(f"{service.operator_url}/metrics", timeout=5) as answer:
        text: str = answer.read().decode()
    return next(line for line in text.splitlines() if line.startswith("chat_build_info{"))


def test_an_instance_is_forked_from_the_warmed_server_in_a_session_of_its_own(
    instance: ServiceProcess,
) -> None:
    assert isinstance(instance._popen, ForkedProcess), "started with a plain python -m service"
    process = psutil.Process(instance.pid)
    assert process.ppid() == forked.shared().pid
    assert os.getsid(instance.pid) == instance.pid  # a Ctrl-C for the owner does not reach it
    times = process.cpu_times()
    assert times.user + times.system < FORKED_START_CPU_S, "it imported the service again"
    assert readiness(instance.url).ready


def test_the_fork_server_runs_no_thread_to_fork_with(instance: ServiceProcess) -> None:
    server = forked.shared()
    assert server.pid is not None and psutil.Process(server.pid).num_threads() == 1


def signal_state(pid: int) -> dict[str, str]:
    """The signals a process blocks, ignores and catches (/proc/PID/status)."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(
        line.split(":\t") for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt"))
    )


def test_a_forked_instance_handles_signals_as_a_plain_one_does(
    stack: Stack, instance: ServiceProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(forked.SWITCH, "0")
    plain = stack.start_service()
    try:
        assert isinstance(plain._popen, subprocess.Popen)
        assert signal_state(instance.pid) == signal_state(plain.pid)
    finally:
        stack.retire_service(plain)


def test_two_instances_have_their_own_settings_and_log_files(stack: Stack) -> None:
    alpha = stack.start_service({"BUILD_COMMIT": "alpha"})
    beta = stack.start_service({"BUILD_COMMIT": "beta"})
    try:
        assert 'commit="alpha"' in build_info(alpha)
        assert f'instance_id="{alpha.instance_id}"' in build_info(alpha)
        assert 'commit="beta"' in build_info(beta)
        assert f'instance_id="{beta.instance_id}"' in build_info(beta)
        # Each instance's output goes to its own log, from its first line.
        assert f'"instance": "{alpha.instance_id}"' in log_tail(alpha.log_path)
        assert alpha.instance_id not in log_tail(beta.log_path)
    finally:
        stack.retire_service(alpha)
        stack.retire_service(beta)


def test_a_frozen_instance_answers_nothing_until_thawed(instance: ServiceProcess) -> None:
    instance.freeze()
    try:
        until(lambda: psutil.Process(instance.pid).status() == psutil.STATUS_STOPPED, "stopped")
        assert not readiness(instance.url).ready
        assert instance.running and instance.frozen  # a stopped instance has not ended
    finally:
        instance.thaw()
    until(lambda: readiness(instance.url).ready, "ready again once thawed")


def test_terminate_drains_and_the_exit_code_reaches_the_owner(instance: ServiceProcess) -> None:
    instance.terminate()
    # 0: the service's own SIGTERM handler drained it and main() returned (-15 without it).
    assert instance.wait_exit(WITHIN_S) == 0
    assert not instance.running


def test_kill_ends_it_with_sigkill(instance: ServiceProcess) -> None:
    pid = instance.pid
    instance.kill()
    assert instance.wait_exit(0) == -signal.SIGKILL
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_wait_exit_times_out_while_it_runs(instance: ServiceProcess) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        instance.wait_exit(0.2)
    assert instance.running


def test_a_refused_start_exits_2_with_its_reason_in_its_log(stack: Stack) -> None:
    refused = stack.start_service({"BUILD_COMMIT": "not a commit id"}, wait_ready=False)
    try:
        assert isinstance(refused._popen, ForkedProcess)
        assert refused.wait_exit(WITHIN_S) == 2
        assert "refusing to start" in log_tail(refused.log_path)
        assert "BUILD_COMMIT" in log_tail(refused.log_path)
        with pytest.raises(StartError, match="exited with code 2"):
            refused.wait_ready()
    finally:
        stack.retire_service(refused)


def test_an_exit_nobody_asked_for_is_started_again_on_its_port(instance: ServiceProcess) -> None:
    first_pid, port = instance.pid, instance.port
    os.kill(first_pid, signal.SIGTERM)  # not through its owner: a crash as far as it knows
    until(lambda: not instance.running, "the instance ended")
    assert instance.restart_if_exited()
    instance.wait_ready()
    assert instance.pid != first_pid and instance.port == port
    assert isinstance(instance._popen, ForkedProcess)


def test_plain_starts_when_forking_is_turned_off(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(forked.SWITCH, "0")
    plain = stack.start_service()
    try:
        assert isinstance(plain._popen, subprocess.Popen)
        assert psutil.Process(plain.pid).ppid() == os.getpid()
    finally:
        stack.retire_service(plain)


def test_plain_start_when_the_interpreter_settings_differ(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read only when an interpreter starts: a forked instance would silently lack it.
    monkeypatch.setenv("PYTHONWARNINGS", "ignore::DeprecationWarning")
    plain = stack.start_service()
    try:
        assert isinstance(plain._popen, subprocess.Popen)
    finally:
        stack.retire_service(plain)


def test_the_fork_server_ends_with_its_owner_and_leaves_its_instances_running(
    stack: Stack,
) -> None:
    server = forked.ForkServer()  # this test's own, not the stack's
    probe = ServiceProcess(
        settings=stack.service_settings(), instance_id="probe", log_path=stack.log_dir / "p.log"
    )
    try:
        child = server.start(env=probe._env(), cwd=probe._cwd(), log_path=probe.log_path)
        until(lambda: readiness(probe.url).ready, "the probe instance is ready")
        server_pid = server.pid
        assert server_pid is not None
        assert server.stop() == 0  # it ends by itself once its owner's end closes its stdin
        assert not psutil.pid_exists(server_pid)
        assert readiness(probe.url).ready  # an instance is its owner's to stop
        assert child.poll() is None
        os.kill(child.pid, signal.SIGKILL)
        until(lambda: child.poll() is not None, "the orphaned instance's end is seen")
    finally:
        server.stop()
