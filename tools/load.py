"""`make load` and `make soak`: Locust (load/locustfile.py) headless, one master and local
workers, against the embedded stack or a deployment.

    python -m tools.load --users 1000 --spawn-rate 50 --run-time 3m [--workers 2]
                         [--instances 1 | --host URL[,URL...]] [--soak] [-- LOCUSTFILE OPTIONS]

Without --host it starts `python -m harness.stack --instances N` and spreads the people over
its instances. It starts the master and the workers, waits for the run (`--run-time`, which
includes the ramp), stops everything (also on Ctrl-C or an error), and prints how every
question ended (the `fate` entries of reports/load/locust_stats.csv) and the main latencies.
With the embedded stack it then checks in PostgreSQL that nothing acked was lost and every run
ended exactly once (harness/nothing_lost.py). `--soak` also samples the service processes'
memory and open files into reports/load/service-resources.csv and says whether they stayed flat.

Exit code 0 only when the run kept its promise (load/promises.py: chat open, first progress and
answer p99, longest silence, nothing lost; judged by the Locust master, load/verdict.py, and
kept in reports/load/promises.json) and, when checked, nothing acked was lost in the database and
memory and open files stayed flat. `-- --promise-crowd N` holds the run to the promise for N
people at once (default: --users).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from driver.client.models import Ack
from harness.forked import SWITCH as FORKSERVER_SWITCH
from harness.nothing_lost import Witness, check_nothing_lost
from harness.services import StartError
from harness.stack import spawn, stop_spawned
from load.fates import fate_table
from load.verdict import FAILING_TYPES, Verdict

# Run from the checkout (as make does): reports/ go there.
PROJECT_ROOT = Path.cwd()
# The request types whose latency the summary shows (see load/locustfile.py).
SUMMARY_TYPES = ("connect", "ack", "first progress", "answer", "longest silence")
# Soak flatness: the last minute's median may exceed the first minute's by this much.
FLAT_RATIO = 1.10
FLAT_SLACK = {"rss_mb": 10.0, "open_files": 10.0}


def locustfile() -> str:
    """Where load/locustfile.py is, found rather than imported (importing it would let gevent
    patch this process), so an installed golden-path-load finds it too."""
    spec = importlib.util.find_spec("load.locustfile")
    if spec is None or spec.origin is None:
        raise SystemExit("load/locustfile.py is missing from this installation")
    return spec.origin


@dataclass(frozen=True)
class Run:
    args: argparse.Namespace
    folder: Path

    @property
    def csv_prefix(self) -> Path:
        return self.folder / "locust"

    @property
    def stats_csv(self) -> Path:
        return self.folder / "locust_stats.csv"

    @property
    def acks(self) -> Path:
        return self.folder / "acks"

    @property
    def verdict(self) -> Path:
        return self.folder / "promises.json"


def parse_timespan(text: str) -> float:
    """Seconds of "90", "90s", "5m", "1h30m" (Locust's --run-time forms)."""
    if re.fullmatch(r"\d+", text):
        return float(text)
    parts = re.findall(r"(\d+)\s*([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != re.sub(r"\s", "", text):
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 90s, 5m, 1h30m)")
    return float(sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- processes ------------------------------------------------------------------------------------
def locust_commands(run: Run, urls: Sequence[str], master_port: int) -> list[list[str]]:
    """The master's command, then each local worker's."""
    args = run.args
    base = [sys.executable, "-m", "locust", "-f", locustfile()]
    master = [*base, "--headless", "--master", "--only-summary"]
    master += ["--master-bind-host", args.bind_host, "--master-bind-port", str(master_port)]
    master += ["--expect-workers", str(args.workers + args.remote_workers)]
    master += ["--expect-workers-max-wait", "120"]
    master += ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.run_time]
    master += ["--stop-timeout", str(int(args.stop_timeout)), "-H", urls[0]]
    master += ["--csv", str(run.csv_prefix), "--html", str(run.folder / "locust.html")]
    master += ["--verdict-file", str(run.verdict)]
    if len(urls) > 1:
        master += ["--instance-urls", ",".join(urls)]
    if args.check_database:
        master += ["--record-acks", str(run.acks)]
    master += args.locust_args
    worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port)]
    return [master, *([worker] * args.workers)]


