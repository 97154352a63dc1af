"""Run the suite in parallel processes (behavex) over ONE shared stack.

    python tools/parallel.py [--workers 2] [--scheme feature|scenario] [--tags EXPR]
                             [--output reports/behavex] [--service-url URL] [BEHAVEX ARGS ...]

Starts the embedded stack once (`python -m fixtures.stack`, unless --service-url names a running
service), points every worker at it with `-D service_url=...` (each worker then treats it as a
deployment: @fault and @embedded scenarios skip with their reason, because a fault injected by
one worker would hit the others' scenarios and a deployment never shares its signing secret),
and stops the stack at the end. Every worker's Allure formatter (behave.ini) writes into the same
reports/allure-results: one merged result set. behavex's own JUnit files land in OUTPUT/behave.

Exit code: behavex's (non-zero when a scenario failed or nothing ran).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STACK_LOG = Path("reports/logs/shared-stack.log")
STACK_READY_TIMEOUT_S = 120.0


def start_stack(log: IO[str]) -> tuple[subprocess.Popen[str], str]:
    """`python -m fixtures.stack`; returns the process and the service URL of its JSON line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fixtures.stack"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + STACK_READY_TIMEOUT_S
    line = process.stdout.readline()  # the stack prints one line when ready, or exits
    if not line or time.monotonic() > deadline:
        process.wait(timeout=30)
        raise SystemExit(f"parallel: the shared stack did not start; see {STACK_LOG}")
    described = json.loads(line)
    return process, str(described["service_urls"][0])


def stop_stack(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # the stack removes everything it started
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def behavex_command(args: argparse.Namespace, service_url: str, extra: list[str]) -> list[str]:
    behavex = Path(sys.executable).with_name("behavex")
    command = [str(behavex) if behavex.exists() else "behavex"]
    command += ["--parallel-processes", str(args.workers), "--parallel-scheme", args.scheme]
    command += ["--output-folder", str(args.output), "-D", f"service_url={service_url}"]
    # behavex adds `not @WIP and not @MANUAL` (upper case; behave's tags are case-sensitive),
    # so the expression must say `not @wip` itself: the Makefile's default does.
    command += ["--tags", args.tags, "--show-progress-bar"]
    paths = [a for a in extra if not a.startswith("-")] or ["features"]
    options = [a for a in extra if a.startswith("-")]
    return command + options + paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The suite in parallel over one shared stack.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheme", choices=("feature", "scenario"), default="feature")
    parser.add_argument("--tags", default="not @wip")
    parser.add_argument("--output", type=Path, default=Path("reports/behavex"))
    parser.add_argument("--service-url", default="", help="a running service: start no stack")
    args, extra = parser.parse_known_args(argv)

    STACK_LOG.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with STACK_LOG.open("w") as log:
        stack = None
        url = args.service_url
        try:
            if not url:
                stack, url = start_stack(log)
                print(f"parallel: shared stack at {url} after {time.monotonic() - began:.1f} s")
            command = behavex_command(args, url, extra)
            print("parallel: " + " ".join(command), flush=True)
            run_began = time.monotonic()
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            code = subprocess.call(command, cwd=PROJECT_ROOT, env=env)
            ran = time.monotonic() - run_began
        finally:
            if stack is not None:
                stop_stack(stack)
    total = time.monotonic() - began
    print(
        f"parallel: {args.workers} workers ({args.scheme}s): scenarios {ran:.1f} s, "
        f"with the shared stack {total:.1f} s"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
