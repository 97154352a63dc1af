"""One behave run split by feature over SHARDS processes, each with an embedded stack of its own.

    python -m tools.shards --shards 2 [BEHAVE OPTIONS AND PATHS]

Unlike `make parallel` (one shared stack, so @fault and @embedded scenarios skip), every shard
is a plain behave run with its own PostgreSQL, Redis and service: every scenario runs, faults
included, and one shard's outage never reaches another's. Most of a run is waiting (outages
that end by themselves, answers that take their time, servers starting), so shards overlap
their waits. On two cores three shards end sooner than two on a busy machine, but they
stretch each scenario and the timing-sensitive ones (a 1 s silence bound) then fail (two runs
of three, measured again with the queue), so two is the default (docs/developing.md, "Where
the suite's time goes").

The shards take the features from one queue (tools/feature_queue.py), longest first: each
shard, when it is free, runs the next feature no shard has claimed yet, so they end within
about one short feature of each other however the machine's load stretched the guesses.
Longest by their seconds a scenario in the last run that ran them (reports/feature-seconds.json
by feature name, kept from the Allure results) times their scenarios selected now (a feature not
seen yet counts a second per selected scenario). The shards write into the same Allure results
and JUnit folder (their features differ, so their files do); each shard's own output and its
services' logs go to reports/logs/shard-N/; their rerun files are merged into reports/rerun.txt.
Exit code: 0 when every shard's behave exited 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, cast

from behave.configuration import Configuration

from tools.feature_queue import claimed_by, write_queue
from tools.quality_gate import select
from tools.suite_time import load

REPORTS = Path("reports")
SECONDS_FILE = REPORTS / "feature-seconds.json"
RERUN_FILE = REPORTS / "rerun.txt"
RESULTS = REPORTS / "allure-results"
QUEUE = REPORTS / "logs" / "feature-queue"
RUNNER = "tools.feature_queue:QueueRunner"
UNSEEN_SCENARIO_S = 1.0
POLL_S = 0.2


class Polled(Protocol):
    """A running process, as subprocess.Popen: its exit code once it has ended, else None."""

    def poll(self) -> int | None: ...


def shard_dir(shard: int) -> Path:
    return REPORTS / "logs" / f"shard-{shard}"


def longest_first(weights: dict[str, float]) -> list[str]:
    """The queue's order (ties: by path)."""
    return sorted(weights, key=lambda p: (-weights[p], p))


def weights_of(argv: list[str]) -> dict[str, float]:
    """Each feature file with a selected scenario: its seconds a scenario in the last run that
    ran it, times its scenarios selected now (so `make accept`'s seconds deal `make test`'s
    features fairly), or a guess."""
    known = _known()
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for case in select(argv).cases:
        counts[str(case.path)] = counts.get(str(case.path), 0) + 1
        names[str(case.path)] = case.feature
    return {p: known.get(names[p], UNSEEN_SCENARIO_S) * n for p, n in counts.items()}


def _known() -> dict[str, float]:
    """Seconds a scenario, by feature name, from reports/feature-seconds.json."""
    if not SECONDS_FILE.exists():
        return {}
    known: dict[str, float] = {}
    for feature, seen in json.loads(SECONDS_FILE.read_text(encoding="utf-8")).items():
        if isinstance(seen, dict) and seen.get("scenarios"):
            known[feature] = float(seen["seconds"]) / int(seen["scenarios"])
    return known  # a file of the earlier form (seconds only) is a guess's worth: ignored


def remember_seconds() -> None:
    """The seconds and the scenarios each feature took in this run, for the next deal."""
    known: dict[str, Any] = {}
    if SECONDS_FILE.exists():
        known = json.loads(SECONDS_FILE.read_text(encoding="utf-8"))
    this_run: dict[str, dict[str, float]] = {}
    for scenario in load(RESULTS):
        seen = this_run.setdefault(scenario.feature, {"seconds": 0.0, "scenarios": 0})
        seen["seconds"] += scenario.seconds
        seen["scenarios"] += 1
    known.update(this_run)
    SECONDS_FILE.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def options_only(argv: list[str]) -> list[str]:
    """behave's options without its paths: each shard is given its own feature files."""
    paths = {str(p) for p in select(argv).locations}
    return [arg for arg in argv if arg not in paths]


