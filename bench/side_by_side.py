"""The answer latency benchmark on two trees of the service, alternating in one run (A, B, A,
B, ...), so the machine's noise falls on both: then each figure of B as a ratio to A's.

    git archive <commit> | tar -x -C /tmp/baseline
    python bench/side_by_side.py /tmp/baseline . --pairs 2 -- --crowds 100,1000 --repeat 2

Each tree runs this checkout's bench/answer_latency.py with its own `service`, `fixtures` and
`driver` first on the path (so its own stack and service); the options after `--` go to it.
Figures are the median over the pairs of each one's p50 and p99, in seconds.

`--b-args` adds options to B's runs only: one tree, one instance against two behind the balancer
(issue 19: scale-out that pays), side by side in one run:

    python bench/side_by_side.py . . --b-args="--instances 2 --proxy" -- --crowds 1000 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent / "answer_latency.py"
WAITS = ("open", "first", "answer", "gap")


def run_once(tree: Path, bench_args: Sequence[str], out: Path) -> dict[str, dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    command = [sys.executable, "-u", str(BENCH), *bench_args, "--json", str(out)]
    print(f"== {tree}: {' '.join(command[2:])}", flush=True)
    subprocess.run(command, env=env, cwd=tree, check=True)
    figures: dict[str, dict[str, float]] = json.loads(out.read_text())
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("reports/side-by-side"))
    parser.add_argument("--b-args", default="", help="options for B's runs only (quoted)")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.bench_args = argv[split + 1 :]
    args.out.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict[str, dict[str, float]]]] = {"A": [], "B": []}
    extra = {"A": [], "B": shlex.split(args.b_args)}
    for pair in range(args.pairs):
        for label, tree in (("A", args.baseline), ("B", args.candidate)):
            out = args.out / f"{label}-{pair}.json"
            runs[label].append(run_once(tree, [*args.bench_args, *extra[label]], out))
    keys = sorted(
        {k for r in runs["A"] for k in r if k.split()[-1] in WAITS},
        key=lambda k: (int(k.split()[0]), WAITS.index(k.split()[-1])),
    )
    b_is = f"{args.candidate} {args.b_args}".strip()
    print(f"\nA = {args.baseline}, B = {b_is}; median of {args.pairs} runs each (s)")
    print(
        f"{'crowd and wait':<16} {'A p50':>7} {'B p50':>7} {'B/A':>5}   {'A p99':>7} "
        f"{'B p99':>7} {'B/A':>5}"
    )
    for key in keys:
        row = [key]
        for stat in ("p50", "p99"):
            a = statistics.median(r[key][stat] for r in runs["A"] if key in r)
            b = statistics.median(r[key][stat] for r in runs["B"] if key in r)
            row.append(f"{a:7.3f} {b:7.3f} {b / a if a else float('nan'):5.2f}")
        print(f"{row[0]:<16} {row[1]}   {row[2]}")
    for key in sorted({k for r in runs["A"] for k in r if k.endswith("per question")}):
        for what in (
            "cpu ms service",
            "cpu ms postgres",
            "cpu ms redis",
            "cpu ms nginx",
            "cpu ms client",
            "postgres transactions",
            "postgres rows_read",
        ):
            a = statistics.median(r[key].get(what, 0.0) for r in runs["A"] if key in r)
            b = statistics.median(r[key].get(what, 0.0) for r in runs["B"] if key in r)
            ratio = f"{b / a:5.2f}" if a else "  -"
            print(f"{key.split()[0]:>5} {what:<22} per question: A {a:6.2f}  B {b:6.2f}  {ratio}")
    for label in ("A", "B"):
        fates = [{k: v for k, v in r.items() if k.endswith("fates")} for r in runs[label]]
        print(f"fates {label}: {json.dumps(fates)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
