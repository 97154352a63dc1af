"""`golden-path-rolling-restart`: redeploy every instance in turn without losing an answer.

For each instance, through its operators' listener (METRICS_HOST:METRICS_PORT):

1. `POST /drain`: out of readiness; new requests and chats are refused with 503 and Retry-After,
   so the balancer retries them on another instance; open chats and runs carry on.
2. Wait `--settle` seconds: a balancer that retries moves new work at once, an orchestrator
   that probes readiness needs one probe period to stop sending.
3. `POST /stop` (the graceful stop of SIGTERM: chats closed with 1001, runs in flight finish
   within DRAIN_SECONDS, exit 0), then wait until the old process is gone; a supervisor
   (systemd `Restart=always`, Kubernetes, the embedded stack) starts the new one. Or, with
   `--restart-command`, run that command instead (it stops and starts the instance itself).
4. Wait until the instance answers `/readyz` with 200 on the same address. A drained process
   never answers 200 again, so a 200 is always the new one.

One JSON object per line on stdout for each step; exit 1 at the first failure, leaving the
instances not yet reached untouched (a redeploy that breaks stops), 2 for bad arguments.
Only aiohttp and the standard library: it ships with the lean service install.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import urlsplit

import aiohttp

POLL_S = 0.2
REQUEST_TIMEOUT_S = 5.0


class RedeployFailed(Exception):
    """A step failed; the message says which instance, which step and why."""


@dataclass(frozen=True)
class Options:
    instances: tuple[str, ...]
    settle_s: float
    stop_timeout_s: float
    ready_timeout_s: float
    restart_command: str | None


@dataclass(frozen=True)
class Probe:
    """What the instance's operators' listener answered to `GET /readyz`."""

    status: int | None  # None: nothing answers on that address
    instance: str | None  # "ok" or "draining" (the body's `instance`)
    detail: str

    @property
    def ready(self) -> bool:
        return self.status == 200

    @property
    def old_process(self) -> bool:
        """The drained process still answers (a new one never says it is draining)."""
        return self.instance == "draining"


class Reporter:
    """One JSON object per line: time, instance (1-based index and URL), step, details."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def step(self, index: int, url: str, step: str, **details: Any) -> None:
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "index": index,
            "instance": url,
            "step": step,
            **details,
        }
        self._out.write(json.dumps(line) + "\n")
        self._out.flush()


async def probe(http: aiohttp.ClientSession, url: str) -> Probe:
    try:
        async with http.get(f"{url}/readyz") as response:
            body = await response.json(content_type=None)
            instance = body.get("instance") if isinstance(body, dict) else None
            return Probe(response.status, instance, json.dumps(body))
    except (aiohttp.ClientConnectionError, TimeoutError) as error:
        return Probe(None, None, f"nothing answers there ({error or type(error).__name__})")
    except (ValueError, aiohttp.ClientResponseError) as error:
        return Probe(None, None, f"not an operators' listener ({error})")


async def _post(http: aiohttp.ClientSession, url: str, path: str) -> None:
    try:
        async with http.post(f"{url}{path}") as response:
            if response.status != 202:
                text = (await response.text())[:200]
                raise RedeployFailed(f"POST {path} answered {response.status}: {text}")
    except (aiohttp.ClientError, TimeoutError) as error:
        raise RedeployFailed(f"POST {path} failed: {error or type(error).__name__}") from error