def own_output(options: list[str]) -> list[str]:
    """behave pairs formats with outfiles in order, and adds its default format (behave.ini)
    only when the command line names none; each shard's names its rerun file. So the default is
    named too, unless one was given, and every format before it gets an outfile (the screen)."""
    config: Any = cast(Any, Configuration)(command_args=options, load_config=True)
    given = any(o in ("-f", "--format") or o.startswith(("-f", "--format=")) for o in options)
    named = [] if given else ["-f", str(config.default_format)]
    formats = len(config.format or []) + len(named) // 2
    return named + ["-o", "-"] * max(0, formats - len(config.outfiles or []))


def shard_args(options: list[str], number: int, paths: list[str]) -> list[str]:
    """behave's arguments for one shard: every feature, taken from the one queue; its stack's
    logs apart, its own rerun file."""
    rerun = str(shard_dir(number) / "rerun.txt")
    return [
        *options,
        "--runner",
        RUNNER,
        "-D",
        f"feature_queue={QUEUE}",
        "-D",
        f"shard={number}",
        *own_output(options),
        "-f",
        "rerun",
        "-o",
        rerun,
        *paths,
    ]


def run(argv: list[str], shards: int) -> int:
    if any(":" in location for location in select(argv).locations):
        # FILE:LINE picks scenarios, not features: one plain behave run.
        return subprocess.call([sys.executable, "-m", "behave", *argv])
    queue = longest_first(weights_of(argv))
    write_queue(QUEUE, queue)
    options = options_only(argv)
    began = time.monotonic()
    running = []
    for number in range(1, min(shards, len(queue)) + 1):
        folder = shard_dir(number)
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "behave", *shard_args(options, number, queue)]
        output = (folder / "behave.log").open("w")
        print(f"shards: {number}: from the queue of {len(queue)}, output {output.name}", flush=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # the log follows the run
        shard = subprocess.Popen(command, stdout=output, stderr=output, env=env)
        running.append((number, shard, output))
    ended = ended_after(began, [process for _, process, _ in running])
    code = 0
    for (number, process, output), after in zip(running, ended, strict=True):
        shard_code = process.wait()
        output.close()
        lines = Path(output.name).read_text(errors="replace").splitlines()
        summary = [
            line.rstrip()
            for line in lines
            if " passed, " in line or line.startswith(("Failing scenarios:", "  features/"))
        ]
        if shard_code and not summary:  # it never got to run: say why
            summary = lines[-10:]
        print(
            f"shards: {number} exited {shard_code} after {after:.1f} s: " + " | ".join(summary),
            flush=True,
        )
        code = code or shard_code
    unclaimed = set(queue) - set(claimed_by(QUEUE))
    if unclaimed:  # every shard stopped early: the quality gate counts their scenarios missing
        print(f"shards: {len(unclaimed)} features never run: {', '.join(sorted(unclaimed))}")
    merge_reruns(len(running))
    remember_seconds()
    print(f"shards: {len(running)} shards in {time.monotonic() - began:.1f} s")
    return code


def ended_after(began: float, processes: Sequence[Polled]) -> list[float]:
    """Seconds from `began` until each process exited: the shard that ends last sets the run's
    end, so each one's own end is worth seeing (its stack's start is in its log)."""
    ended: dict[int, float] = {}
    while len(ended) < len(processes):
        for index, process in enumerate(processes):
            if index not in ended and process.poll() is not None:
                ended[index] = time.monotonic() - began
        time.sleep(POLL_S)
    return [ended[index] for index in range(len(processes))]


def merge_reruns(shards: int) -> None:
    """behave's own rerun file is each shard's last word: the shards' files together replace it."""
    failed = []
    for number in range(1, shards + 1):
        path = shard_dir(number) / "rerun.txt"
        if path.exists():
            failed += [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
            path.unlink()
    RERUN_FILE.unlink(missing_ok=True)
    if failed:
        header = f"# -- RERUN: {len(failed)} failing scenarios during last test run.\n"
        RERUN_FILE.write_text(header + "\n".join(failed) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.shards", description=__doc__)
    parser.add_argument("--shards", type=int, default=2, help="behave processes (default 2)")
    args, behave_args = parser.parse_known_args(argv)
    if args.shards < 1:
        parser.error("--shards must be at least 1")
    return run(behave_args, args.shards)


if __name__ == "__main__":
    sys.exit(main())