class Sampler(threading.Thread):
    """Every `interval` s: memory and open files of each service process, into a CSV."""

    def __init__(self, pids: Sequence[int], path: Path, interval: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.processes = [psutil.Process(pid) for pid in pids]
        self.path, self.interval = path, interval
        self.began = time.monotonic()
        self.rows: list[dict[str, float]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        with self.path.open("w", newline="") as out:
            writer = csv.DictWriter(out, ["elapsed_s", "pid", "rss_mb", "open_files"])
            writer.writeheader()
            while not self.halt.wait(self.interval):
                elapsed = time.monotonic() - self.began
                for process in self.processes:
                    try:
                        row = {
                            "elapsed_s": round(elapsed, 1),
                            "pid": float(process.pid),
                            "rss_mb": round(process.memory_info().rss / 2**20, 1),
                            "open_files": float(process.num_fds()),
                        }
                    except psutil.Error:
                        continue
                    self.rows.append(row)
                    writer.writerow(row)
                out.flush()


# --- what the run says ----------------------------------------------------------------------------
def read_stats(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as source:
        return list(csv.DictReader(source))


def summary(rows: Sequence[dict[str, str]]) -> str:
    lines = [f"{'latency from the ask (ms)':<34} {'count':>7} {'p50':>7} {'p99':>7} {'max':>7}"]
    for row in sorted(
        rows, key=lambda r: SUMMARY_TYPES.index(r["Type"]) if r["Type"] in SUMMARY_TYPES else 99
    ):
        if row["Type"] in SUMMARY_TYPES:
            what = f"{row['Type']}: {row['Name']}"[:34]
            count, p50, p99, top = (row[k] for k in ("Request Count", "50%", "99%", "100%"))
            lines.append(f"{what:<34} {count:>7} {p50:>7} {p99:>7} {float(top):>7.0f}")
    return "\n".join(lines)


def flatness(rows: Sequence[dict[str, float]], settled_s: float, end_s: float) -> list[str]:
    """Problems, empty when memory and open files stayed flat: the median of the last minute
    against the median of the first minute after the ramp, summed over the instances."""
    totals: dict[float, dict[str, float]] = defaultdict(lambda: {"rss_mb": 0.0, "open_files": 0.0})
    for row in rows:
        for key in ("rss_mb", "open_files"):
            totals[row["elapsed_s"]][key] += row[key]
    first = [v for t, v in totals.items() if settled_s <= t < settled_s + 60]
    last = [v for t, v in totals.items() if end_s - 60 <= t <= end_s]
    if not first or not last or settled_s + 60 > end_s - 60:
        short = (
            f"the run is too short to compare a minute after the ramp ({settled_s:.0f} s) "
            f"with the last minute (ends at {end_s:.0f} s)"
        )
        print(f"soak: {short}")
        return [short]
    problems = []
    for key, unit in (("rss_mb", "MB of memory"), ("open_files", "open files")):
        before = statistics.median(v[key] for v in first)
        after = statistics.median(v[key] for v in last)
        flat = after <= before * FLAT_RATIO + FLAT_SLACK[key]
        print(
            f"soak: {unit}: {before:.0f} in the first minute after the ramp, {after:.0f} in "
            f"the last minute: {'flat' if flat else 'GREW'}"
        )
        if not flat:
            problems.append(f"{unit} grew from {before:.0f} to {after:.0f}")
    return problems


def witnesses(folder: Path) -> list[Witness]:
    acks: dict[tuple[str, str], list[Ack]] = defaultdict(list)
    for path in folder.glob("acks-*.jsonl"):
        for line in path.read_text().splitlines():
            ack = json.loads(line)
            person = acks[(ack["user_id"], ack["email"])]
            if "client_msg_id" in ack:  # else: the person signed up
                person.append(Ack.parse(ack, at=0.0))
    return [Witness(name=email, user_id=uid, acks=a) for (uid, email), a in acks.items()]


def check_database(database_url: str, folder: Path) -> list[str]:
    people = witnesses(folder)
    findings = asyncio.run(check_nothing_lost(database_url, people, settle_timeout=60))
    acked = sum(len(p.acks) for p in people)
    print(
        f"database: {acked} acked questions of {len(people)} people checked in PostgreSQL: "
        + ("nothing lost, every run ended exactly once" if not findings else "PROBLEMS")
    )
    for finding in findings[:20]:
        print(f"  - {finding}")
    if len(findings) > 20:
        print(f"  ... and {len(findings) - 20} more")
    return findings


# --- the run -------------------------------------------------------------------------------------
def run_locust(run: Run, urls: Sequence[str]) -> None:
    args = run.args
    commands = locust_commands(run, urls, args.master_port or free_port())
    logs = [(run.folder / f"worker-{n}.log").open("w") for n in range(args.workers)]
    workers: list[subprocess.Popen[bytes]] = []
    master = subprocess.Popen(commands[0], cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL)
    try:
        for command, log in zip(commands[1:], logs, strict=True):
            workers.append(
                subprocess.Popen(
                    command,
                    cwd=PROJECT_ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
        bound = 120 + parse_timespan(args.run_time) + args.stop_timeout + 120
        try:
            master.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            print(f"load: the Locust master still runs after {bound:.0f} s: stopping it")
    finally:
        stop_spawned(master, timeout=30)
        for worker in workers:  # they quit with the master; this is for an early failure
            stop_spawned(worker, timeout=10)
        for log in logs:
            log.close()


def main(argv: list[str] | None = None) -> int:
    # Capacity figures come from the process a deployment runs (`python -m service`), not from
    # instances forked from the suite's warmed fork server (harness/forked.py).
    os.environ.setdefault(FORKSERVER_SWITCH, "0")
    parser = argparse.ArgumentParser(prog="golden-path-load", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s", help="whole run, ramp included (90s, 5m)")
    parser.add_argument("--workers", type=int, default=2, help="local Locust workers")
    parser.add_argument(
        "--remote-workers",
        type=int,
        default=0,
        help="workers started on other machines (the master waits for them)",
    )
    parser.add_argument(
        "--bind-host",
        default="127.0.0.1",
        help="the master's address for workers (0.0.0.0 for remote ones)",
    )
    parser.add_argument(
        "--master-port", type=int, default=0, help="the master's port (default: a free one)"
    )
    parser.add_argument(
        "--host",
        default="",
        help="service URL(s), comma-separated; default: start the embedded stack",
    )
    parser.add_argument("--instances", type=int, default=1, help="embedded service instances")
    parser.add_argument(
        "--stop-timeout",
        type=float,
        default=120,
        help="seconds questions still open at the end may take to finish",
    )
    parser.add_argument("--soak", action="store_true", help="sample memory and open files")
    parser.add_argument("--reports", type=Path, default=Path("reports/load"))
    parser.add_argument("locust_args", nargs="*", help="after --: options of load/locustfile.py")
    args = parser.parse_args(argv)
    args.check_database = not args.host
    parse_timespan(args.run_time)
    run = Run(args, PROJECT_ROOT / args.reports)
    shutil.rmtree(run.folder, ignore_errors=True)
    run.acks.mkdir(parents=True)

    stack: subprocess.Popen[str] | None = None
    sampler: Sampler | None = None
    problems: list[str] = []
    described: dict[str, Any] = {}
    began = time.monotonic()
    with (run.folder / "stack.log").open("w") as stack_log:
        try:
            if args.host:
                urls = args.host.split(",")
            else:
                stack_args = [
                    "--instances",
                    str(args.instances),
                    "--log-dir",
                    str(run.folder / "logs"),
                ]
                try:
                    stack, described = spawn(stack_args, stack_log)
                except StartError as exc:
                    raise SystemExit(f"load: {exc}") from None
                urls = described["service_urls"]
                print(f"load: stack ready, {len(urls)} instance(s): {', '.join(urls)}")
            if args.soak:
                pids = described.get("pids", {}).get("service") or []
                if not pids:
                    raise SystemExit("load: --soak samples the service processes: no --host")
                sampler = Sampler(pids, run.folder / "service-resources.csv")
                sampler.start()
            locust_began = time.monotonic()
            run_locust(run, urls)
            if sampler is not None:
                sampler.halt.set()
                sampler.join()
                ramp = args.users / args.spawn_rate
                settled = locust_began - sampler.began + ramp + 30
                end = locust_began - sampler.began + parse_timespan(args.run_time)
                problems += flatness(sampler.rows, settled, end)
            if args.check_database:
                problems += check_database(described["database_url"], run.acks)
        except KeyboardInterrupt:
            print("load: interrupted; stopping everything")
            return 130
        finally:
            if sampler is not None:
                sampler.halt.set()
            if stack is not None:
                stop_spawned(stack)
    if not run.stats_csv.exists():
        print(f"load: Locust wrote no {run.stats_csv}: see the output above")
        return 1
    rows = read_stats(run.stats_csv)
    fates = {r["Name"]: int(r["Request Count"]) for r in rows if r["Type"] == "fate"}
    busy = sum(int(r["Request Count"]) for r in rows if r["Type"] == "busy")
    failing = [r for r in rows if r["Type"] in FAILING_TYPES]
    print("\n" + summary(rows) + "\n\nHow every question ended:\n" + fate_table(fates, busy))
    for row in failing:
        print(f"{row['Type']}: {row['Name']} x{row['Request Count']}")
    print(
        f"\nreports: {run.folder}/locust.html, {run.csv_prefix}_*.csv "
        f"({time.monotonic() - began:.0f} s in all)"
    )
    if not run.verdict.exists():
        print(f"load: FAILED: the Locust master judged nothing (no {run.verdict})")
        return 1
    verdict = Verdict.read(run.verdict)
    print("\n" + verdict.table() + "\n" + verdict.summary)
    if problems:
        print(f"load: {len(problems)} problem(s) found after the run: see above")
    ok = verdict.kept and not problems
    print("load: " + ("every promise kept" if ok else "FAILED: see above"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