async def _run_command(command: str, timeout_s: float) -> None:
    try:
        process = await asyncio.create_subprocess_exec(
            *shlex.split(command), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
    except OSError as error:
        raise RedeployFailed(f"the restart command {command!r} could not start: {error}") from error
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RedeployFailed(
            f"the restart command {command!r} did not finish within {timeout_s:g} s"
        ) from None
    if process.returncode != 0:
        tail = output.decode(errors="replace").strip()[-500:]
        raise RedeployFailed(
            f"the restart command {command!r} exited with code {process.returncode}: {tail}"
        )


async def _wait_gone(http: aiohttp.ClientSession, url: str, timeout_s: float) -> Probe:
    """Until the drained process no longer answers (its successor may already answer)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = await probe(http, url)
        if not found.old_process:
            return found
        if time.monotonic() > deadline:
            raise RedeployFailed(
                f"the old process was still running {timeout_s:g} s after it was asked to stop "
                f"(more than DRAIN_SECONDS?); last answer: {found.detail}"
            )
        await asyncio.sleep(POLL_S)


async def _wait_ready(http: aiohttp.ClientSession, url: str, timeout_s: float) -> Probe:
    deadline = time.monotonic() + timeout_s
    while True:
        found = await probe(http, url)
        if found.ready:
            return found
        if time.monotonic() > deadline:
            seen = f"answered {found.status}: {found.detail}" if found.status else found.detail
            raise RedeployFailed(
                f"no new process became ready within {timeout_s:g} s (is a supervisor "
                f"restarting it?); last answer: {seen}"
            )
        await asyncio.sleep(POLL_S)


async def restart_one(
    http: aiohttp.ClientSession, index: int, url: str, options: Options, report: Reporter
) -> None:
    began = time.monotonic()
    await _post(http, url, "/drain")
    report.step(index, url, "drained")
    await asyncio.sleep(options.settle_s)
    report.step(index, url, "settled", seconds=options.settle_s)
    if options.restart_command is not None:
        command = options.restart_command.format(index=index, url=url)
        report.step(index, url, "restarting", command=command)
        await _run_command(command, options.stop_timeout_s)
    else:
        stop_began = time.monotonic()
        await _post(http, url, "/stop")
        report.step(index, url, "stopping")
        await _wait_gone(http, url, options.stop_timeout_s)
        report.step(index, url, "stopped", seconds=round(time.monotonic() - stop_began, 2))
    await _wait_ready(http, url, options.ready_timeout_s)
    report.step(index, url, "ready", seconds=round(time.monotonic() - began, 2))


async def rolling_restart(options: Options, out: TextIO = sys.stdout) -> None:
    """Every instance in turn; RedeployFailed at the first failure (the rest untouched)."""
    report = Reporter(out)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        # Take none out while one is already out: that could leave no instance serving.
        for index, url in enumerate(options.instances, start=1):
            found = await probe(http, url)
            if not found.ready:
                seen = f"answered {found.status}: {found.detail}" if found.status else found.detail
                raise RedeployFailed(
                    f"instance {index} ({url}) is not ready before the redeploy ({seen}); "
                    "nothing was restarted"
                )
        for index, url in enumerate(options.instances, start=1):
            try:
                await restart_one(http, index, url, options, report)
            except RedeployFailed as failure:
                left = len(options.instances) - index
                raise RedeployFailed(
                    f"instance {index} ({url}): {failure}; the redeploy stopped there, "
                    f"{left} instance(s) after it were not touched"
                ) from failure
    report.step(0, "", "done", instances=len(options.instances))


# --- command line ------------------------------------------------------------------------------
def _instance_url(value: str) -> list[str]:
    urls = [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            raise argparse.ArgumentTypeError(
                f"{url!r} is not an operators' listener address such as http://10.0.0.5:9464"
            )
        try:
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{url!r}: {error}") from None
    return urls


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds >= 0")
    return seconds


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="golden-path-rolling-restart",
        description="Restart every instance in turn without losing an answer: drain, settle, "
        "stop (a supervisor starts the new process) or run --restart-command, wait until "
        "ready, next. Prints one JSON object per line per step; exits 1 at the first failure "
        "without touching the instances after it.",
    )
    parser.add_argument(
        "--instance",
        dest="instances",
        action="append",
        type=_instance_url,
        required=True,
        metavar="URL",
        help="an instance's operators' listener (METRICS_HOST:METRICS_PORT), e.g. "
        "http://10.0.0.5:9464; repeat it or give a comma-separated list, in restart order",
    )
    parser.add_argument(
        "--settle",
        type=_seconds,
        default=2.0,
        metavar="SECONDS",
        help="wait after the drain before the stop, for the balancer or readiness probes to "
        "stop sending new work (default 2)",
    )
    parser.add_argument(
        "--restart-command",
        metavar="COMMAND",
        help="run this instead of POST /stop, e.g. 'systemctl restart golden-path@{index}' "
        "({index}: 1-based position, {url}: the instance's address); it must stop the old "
        "process and start the new one",
    )
    parser.add_argument(
        "--stop-timeout",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="how long the old process (or the restart command) may take to finish; more "
        "than DRAIN_SECONDS (default 120)",
    )
    parser.add_argument(
        "--ready-timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long the new process may take to become ready (default 60)",
    )
    args = parser.parse_args(argv)
    instances = tuple(url for group in args.instances for url in group)
    if not instances:
        parser.error("--instance: no address given")
    if len(set(instances)) != len(instances):
        parser.error("--instance: an address is given twice")
    if args.restart_command is not None:
        try:
            args.restart_command.format(index=1, url=instances[0])
        except (KeyError, IndexError, ValueError) as error:
            parser.error(f"--restart-command: only {{index}} and {{url}} can be filled ({error})")
    return Options(
        instances=instances,
        settle_s=args.settle,
        stop_timeout_s=args.stop_timeout,
        ready_timeout_s=args.ready_timeout,
        restart_command=args.restart_command,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        asyncio.run(rolling_restart(options))
    except RedeployFailed as failure:
        print(json.dumps({"step": "failed", "error": str(failure)}), flush=True)
        print(f"golden-path-rolling-restart: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("golden-path-rolling-restart: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
