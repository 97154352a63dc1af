"""The quality gate of a behave run: did everything that should run, run, and did the critical
scenarios pass?

    python -m tools.quality_gate [--results DIR] [BEHAVE OPTIONS AND PATHS]

Takes the same options as the behave run it judges (tags, paths, -n/-i/-e; the others are
ignored) and reads behave.ini the way behave does. It counts, with the official Gherkin parser,
the scenarios (each example row of an outline is one) the run should have run, and compares them
with the Allure results the run wrote. It fails (exit 1) when:
- the filters select no scenario at all (a mistyped tag: behave itself would exit 0);
- fewer scenarios were reported than selected (a crash, an aborted run, a lost worker), or some
  were skipped without a stated reason;
- a @critical scenario failed or broke;
- a @critical scenario was skipped because a tool is missing (Chromium, nginx), unless
  $ALLOW_SKIPS allows it (tools/skip_rule.py).
A scenario a hook skipped with a reason (e.g. @fault against a deployment) counts as accounted for.
It also writes reports/quality-gate.json, which allurerc.mjs shows in the report's Quality Gates.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from behave.configuration import Configuration

from tools import skip_rule
from tools.features import Case, load_all
from tools.vocabulary import severity

SUMMARY_FILE = Path("reports/quality-gate.json")
SKIP_PREFIX = "Skipped: "  # fixtures/allure_labels.py writes a skip reason so
MAX_LISTED = 10


@dataclass(frozen=True)
class Selection:
    """What a behave command line selects."""

    tags: str
    locations: list[str]
    cases: list[Case]
    parse_errors: list[str]
    results_dirs: list[Path]


@dataclass(frozen=True)
class Result:
    name: str
    feature: str
    status: str
    severity: str
    message: str

    @property
    def skipped_with_reason(self) -> bool:
        return self.status == "skipped" and self.message.startswith(SKIP_PREFIX)


@dataclass
class Verdict:
    expected: int
    reported: int
    statuses: Counter[str]
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _line_filter(locations: list[str]) -> dict[Path, set[int]]:
    """behave's FILE:LINE arguments: only those scenarios of that file."""
    lines: dict[Path, set[int]] = {}
    for location in locations:
        path, _, line = location.partition(":")
        if line.isdigit():
            lines.setdefault(Path(path), set()).add(int(line))
    return lines


def select(argv: list[str]) -> Selection:
    # types-behave leaves Configuration untyped and without its run-time attributes.
    config: Any = cast(Any, Configuration)(command_args=argv, load_config=True)
    locations = [str(p) for p in (config.paths or ["features"])]
    files, errors = load_all(locations)
    by_line = _line_filter(locations)
    cases = []
    for feature in files:
        if config.exclude(str(feature.path)):
            continue
        for case in feature.cases:
            wanted_lines = by_line.get(feature.path)
            if wanted_lines and not {case.line, case.scenario_line} & wanted_lines:
                continue
            if not config.tag_expression.check(case.tags):
                continue
            if config.name and not config.name_re.search(case.name):
                continue
            cases.append(case)
    formats = list(config.format or [])
    outfiles = list(config.outfiles or [])
    results_dirs = [Path(o) for f, o in zip(formats, outfiles, strict=False) if "allure" in f]
    given = list(config.tags or [])
    tags = " and ".join(f"({t})" if len(given) > 1 else str(t) for t in given)
    return Selection(tags or "(none)", locations, cases, errors, results_dirs)


def _label(result: dict[str, Any], name: str) -> str:
    return next(
        (str(lb.get("value")) for lb in result.get("labels", []) if lb.get("name") == name), ""
    )


