"""The capability overview for product owners: each capability (a folder of features/), what it
covers (its README), its scenarios, their severity and their last result.

    python -m tools.capabilities [--features features] [--results reports/allure-results]
                                 [--history reports/history.jsonl] [--out reports]

Writes capabilities.md, capabilities.html (one page, no scripts: the Jinja2 template
tools/templates/capabilities.html, every value escaped) and capabilities.csv (the same
table; Allure shows a CSV as a table even when the report is opened from disk). `make report`
runs it before Allure, which attaches the page and the table to the report (allurerc.mjs,
globalAttachments). The last result of a scenario comes from the last run, or, for a scenario
that run left out, from the newest run in the report history that has it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from tools.features import FeatureFile, load_all
from tools.vocabulary import SEVERITY_TAGS, severity

STATUS_ORDER = ("failed", "broken", "skipped", "unknown", "passed")
MARK = {"passed": "✅", "failed": "❌", "broken": "⚠️", "skipped": "⏭️", "not run": "·"}


@dataclass(frozen=True)
class Outcome:
    status: str  # passed, failed, broken, skipped, or "not run"
    detail: str  # e.g. "3 passed, 1 skipped", "on 2026-11-20"


@dataclass(frozen=True)
class ScenarioRow:
    name: str
    line: int
    severity: str
    examples: int
    outcome: Outcome


@dataclass(frozen=True)
class FeatureRow:
    name: str
    path: Path
    scenarios: list[ScenarioRow]


@dataclass(frozen=True)
class Capability:
    folder: str
    title: str
    summary: str
    features: list[FeatureRow]

    @property
    def scenarios(self) -> list[ScenarioRow]:
        return [s for f in self.features for s in f.scenarios]


def _key(feature: str, name: str) -> tuple[str, str]:
    return feature, name.split(" -- @", 1)[0]


def _label(result: dict[str, Any], name: str) -> str:
    return next(
        (str(lb.get("value")) for lb in result.get("labels", []) if lb.get("name") == name), ""
    )


def last_run(results_dir: Path) -> dict[tuple[str, str], list[str]]:
    """Statuses of the last run by (feature, scenario); an outline has one per example row."""
    statuses: dict[tuple[str, str], list[str]] = {}
    for path in sorted(results_dir.glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        key = _key(_label(data, "feature"), str(data.get("name", "")))
        statuses.setdefault(key, []).append(str(data.get("status", "unknown")))
    return statuses


def history(history_path: Path) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """From the report history (newest run wins): (timestamp, statuses) by scenario."""
    found: dict[tuple[str, str], tuple[int, list[str]]] = {}
    if not history_path.exists():
        return found
    for raw in history_path.read_text(encoding="utf-8").splitlines():
        try:
            run = json.loads(raw)
        except ValueError:
            continue
        stamp = int(run.get("timestamp") or 0)
        per_run: dict[tuple[str, str], list[str]] = {}
        for result in (run.get("testResults") or {}).values():
            full = str(result.get("fullName", ""))
            feature, _, name = full.partition(": ")
            per_run.setdefault(_key(feature, name), []).append(str(result.get("status")))
        for key, statuses in per_run.items():
            if key not in found or stamp >= found[key][0]:
                found[key] = (stamp, statuses)
    return found


def summarize(statuses: list[str]) -> Outcome:
    counts = Counter(statuses)
    worst = min(counts, key=lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else 3)
    detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) if len(statuses) > 1 else ""
    return Outcome(worst, detail)


def outcome_of(
    keys: set[tuple[str, str]],
    run: dict[tuple[str, str], list[str]],
    past: dict[tuple[str, str], tuple[int, list[str]]],
) -> Outcome:
    """Of a scenario (an outline: of all its rows): from the last run, else the newest run in
    the history that has it."""
    now = [status for key in sorted(keys) for status in run.get(key, [])]
    if now:
        return summarize(now)
    earlier = [past[key] for key in sorted(keys) if key in past]
    if earlier:
        stamp = max(s for s, _ in earlier)
        outcome = summarize(
            [status for s, statuses in earlier if s == stamp for status in statuses]
        )
        when = datetime.fromtimestamp(stamp / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
        detail = f"{outcome.detail}; " if outcome.detail else ""
        return Outcome(outcome.status, f"{detail}in an earlier run, {when}")
    return Outcome("not run", "")


def max_severity(cases: list[Any]) -> str:
    """The most severe of an outline's rows (a tag on one Examples table counts)."""
    found = {severity(case.tags) for case in cases}
    return next(s for s in SEVERITY_TAGS if s in found)


