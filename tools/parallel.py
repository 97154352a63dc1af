"""Run the suite in parallel processes (behavex) over ONE shared stack.

    python -m tools.parallel [--workers 2] [--scheme feature|scenario] [--tags EXPR]
                             [--output reports/behavex] [--service-url URL] [BEHAVEX ARGS ...]

Starts the embedded stack once (`python -m harness.stack`, unless --service-url names a running
service), points every worker at it with `-D service_url=...` (each worker then treats it as a
deployment: @fault and @embedded scenarios skip with their reason, because a fault injected by
one worker would hit the others' scenarios and a deployment never shares its signing secret),
and stops the stack at the end. Every worker's Allure formatter (behave.ini) writes into the same
reports/allure-results: one merged result set. behavex's own JUnit files land in OUTPUT/behave.
BEHAVEX ARGS are read by behavex's own parser (behavex.arguments; not behave's, whose options
differ: `-c` is behavex's --config but behave's --no-color), which tells their feature paths (the
serial baseline's) from option values, and refuses what behavex would refuse before the stack
starts.

Exit code: behavex's (non-zero when a scenario failed or nothing ran).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from behavex.arguments import parse_arguments

from harness.services import StartError
from harness.stack import spawn, stop_spawned

# Run from the checkout (as make does): its features/ and reports/.
PROJECT_ROOT = Path.cwd()
STACK_LOG = Path("reports/logs/shared-stack.log")


def feature_paths(extra: list[str]) -> list[str]:
    """The feature paths among the arguments handed on to behavex, as behavex's own parser reads
    them (an argument it does not take ends the run here, with its usage line)."""
    return list(parse_arguments(extra).paths or [])


def behavex_command(args: argparse.Namespace, service_url: str, extra: list[str]) -> list[str]:
    behavex = Path(sys.executable).with_name("behavex")
    command = [str(behavex) if behavex.exists() else "behavex"]
    command += ["--parallel-processes", str(args.workers), "--parallel-scheme", args.scheme]
    command += ["--output-folder", str(args.output), "-D", f"service_url={service_url}"]
    # behavex adds `not @WIP and not @MANUAL` (upper case; behave's tags are case-sensitive),
    # so the expression must say `not @wip` itself: the Makefile's default does.
    command += ["--tags", args.tags, "--show-progress-bar"]
    return command + extra + ([] if feature_paths(extra) else ["features"])


def serial_baseline(args: argparse.Namespace, service_url: str, extra: list[str]) -> float:
    """Seconds one plain behave process takes for the same scenarios against the same stack.
    Run from an empty folder (no behave.ini, so no Allure results or JUnit files of its own)."""
    paths = [str((PROJECT_ROOT / a).resolve()) for a in feature_paths(extra)]
    with tempfile.TemporaryDirectory(prefix="serial-baseline-") as empty:
        Path(empty, "behave.ini").write_text("[behave]\n")
        began = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "behave", "--format=progress", "--no-summary"]
            + ["-D", f"service_url={service_url}", "--tags", args.tags]
            + (paths or [str(PROJECT_ROOT / "features")]),
            cwd=empty,
            capture_output=True,
            text=True,
            check=False,
        )
        took = time.monotonic() - began
    print(f"parallel: serial baseline (1 behave process): {took:.1f} s, exit code {run.returncode}")
    if run.returncode:
        failing = run.stdout[run.stdout.find("Failing scenarios:") :].strip()
        print(failing or run.stdout[-2000:] or run.stderr[-2000:])
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The suite in parallel over one shared stack.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheme", choices=("feature", "scenario"), default="feature")
    parser.add_argument("--tags", default="not @wip")
    parser.add_argument("--output", type=Path, default=Path("reports/behavex"))
    parser.add_argument("--service-url", default="", help="a running service: start no stack")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="first run the same scenarios in one plain behave process against the same stack, "
        "and print the speed-up",
    )
    args, extra = parser.parse_known_args(argv)
    feature_paths(extra)  # an argument behavex would refuse is refused before the stack starts

    STACK_LOG.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with STACK_LOG.open("w") as log:
        stack = None
        url = args.service_url
        try:
            if not url:
                try:
                    stack, described = spawn([], log)
                except StartError:
                    raise SystemExit(
                        f"parallel: the shared stack did not start; see {STACK_LOG}"
                    ) from None
                url = str(described["service_urls"][0])
                print(f"parallel: shared stack at {url} after {time.monotonic() - began:.1f} s")
            baseline = serial_baseline(args, url, extra) if args.baseline else None
            command = behavex_command(args, url, extra)
            print("parallel: " + " ".join(command), flush=True)
            run_began = time.monotonic()
            env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
            code = subprocess.call(command, cwd=PROJECT_ROOT, env=env)
            ran = time.monotonic() - run_began
        finally:
            if stack is not None:
                stop_spawned(stack)
    total = time.monotonic() - began
    print(
        f"parallel: {args.workers} workers ({args.scheme}s): scenarios {ran:.1f} s, "
        f"with the shared stack {total:.1f} s"
    )
    if baseline:
        print(f"parallel: speed-up {baseline:.1f} s / {ran:.1f} s = {baseline / ran:.2f}x")
    return code


if __name__ == "__main__":
    sys.exit(main())
