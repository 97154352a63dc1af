"""Where the last behave run's time went, from its Allure results (reports/allure-results).

    python -m tools.suite_time [RESULTS_DIR] [--top N]

Prints the run's span (first scenario start to last scenario stop), the time spent inside
scenarios and between them (hooks, fixture cleanups), then the seconds per feature, the slowest
scenarios and the steps that cost most in total (their quoted words and numbers folded, so
"Alice asks ..." and "Bob asks ..." count as one sentence). Standard library only.
docs/developing.md, "Where the suite's time goes", is written from its output.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path("reports/allure-results")
PEOPLE = r"\b(Alice|Bob|Carol|Mallory|Dave|Erin)\b"


@dataclass(frozen=True)
class Scenario:
    feature: str
    name: str
    start_ms: int
    stop_ms: int
    steps: tuple[tuple[str, float], ...]  # (sentence, seconds)

    @property
    def seconds(self) -> float:
        return (self.stop_ms - self.start_ms) / 1000


def sentence(step_name: str) -> str:
    """The step's sentence with its data folded: quoted text, numbers and people."""
    text = re.sub(r'"[^"]*"', '"…"', step_name)
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    text = re.sub(PEOPLE, "X", text)
    return re.sub(r"^(Given|When|Then|And|But) ", "", text)


def load(results: Path) -> list[Scenario]:
    scenarios = []
    for path in results.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "start" not in data or "stop" not in data:
            continue  # skipped before it began
        labels = {label["name"]: label["value"] for label in data.get("labels", [])}
        steps = tuple(
            (sentence(step["name"]), (step["stop"] - step["start"]) / 1000)
            for step in data.get("steps", [])
            if "start" in step and "stop" in step
        )
        scenarios.append(
            Scenario(labels.get("feature", "?"), data["name"], data["start"], data["stop"], steps)
        )
    return sorted(scenarios, key=lambda s: s.start_ms)


def table(rows: Iterable[tuple[str, float, int]], title: str, top: int) -> list[str]:
    lines = [f"\n{title}", f"{'seconds':>8} {'count':>5}  what"]
    ranked = sorted(rows, key=lambda row: -row[1])[:top]
    lines += [f"{seconds:8.1f} {count:5d}  {what}" for what, seconds, count in ranked]
    return lines


def report(scenarios: list[Scenario], top: int) -> str:
    if not scenarios:
        return "no scenario results"
    span = (scenarios[-1].stop_ms - scenarios[0].start_ms) / 1000
    inside = sum(s.seconds for s in scenarios)
    in_steps = sum(seconds for s in scenarios for _, seconds in s.steps)
    # Shards (tools/shards.py) overlap: then the scenario-seconds per second of the span.
    between = (
        f"{span - inside:.1f} s between them"
        if inside <= span
        else f"{inside / span:.2f} at a time (shards)"
    )
    lines = [
        f"{len(scenarios)} scenarios over {span:.1f} s: {inside:.1f} s in scenarios "
        f"({in_steps:.1f} s in steps), {between}"
    ]
    per_feature: dict[str, list[float]] = defaultdict(list)
    per_step: dict[str, list[float]] = defaultdict(list)
    for scenario in scenarios:
        per_feature[scenario.feature].append(scenario.seconds)
        for text, seconds in scenario.steps:
            per_step[text].append(seconds)
    lines += table(
        ((f, sum(t), len(t)) for f, t in per_feature.items()), "per feature", len(per_feature)
    )
    lines += table(
        ((f"{s.name} ({s.feature})", s.seconds, 1) for s in scenarios), "slowest scenarios", top
    )
    lines += table(((t, sum(d), len(d)) for t, d in per_step.items()), "steps in total", top)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.suite_time", description=__doc__)
    parser.add_argument("results", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--top", type=int, default=15, help="rows of the longest lists")
    args = parser.parse_args(argv)
    print(report(load(args.results), args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