def readme_of(folder: Path) -> tuple[str, str]:
    """Title and first paragraph of a capability's README (Markdown kept as written)."""
    readme = folder / "README.md"
    title = folder.name.replace("_", " ").capitalize()
    if not readme.exists():
        return title, ""
    paragraphs: list[list[str]] = [[]]
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            title = line[2:].strip()
        elif not line.strip():
            paragraphs.append([])
        else:
            paragraphs[-1].append(line.strip())
    first = next((" ".join(p) for p in paragraphs if p and not p[0].startswith("#")), "")
    return title, first


def capabilities(
    files: Iterable[FeatureFile],
    run: dict[tuple[str, str], list[str]],
    past: dict[tuple[str, str], tuple[int, list[str]]],
) -> list[Capability]:
    by_folder: dict[str, list[FeatureFile]] = {}
    for feature in files:
        by_folder.setdefault(feature.folder or "(no folder)", []).append(feature)
    result = []
    for folder, features in sorted(by_folder.items()):
        title, summary = readme_of(features[0].path.parent)
        rows = []
        for feature in features:
            scenarios: dict[int, list[Any]] = {}
            for case in feature.cases:
                scenarios.setdefault(case.scenario_line, []).append(case)
            rows.append(
                FeatureRow(
                    feature.name,
                    feature.path,
                    [
                        ScenarioRow(
                            name=cases[0].scenario_name,
                            line=line,
                            severity=max_severity(cases),
                            examples=len(cases) if len(cases) > 1 else 0,
                            outcome=outcome_of(
                                {_key(feature.name, case.name) for case in cases}, run, past
                            ),
                        )
                        for line, cases in sorted(scenarios.items())
                    ],
                )
            )
        result.append(Capability(folder, title, summary, rows))
    return result


def _result_text(outcome: Outcome) -> str:
    text = f"{MARK.get(outcome.status, '')} {outcome.status}".strip()
    return f"{text} ({outcome.detail})" if outcome.detail else text


def _totals(scenarios: list[ScenarioRow]) -> str:
    counts = Counter(s.outcome.status for s in scenarios)
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def markdown(caps: list[Capability], generated: str) -> str:
    out = [
        "# Capabilities",
        "",
        f"Generated {generated} from `features/` and the last run. Each capability is a folder "
        "of feature files; a scenario outline counts once (its examples in brackets).",
        "",
        "| Capability | Features | Scenarios | Critical | Last results |",
        "|---|---:|---:|---:|---|",
    ]
    for cap in caps:
        critical = sum(1 for s in cap.scenarios if s.severity in ("critical", "blocker"))
        out.append(
            f"| [{cap.title}](#{cap.folder}) | {len(cap.features)} | {len(cap.scenarios)} "
            f"| {critical} | {_totals(cap.scenarios)} |"
        )
    for cap in caps:
        out += ["", f'<a id="{cap.folder}"></a>', "", f"## {cap.title}", ""]
        if cap.summary:
            out += [cap.summary, ""]
        for feature in cap.features:
            out += [f"### {feature.name}", "", f"`{feature.path}`", ""]
            out += ["| Scenario | Severity | Last result |", "|---|---|---|"]
            for s in feature.scenarios:
                name = s.name.replace("|", "\\|") + (
                    f" ({s.examples} examples)" if s.examples else ""
                )
                out.append(f"| {name} | {s.severity} | {_result_text(s.outcome)} |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# The page is a Jinja2 template (tools/templates/capabilities.html), every value escaped.
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("tools", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
TEMPLATES.filters.update(
    totals=_totals,
    result_text=_result_text,
    critical=lambda scenarios: sum(1 for s in scenarios if s.severity in ("critical", "blocker")),
)


def page(caps: list[Capability], generated: str) -> str:
    return TEMPLATES.get_template("capabilities.html").render(caps=caps, generated=generated)


def table(caps: list[Capability]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["capability", "scenario", "severity", "last result"])
    for cap in caps:
        for feature in cap.features:
            for s in feature.scenarios:
                examples = f" ({s.examples} examples)" if s.examples else ""
                writer.writerow([cap.title, s.name + examples, s.severity, _result_text(s.outcome)])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the capability overview.")
    parser.add_argument("--features", type=Path, default=Path("features"))
    parser.add_argument("--results", type=Path, default=Path("reports/allure-results"))
    parser.add_argument("--history", type=Path, default=Path("reports/history.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    files, errors = load_all([args.features])
    for error in errors:
        print(f"capabilities: {error}", file=sys.stderr)
    caps = capabilities(files, last_run(args.results), history(args.history))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "capabilities.md").write_text(markdown(caps, generated), encoding="utf-8")
    (args.out / "capabilities.html").write_text(page(caps, generated), encoding="utf-8")
    (args.out / "capabilities.csv").write_text(table(caps), encoding="utf-8")
    scenarios = sum(len(c.scenarios) for c in caps)
    print(
        f"Capability overview: {len(caps)} capabilities, {scenarios} scenarios: "
        f"{(args.out / 'capabilities.html').resolve()}"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