def read_results(results_dirs: list[Path]) -> list[Result]:
    """The scenarios in the Allure results; a scenario retried keeps its latest result."""
    latest: dict[str, tuple[int, Result]] = {}
    for folder in results_dirs:
        for path in folder.glob("*-result.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            key = str(data.get("historyId") or data.get("uuid") or path.name)
            result = Result(
                name=str(data.get("name", "")),
                feature=_label(data, "feature"),
                status=str(data.get("status", "unknown")),
                severity=_label(data, "severity") or "normal",
                message=str((data.get("statusDetails") or {}).get("message") or "").strip(),
            )
            stop = int(data.get("stop") or 0)
            if key not in latest or stop >= latest[key][0]:
                latest[key] = (stop, result)
    return [result for _, result in latest.values()]


def _where(result: Result, cases: list[Case]) -> str:
    base = result.name.split(" -- @", 1)[0]
    case = next((c for c in cases if c.feature == result.feature and c.name == base), None)
    return f"{case.where}: " if case else ""


def judge(selection: Selection, results: list[Result]) -> Verdict:
    cases = selection.cases
    statuses = Counter(r.status for r in results)
    verdict = Verdict(expected=len(cases), reported=len(results), statuses=statuses)
    for error in selection.parse_errors:
        verdict.failures.append(f"a feature file cannot be read: {error}")
    if not cases:
        verdict.failures.append(
            f"the filters select no scenario (tags: {selection.tags}; paths: "
            f"{' '.join(selection.locations)}): a mistyped tag? Nothing was tested."
        )
        return verdict
    accounted = [r for r in results if r.status != "skipped" or r.skipped_with_reason]
    if len(accounted) < len(cases):
        expected_by_feature = Counter(c.feature for c in cases)
        seen_by_feature = Counter(r.feature for r in accounted)
        short = [
            f"{feature}: {seen_by_feature.get(feature, 0)} of {count}"
            for feature, count in sorted(expected_by_feature.items())
            if seen_by_feature.get(feature, 0) < count
        ]
        verdict.failures.append(
            f"{len(cases)} scenarios selected (tags: {selection.tags}) but only "
            f"{len(accounted)} ran or were skipped with a reason; short: "
            + "; ".join(short[:MAX_LISTED])
        )
    critical = [
        r
        for r in results
        if r.status in ("failed", "broken") and r.severity in ("critical", "blocker")
    ]
    for result in critical[:MAX_LISTED]:
        first = result.message.splitlines()[0] if result.message else result.status
        verdict.failures.append(
            f"critical scenario {result.status}: {_where(result, cases)}{result.feature}: "
            f"{result.name} ({first[:160]})"
        )
    if len(critical) > MAX_LISTED:
        verdict.failures.append(f"... and {len(critical) - MAX_LISTED} more critical failures")
    # A @critical scenario never passes by skipping for want of a tool (unless $ALLOW_SKIPS).
    verdict.failures.extend(skip_rule.failures(results, lambda r: _where(r, cases)))
    reasons = Counter(r.message.removeprefix(SKIP_PREFIX) for r in results if r.skipped_with_reason)
    for reason, count in reasons.items():
        verdict.notes.append(f"{count} skipped: {reason}")
    return verdict


def write_summary(verdict: Verdict, selection: Selection, path: Path = SUMMARY_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "tags": selection.tags,
        "expected": verdict.expected,
        "reported": verdict.reported,
        "statuses": dict(verdict.statuses),
        "critical": sum(1 for c in selection.cases if severity(c.tags) in ("critical", "blocker")),
        "ok": verdict.ok,
        "failures": verdict.failures,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # --results DIR (ours, not behave's): read these Allure results instead of behave.ini's.
    results_dirs: list[Path] = []
    while "--results" in argv:
        at = argv.index("--results")
        results_dirs.append(Path(argv[at + 1]))
        argv = argv[:at] + argv[at + 2 :]
    selection = select(argv)
    results = read_results(results_dirs or selection.results_dirs)
    verdict = judge(selection, results)
    write_summary(verdict, selection)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(verdict.statuses.items())) or "nothing"
    print(
        f"quality gate: {verdict.expected} scenarios selected (tags: {selection.tags}), "
        f"{verdict.reported} reported: {counts}"
    )
    for note in verdict.notes:
        print(f"quality gate: note: {note}")
    for failure in verdict.failures:
        print(f"quality gate: FAILED: {failure}")
    print(f"quality gate: {'passed' if verdict.ok else 'FAILED'}", flush=True)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
