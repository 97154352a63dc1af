"""The fork server: one warmed process that starts instances of the chat service by forking.

    python -m harness.forkserver SOCKET

A plain `python -m service` spends about a second of CPU importing its libraries before it does
anything; this process imports the service once, then, for each start asked for on its Unix
socket, forks a child that becomes the instance: its own session, stdin /dev/null, stdout and
stderr appended to its log file, the environment and working directory it was given, the
signal dispositions a fresh interpreter has, then the same `main()` as `python -m service`,
whose return value is its exit code. The start costs milliseconds of CPU instead of a second.

One request per connection: the owner (harness/forked.py) sends one JSON line {"env", "cwd",
"log"} and reads `pid N` (or `error ...`), then, when the instance has ended, `exit CODE` (a
negative CODE is the signal that ended it, as with subprocess). The server runs no thread and no
event loop (a fork copies only the calling thread: a lock held by another one would stay held
in the child for ever); it waits on its socket, its stdin and a pidfd per child with a selector.
It ends when its stdin closes (its owner exited): instances still running are left alone, as
instances started with subprocess outlive an owner that dies.

The service is imported by name (importlib): the harness reaches the service only as a process,
and this module runs as a process of its own (the import contracts in pyproject.toml).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

# What `python -m service` imports on its way to serving (service/__main__.py imports the app
# only once its settings are read, and `serve` its HTTP parts): all of it is paid here, once.
PRELOAD = (
    "service.__main__",
    "service.app",
    "service.http.operator",
    "service.http.chat.handler",
    "service.keys",
    "service.shutdown",
    "aiohttp.web",
)
READY_LINE = "ready"
REQUEST_TIMEOUT_S = 10.0
# What the owner's plain start would give an instance: the dispositions this interpreter started
# with (those the owner ignores are inherited, Python's own for SIGINT, SIGPIPE and SIGXFSZ),
# read when this module is run, before anything here changes them.
_AT_START = {
    signum: handler
    for signum in signal.valid_signals()
    if signum not in (signal.SIGKILL, signal.SIGSTOP)
    and (handler := signal.getsignal(signum)) is not None
}
_MASK_AT_START = signal.pthread_sigmask(signal.SIG_BLOCK, ())


@dataclass
class _Instance:
    pid: int
    pidfd: int
    conn: socket.socket | None  # None once the owner hung up


def threads_running() -> list[str]:
    """Threads besides the main one; a fork is safe only when there are none."""
    return [t.name for t in threading.enumerate() if t is not threading.main_thread()]


def preload() -> Callable[[], int]:
    """Import the service and return its `main`."""
    for name in PRELOAD:
        importlib.import_module(name)
    main = importlib.import_module("service.__main__").main
    # What was imported stays as it is: the collector never touches it again, so the children's
    # collections do not copy the pages they share with this process (CPython's gc.freeze).
    gc.collect()
    gc.freeze()
    return cast("Callable[[], int]", main)


def serve(path: str, main: Callable[[], int]) -> None:
    """Serve start requests on the Unix socket at `path` until stdin closes."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "owner")
    instances: dict[int, _Instance] = {}  # by pidfd
    sys.stdout.write(READY_LINE + "\n")
    sys.stdout.flush()
    while True:
        for key, _ in selector.select():
            if key.data == "owner":
                if not os.read(sys.stdin.fileno(), 4096):
                    return  # the owner exited
            elif key.data == "accept":
                conn, _ = listener.accept()
                started = _start(conn, main, lambda: _close_in_child(listener, selector, instances))
                if started is not None:
                    instances[started.pidfd] = started
                    selector.register(started.pidfd, selectors.EVENT_READ, "exit")
            else:
                ended = instances.pop(key.fd)
                selector.unregister(key.fd)
                _report_exit(ended)


def _start(
    conn: socket.socket, main: Callable[[], int], close_in_child: Callable[[], None]
) -> _Instance | None:
    """Read one request, fork the instance, answer with its pid; None when nothing started."""
    try:
        conn.settimeout(REQUEST_TIMEOUT_S)
        with conn.makefile("rb") as reader:
            request = json.loads(reader.readline())
        env, cwd, log = dict(request["env"]), str(request["cwd"]), str(request["log"])
        if threads_running():  # never expected: say so rather than fork a broken child
            raise RuntimeError(f"the fork server has threads: {threads_running()}")
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            _become_instance(main, env=env, cwd=cwd, log=log, conn=conn, close=close_in_child)
        pidfd = os.pidfd_open(pid)
        conn.sendall(f"pid {pid}\n".encode())
        return _Instance(pid=pid, pidfd=pidfd, conn=conn)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        message = " ".join(f"{type(error).__name__}: {error}".split())
        try:
            conn.sendall(f"error {message}\n".encode())
        except OSError:
            pass
        conn.close()
        return None


def _report_exit(instance: _Instance) -> None:
    _, status = os.waitpid(instance.pid, 0)
    os.close(instance.pidfd)
    if instance.conn is not None:
        try:
            instance.conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
        except OSError:
            pass  # the owner no longer listens
        instance.conn.close()


def _close_in_child(
    listener: socket.socket, selector: selectors.BaseSelector, instances: Mapping[int, _Instance]
) -> None:
    """What the server holds that an instance must not: its socket, its selector, the other
    instances' connections and pidfds (closed through their objects, so no later collection
    closes a descriptor number the instance has reused meanwhile)."""
    listener.close()
    selector.close()
    for other in instances.values():
        os.close(other.pidfd)
        if other.conn is not None:
            other.conn.close()


def _become_instance(
    main: Callable[[], int],
    *,
    env: dict[str, str],
    cwd: str,
    log: str,
    conn: socket.socket,
    close: Callable[[], None],
) -> None:
    """In the forked child: what subprocess.Popen(start_new_session=True) and a fresh
    interpreter would have set up, then `main()`; ends the process, never returns."""
    code = 1
    try:
        conn.close()
        close()
        os.setsid()
        _redirect(log)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        for signum, handler in _AT_START.items():
            with contextlib.suppress(OSError, ValueError):  # signals the C library keeps
                signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, _MASK_AT_START)
        sys.argv = [str(Path(cwd, "service", "__main__.py"))]
        code = _run(main)
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def _redirect(log: str) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)


def _run(main: Callable[[], int]) -> int:
    """`main()` as the interpreter runs it: an exception is printed and exits 1, SystemExit
    exits with its code, and the exit handlers run at the end (logging's flush, coverage's
    save: pyproject.toml's `patch = ["fork"]` restarts coverage in the child)."""
    try:
        code = main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if stop.code is not None and not isinstance(stop.code, int):
            print(stop.code, file=sys.stderr)
    except KeyboardInterrupt:
        # The interpreter ends by SIGINT itself then, so its parent sees the signal.
        traceback.print_exc()
        atexit._run_exitfuncs()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m harness.forkserver SOCKET", file=sys.stderr)
        return 2
    service_main = preload()
    if threads_running():
        print(f"importing the service started threads: {threads_running()}", file=sys.stderr)
        return 1
    serve(args[0], service_main)
    return 0


if __name__ == "__main__":
    sys.exit(main())
