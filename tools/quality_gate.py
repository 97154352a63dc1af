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
- over the report history Allure keeps (reports/history.jsonl, the last 20 runs) and this run,
  the pass rate is below 99 % or the flaky rate reaches 1 % (`history_rates`).
- a @critical scenario was skipped because a tool is missing (Chromium, nginx), unless
  $ALLOW_SKIPS allows it (tools/skip_rule.py).
A scenario a hook skipped with a reason (e.g. @fault against a deployment) counts as accounted for.
A @quarantine scenario (a known flaky one, with its issue) runs and is reported, but its failure
fails nothing: it counts neither as a critical failure nor in the rates.
It also writes reports/quality-gate.json: its verdicts as Allure quality gate rules, which
allurerc.mjs hands to Allure for the report's Quality Gates tab (tools/allure_report.mjs).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from behave.configuration import Configuration

from tools import skip_rule
from tools.features import Case, load_all
from tools.vocabulary import QUARANTINE, severity

SUMMARY_FILE = Path("reports/quality-gate.json")
HISTORY_FILE = Path("reports/history.jsonl")  # written by Allure (allurerc.mjs historyPath)
MIN_PASS_RATE = 99.0  # percent, the plans' "pass rate > 99 %"
MAX_FLAKY_RATE = 1.0  # percent: fails when reached, the plans' "flaky < 1 %"
COUNTED = ("passed", "failed", "broken")  # skipped and unknown say nothing of reliability
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
    full_name: str = ""
    quarantined: bool = False

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


def _quarantined(result: dict[str, Any]) -> bool:
    return any(
        lb.get("name") == "tag" and lb.get("value") == QUARANTINE for lb in result.get("labels", [])
    )


def read_results(results_dirs: list[Path]) -> list[Result]:
    """The scenarios in the Allure results; a scenario retried keeps its latest result."""
    return [result for attempts in read_attempts(results_dirs).values() for result in attempts[-1:]]


def read_attempts(results_dirs: list[Path]) -> dict[str, list[Result]]:
    """Every result of each scenario, oldest first (`make rerun` adds a second attempt)."""
    attempts: dict[str, list[tuple[int, Result]]] = {}
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
                full_name=str(data.get("fullName") or ""),
                quarantined=_quarantined(data),
            )
            attempts.setdefault(key, []).append((int(data.get("stop") or 0), result))
    return {
        key: [result for _, result in sorted(found, key=lambda pair: pair[0])]
        for key, found in attempts.items()
    }


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


def quarantine(results: list[Result]) -> list[Result]:
    """A quarantined scenario's failure is reported as `quarantined`: accounted for, never a
    critical failure."""
    return [
        replace(r, status="quarantined")
        if r.quarantined and r.status in ("failed", "broken")
        else r
        for r in results
    ]


@dataclass
class Rates:
    """Pass and flaky rates over the kept history and this run, quarantined scenarios aside."""

    runs: int
    results: int
    passed: int
    scenarios: int
    flaky: list[str]
    failures: list[str] = field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        return 100.0 * self.passed / self.results if self.results else 100.0

    @property
    def flaky_rate(self) -> float:
        return 100.0 * len(self.flaky) / self.scenarios if self.scenarios else 0.0


