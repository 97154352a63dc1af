"""The owner's side of the fork server (harness/forkserver.py): service instances started in
milliseconds by forking a process that has already imported the service.

One fork server per owner process (`shared()`), started when the first stack starts (or at the
first instance), stopped at exit. `ForkedProcess` is the owner's handle on one instance: the part
of subprocess.Popen's interface ManagedProcess uses (pid, returncode, poll, wait), the exit code
read from the fork server, which is the instance's parent. Signals go to the instance's pid as
before. Off (plain `python -m service` starts) with GOLDEN_PATH_FORKSERVER=0, where Linux's pidfds
are missing, and for an instance whose interpreter settings (PYTHON*, COVERAGE_* variables,
read only when an interpreter starts) differ from the fork server's.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)

SWITCH = "GOLDEN_PATH_FORKSERVER"
# Importing the service takes about a second of CPU; many more on a machine busy with a run.
READY_TIMEOUT_S = 60.0
ANSWER_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
# Variables an interpreter reads only when it starts: a forked instance has the fork server's.
_AT_INTERPRETER_START = ("PYTHON", "COVERAGE_")


class ForkServerUnavailable(RuntimeError):
    """The fork server could not be started or did not answer; a plain start still works."""


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether instances are forked here (GOLDEN_PATH_FORKSERVER=0 turns it off)."""
    env = os.environ if environ is None else environ
    return sys.platform == "linux" and hasattr(os, "pidfd_open") and env.get(SWITCH, "1") != "0"


def _interpreter_settings(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(_AT_INTERPRETER_START)}


class ForkedProcess:
    """One forked instance, as its owner sees it. Thread-safe: the suite's loop, its worker
    threads and a supervisor look at the same instance."""

    def __init__(self, conn: socket.socket, pid: int, said: bytes = b"") -> None:
        self.pid = pid
        self.args = ["python", "-m", "service", f"(forked, pid {pid})"]
        self.returncode: int | None = None
        self._conn = conn
        self._conn.setblocking(False)
        # Kept to see the end of an instance whose fork server is gone (it cannot say the code).
        self._pidfd = os.pidfd_open(pid)
        self._pending = said  # what the fork server said after the pid, in the same read
        self._hung_up = False
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        """The exit code if the instance has ended, else None (without waiting)."""
        self._take()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """The exit code once the instance ends; subprocess.TimeoutExpired after `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if (code := self.poll()) is not None:
                return code
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            # The fork server says how it ended (or hangs up: then the pidfd says when).
            waiting_on = self._pidfd if self._hung_up else self._conn
            with contextlib.suppress(OSError, ValueError):  # closed by another thread meanwhile
                select.select([waiting_on], [], [], left)

    def _take(self) -> None:
        with self._lock:
            if self.returncode is not None:
                return
            try:
                data = self._conn.recv(4096)
                self._hung_up = not data
                self._pending += data
            except BlockingIOError:
                pass
            except OSError:
                self._hung_up = True
            for line in self._pending.decode().splitlines():
                if line.startswith("exit "):
                    self._ended(int(line.split()[1]))
                    return
            # The fork server hung up without a word (killed): only the pidfd knows the end.
            if self._hung_up and select.select([self._pidfd], [], [], 0)[0]:
                log.warning("the fork server is gone: instance %d's exit code is unknown", self.pid)
                self._ended(-9)

    def _ended(self, code: int) -> None:
        self.returncode = code
        self._conn.close()
        os.close(self._pidfd)


class ForkServer:
    """`python -m harness.forkserver` as a child of this process, with its socket in a private
    directory (only this user may ask it to start anything)."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._ready = False
        self._env: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def socket_path(self) -> Path:
        if self._dir is None:
            raise ForkServerUnavailable("the fork server was never started")
        return self._dir / "forkserver.sock"

    def prewarm(self) -> None:
        """Start it without waiting: it imports the service while the stack starts the rest."""
        with self._lock:
            self._launch()

    def serves(self, env: Mapping[str, str]) -> bool:
        """Whether an instance with this environment can be forked from it."""
        with self._lock:
            self._launch()
            return _interpreter_settings(env) == _interpreter_settings(self._env)

    def start(self, *, env: Mapping[str, str], cwd: Path, log_path: Path) -> ForkedProcess:
        """Fork one instance; ForkServerUnavailable when the fork server cannot."""
        with self._lock:
            self._launch()
            self._wait_ready()
            path = self.socket_path
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(ANSWER_TIMEOUT_S)
            conn.connect(str(path))
            request = {"env": dict(env), "cwd": str(cwd), "log": str(log_path)}
            conn.sendall(json.dumps(request).encode() + b"\n")
            answer, rest = _read_line(conn)
        except OSError as error:
            conn.close()
            raise ForkServerUnavailable(f"the fork server did not answer: {error}") from error
        if not answer.startswith("pid "):
            conn.close()
            raise ForkServerUnavailable(f"the fork server could not start it: {answer}")
        return ForkedProcess(conn, int(answer.split()[1]), rest)

    def stop(self) -> int | None:
        """Close its stdin (it exits; instances still running are left to their owners); its
        exit code (None if it was not running)."""
        with self._lock:
            process, self._process, self._ready = self._process, None, False
            code = None
            if process is not None:
                if process.stdin is not None:
                    process.stdin.close()
                try:
                    process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
                code = process.returncode
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None
            return code

    def _launch(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        if self._process is not None:
            code = self._process.returncode
            log.warning("the fork server exited with code %s: starting it again", code)
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="golden-path-forkserver-"))
        self._env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._ready = False
        self.socket_path.unlink(missing_ok=True)
        with (self._dir / "forkserver.log").open("ab") as errors:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "harness.forkserver", str(self.socket_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=self._env,
                cwd=Path(__file__).resolve().parent.parent,
                # A Ctrl-C meant for the owner does not reach it: the owner stops in order, and
                # its instances' exit codes come from here.
                start_new_session=True,
            )

    def _wait_ready(self) -> None:
        if self._ready:
            return
        process = self._process
        assert process is not None and process.stdout is not None
        readable, _, _ = select.select([process.stdout], [], [], READY_TIMEOUT_S)
        line = process.stdout.readline().decode().strip() if readable else ""
        if line != "ready":
            process.kill()
            process.wait()
            errors = self.socket_path.with_name("forkserver.log")
            said = errors.read_text(errors="replace")[-2000:] if errors.exists() else ""
            raise ForkServerUnavailable(f"the fork server did not start (said {line!r}):\n{said}")
        self._ready = True


def _read_line(conn: socket.socket) -> tuple[str, bytes]:
    """The first line, and what came after it in the same reads."""
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(256)
        if not chunk:
            break
        data += chunk
    line, _, rest = data.partition(b"\n")
    return line.decode(errors="replace").strip(), rest


_shared: ForkServer | None = None
_shared_lock = threading.Lock()


def shared() -> ForkServer:
    """This process's fork server (a forked owner gets its own), stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.owner != os.getpid():
            _shared = ForkServer()
            atexit.register(_shared.stop)
        return _shared


def stop_shared() -> None:
    """Stop this process's fork server now, if it has one (its instances stopped first)."""
    with _shared_lock:
        server = _shared if _shared is not None and _shared.owner == os.getpid() else None
    if server is not None:
        server.stop()