def _history_runs(path: Path) -> tuple[list[dict[str, list[str]]], dict[str, str]]:
    """Statuses by scenario of each run in Allure's history file, quarantine aside; and the
    scenarios' names. Allure keys a result by the historyId the suite wrote plus ".<hash of
    its parameters>"."""
    runs, names = [], {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    for raw in lines:
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        run: dict[str, list[str]] = {}
        for key, result in (entry.get("testResults") or {}).items():
            if not _quarantined(result):
                scenario = str(result.get("historyId") or key).split(".", 1)[0]
                run.setdefault(scenario, []).append(str(result.get("status")))
                names[scenario] = str(result.get("fullName") or result.get("name") or scenario)
        runs.append(run)
    return runs, names


def history_rates(
    attempts: dict[str, list[Result]],
    history: Path = HISTORY_FILE,
    *,
    min_pass_rate: float = MIN_PASS_RATE,
    max_flaky_rate: float = MAX_FLAKY_RATE,
) -> Rates:
    """The pass rate (passed of passed, failed and broken results: each run's final result of
    each scenario) and the flaky rate (scenarios that both passed and failed in the window,
    within one run through a rerun or across runs) over the history and this run."""
    past, names = _history_runs(history)
    this_run: dict[str, list[str]] = {}
    for key, tries in attempts.items():
        if not tries[-1].quarantined:
            this_run[key.split(".", 1)[0]] = [t.status for t in tries]
            names[key.split(".", 1)[0]] = tries[-1].full_name or tries[-1].name
    runs = [*past, this_run]
    results = passed = 0
    seen: dict[str, set[str]] = {}
    for run in runs:
        for scenario, statuses in run.items():
            counted = [s for s in statuses if s in COUNTED]
            if not counted:
                continue
            results += 1
            passed += counted[-1] == "passed"
            seen.setdefault(scenario, set()).update(counted)
    flaky = sorted(
        names.get(k, k) for k, s in seen.items() if "passed" in s and s & {"failed", "broken"}
    )
    rates = Rates(len(runs), results, passed, len(seen), flaky)
    if rates.pass_rate < min_pass_rate:
        rates.failures.append(
            f"pass rate {rates.pass_rate:.2f} % over the last {rates.runs} runs "
            f"({passed} of {results} results passed) is below {min_pass_rate:g} %"
        )
    if rates.flaky_rate >= max_flaky_rate:
        rates.failures.append(
            f"flaky rate {rates.flaky_rate:.2f} % over the last {rates.runs} runs "
            f"({len(flaky)} of {rates.scenarios} scenarios both passed and failed: "
            f"{'; '.join(flaky[:MAX_LISTED])}) reaches {max_flaky_rate:g} %"
        )
    return rates


def allure_rules(verdict: Verdict, rates: Rates) -> list[dict[str, Any]]:
    """The verdicts as Allure 3 quality gate results (allurerc.mjs turns each into a rule)."""
    scenarios = (
        f"{verdict.expected} scenarios selected, all accounted for, no critical failure"
        if verdict.ok
        else " | ".join(verdict.failures)
    )
    return [
        {
            "rule": "scenarios",
            "success": verdict.ok,
            "expected": "every selected scenario reported, no critical failure",
            "actual": verdict.reported,
            "message": scenarios,
        },
        {
            "rule": "passRate",
            "success": rates.pass_rate >= MIN_PASS_RATE,
            "expected": MIN_PASS_RATE,
            "actual": round(rates.pass_rate, 2),
            "message": f"pass rate {rates.pass_rate:.2f} % over {rates.runs} runs "
            f"(at least {MIN_PASS_RATE:g} %)",
        },
        {
            "rule": "flakyRate",
            "success": rates.flaky_rate < MAX_FLAKY_RATE,
            "expected": MAX_FLAKY_RATE,
            "actual": round(rates.flaky_rate, 2),
            "message": f"flaky rate {rates.flaky_rate:.2f} % over {rates.runs} runs "
            f"(below {MAX_FLAKY_RATE:g} %)"
            + (f": {'; '.join(rates.flaky[:3])}" if rates.flaky else ""),
        },
    ]


def write_summary(
    verdict: Verdict,
    selection: Selection,
    path: Path = SUMMARY_FILE,
    extra: dict[str, Any] | None = None,
) -> None:
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
    payload.update(extra or {})
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def _quarantined_line(results: list[Result]) -> str:
    quarantined = [r for r in results if r.quarantined]
    if not quarantined:
        return "none"
    counts = Counter("failed" if r.status == "quarantined" else r.status for r in quarantined)
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def _history_option(argv: list[str]) -> tuple[Path, list[str]]:
    """--history FILE (ours): the run history to judge the rates over."""
    if "--history" not in argv:
        return HISTORY_FILE, argv
    at = argv.index("--history")
    return Path(argv[at + 1]), argv[:at] + argv[at + 2 :]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # --results DIR (ours, not behave's): read these Allure results instead of behave.ini's.
    results_dirs: list[Path] = []
    while "--results" in argv:
        at = argv.index("--results")
        results_dirs.append(Path(argv[at + 1]))
        argv = argv[:at] + argv[at + 2 :]
    history, argv = _history_option(argv)
    selection = select(argv)
    attempts = read_attempts(results_dirs or selection.results_dirs)
    results = quarantine([tries[-1] for tries in attempts.values()])
    verdict = judge(selection, results)
    rates = history_rates(attempts, history)
    rules = allure_rules(verdict, rates)
    verdict.failures += rates.failures
    write_summary(verdict, selection, extra={"rules": rules})
    counts = ", ".join(f"{n} {s}" for s, n in sorted(verdict.statuses.items())) or "nothing"
    print(
        f"quality gate: {verdict.expected} scenarios selected (tags: {selection.tags}), "
        f"{verdict.reported} reported: {counts}"
    )
    for note in verdict.notes:
        print(f"quality gate: note: {note}")
    print(
        f"quality gate: over {rates.runs} runs: pass rate {rates.pass_rate:.2f} % "
        f"(at least {MIN_PASS_RATE:g}), flaky rate {rates.flaky_rate:.2f} % "
        f"(below {MAX_FLAKY_RATE:g}); quarantined: {_quarantined_line(results)}"
    )
    for failure in verdict.failures:
        print(f"quality gate: FAILED: {failure}")
    print(f"quality gate: {'passed' if verdict.ok else 'FAILED'}", flush=True)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
