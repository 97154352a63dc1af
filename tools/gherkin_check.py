"""Keep the feature files readable by product owners (run by `make lint`).

    python -m tools.gherkin_check [--no-steps] [FEATURES_DIR ...]     (default: features)

Checks, with the official Gherkin parser (gherkin-official), each problem printed as file:line:
- every feature lives in a capability folder (features/<folder>/) that has a README.md;
- every feature opens with its narrative (`In order to` / `As a` / `I want`) and has a
  `Business value:` paragraph;
- every tag is in the vocabulary (tools/vocabulary.py); an `@allure.label.epic:` tag names the
  feature's folder (the folder is the epic: fixtures/allure_labels.py);
- every scenario has exactly one `When` (one behaviour), a Background at most four steps and no
  `When`;
- no step uses a transport word (WebSocket, JSON, token, Redis, HTTP, SQL, ...);
- no step is undefined and no step definition is unused (`behave --dry-run -f steps.usage`).
Exits 1 if anything is wrong.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.features import Case, FeatureFile, load_all
from tools.vocabulary import ISSUE_TAG, QUARANTINE, tag_problem, transport_words

# The narrative's three lines: what each must start with (any case), and how to show it.
NARRATIVE = (
    (("in order to ", "in order that "), "In order to ..."),
    (("as ",), "As a <role> ..."),
    (("i want ", "i want,"), "I want ..."),
)
BUSINESS_VALUE = "business value:"
MAX_BACKGROUND_STEPS = 4
EPIC_TAG = "allure.label.epic:"
USAGE_LINE = re.compile(r"^\s*(?P<text>.+?)\s+# (?P<where>\S+:\d+)\s*$")


@dataclass(frozen=True, order=True)
class Problem:
    where: str  # file:line
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _line(node: dict[str, Any]) -> int:
    return int(node.get("location", {}).get("line", 0))


def check_narrative(feature: FeatureFile) -> list[Problem]:
    where = f"{feature.path}:{_line(feature.feature)}"
    lines = [line.strip() for line in feature.description.splitlines() if line.strip()]
    problems = []
    opening = [line.lower() for line in lines[: len(NARRATIVE)]]
    for index, (starts, shown) in enumerate(NARRATIVE):
        if index >= len(opening) or not opening[index].startswith(starts):
            problems.append(
                Problem(
                    where,
                    f'feature "{feature.name}" does not open with its narrative: '
                    f"line {index + 1} of its description must read `{shown}` "
                    "(In order to / As a / I want)",
                )
            )
            break
    value_at = next(
        (i for i, line in enumerate(lines) if line.lower().startswith(BUSINESS_VALUE)), None
    )
    if value_at is None:
        problems.append(
            Problem(
                where,
                f'feature "{feature.name}" has no `Business value:` paragraph '
                "(who gains, what goal, what impact: the report shows it to product owners)",
            )
        )
    else:
        after = lines[value_at][len(BUSINESS_VALUE) :].strip()
        following = lines[value_at + 1 :]
        if not after and not following:
            problems.append(
                Problem(where, f'feature "{feature.name}": `Business value:` has no text after it')
            )
    return problems


def _tag_nodes(node: Any) -> Iterable[dict[str, Any]]:
    """Every tag in the AST (feature, rule, scenario, examples), with its location."""
    if isinstance(node, dict):
        for tag in node.get("tags", []) or []:
            if isinstance(tag, dict):
                yield tag
        for key, value in node.items():
            if key != "tags":
                yield from _tag_nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _tag_nodes(item)


def check_tags(feature: FeatureFile) -> list[Problem]:
    problems = []
    for tag in _tag_nodes(feature.feature):
        name = str(tag.get("name", ""))
        where = f"{feature.path}:{_line(tag)}"
        problem = tag_problem(name)
        if problem:
            problems.append(Problem(where, problem))
        bare = name.removeprefix("@")
        if bare.startswith(EPIC_TAG):
            epic = bare[len(EPIC_TAG) :]
            if feature.folder and _normal(epic) != _normal(feature.folder):
                problems.append(
                    Problem(
                        where,
                        f"{name} does not match the feature's folder {feature.folder}/ "
                        "(the folder is the epic; fix the tag or move the file)",
                    )
                )
    return problems


def check_folder(feature: FeatureFile) -> list[Problem]:
    where = f"{feature.path}:1"
    if not feature.folder:
        return [Problem(where, "a feature file belongs in a capability folder: features/<folder>/")]
    readme = feature.path.parent / "README.md"
    if feature.path.parent.name == feature.folder and not readme.exists():
        return [
            Problem(
                where,
                f"{feature.path.parent}/ has no README.md (what this capability covers and why "
                "it matters, for product owners)",
            )
        ]
    return []


def check_scenarios(feature: FeatureFile) -> list[Problem]:
    problems = []
    seen: set[int] = set()
    for case in feature.cases:
        if case.scenario_line in seen:
            continue  # an outline's rows share its steps: report it once
        seen.add(case.scenario_line)
        problems += _one_when(case)
    for child in feature.feature.get("children", []):
        containers = [child] + [c for c in child.get("rule", {}).get("children", [])]
        for item in containers:
            background = item.get("background")
            if not background:
                continue
            steps = background.get("steps", [])
            where = f"{feature.path}:{_line(background)}"
            if len(steps) > MAX_BACKGROUND_STEPS:
                problems.append(
                    Problem(
                        where,
                        f"the Background has {len(steps)} steps; at most "
                        f"{MAX_BACKGROUND_STEPS} (move the rest into the scenarios)",
                    )
                )
            actions = [s for s in steps if s.get("keywordType") == "Action"]
            if actions:
                problems.append(
                    Problem(where, "the Background has a `When`: the action belongs in a scenario")
                )
    return problems


def _one_when(case: Case) -> list[Problem]:
    actions = [step for step in case.steps if step.kind == "Action"]
    where = f"{case.path}:{case.scenario_line}"
    if len(actions) == 1:
        return []
    if not actions:
        return [Problem(where, f'scenario "{case.name}" has no `When`: say what someone does')]
    lines = ", ".join(str(step.line) for step in actions)
    return [
        Problem(
            where,
            f'scenario "{case.name}" has {len(actions)} `When` steps (lines {lines}): '
            "one behaviour per scenario; move the earlier actions into `Given`",
        )
    ]


def check_words(feature: FeatureFile) -> list[Problem]:
    problems: set[Problem] = set()
    for case in feature.cases:
        for step in case.steps:
            words = transport_words(step.text)
            if words:
                row = (
                    f" (example row at line {case.line})" if case.line != case.scenario_line else ""
                )
                problems.add(
                    Problem(
                        f"{case.path}:{step.line}",
                        f'step "{step.keyword.strip()} {step.text}" uses '
                        f"{', '.join(repr(w) for w in words)}{row}: say what the person sees "
                        "or does, not how it travels",
                    )
                )
    return sorted(problems)


def check_quarantine(feature: FeatureFile) -> list[Problem]:
    """A quarantined scenario names the issue that will fix it (at any level of its tags)."""
    problems: set[Problem] = set()
    for case in feature.cases:
        if QUARANTINE in case.tags and not any(t.startswith(ISSUE_TAG) for t in case.tags):
            problems.add(
                Problem(
                    f"{case.path}:{case.scenario_line}",
                    f'scenario "{case.scenario_name}" is @{QUARANTINE} without an '
                    f"@{ISSUE_TAG}N tag: name the issue that makes it reliable again",
                )
            )
    return sorted(problems)


def check_feature(feature: FeatureFile) -> list[Problem]:
    return (
        check_narrative(feature)
        + check_tags(feature)
        + check_scenarios(feature)
        + check_words(feature)
        + check_quarantine(feature)
    )


# --- step definitions: behave --dry-run ------------------------------------------------------
def _relative(where: str, cwd: Path, root: Path) -> str:
    path, _, line = where.rpartition(":")
    absolute = (cwd / path).resolve()
    try:
        return f"{absolute.relative_to(root.resolve())}:{line}"
    except ValueError:
        return f"{absolute}:{line}"


def parse_steps_usage(output: str, cwd: Path, root: Path) -> list[Problem]:
    """Problems from the `steps.usage` formatter's report. A step definition is unused only if
    no pattern of its function is used (stacked decorators for he/she wording are fine)."""
    used: set[str] = set()
    unused: list[tuple[str, str]] = []
    undefined: list[tuple[str, str]] = []
    section = "used"
    for raw in output.splitlines():
        if raw.startswith("UNUSED STEP DEFINITIONS"):
            section = "unused"
            continue
        if raw.startswith("UNDEFINED STEPS"):
            section = "undefined"
            continue
        match = USAGE_LINE.match(raw)
        if not match:
            continue
        text, where = match["text"], _relative(match["where"], cwd, root)
        if section == "used" and not raw.startswith(" "):
            used.add(where)  # a definition line; its uses are indented below it
        elif section == "unused":
            unused.append((where, text))
        elif section == "undefined":
            undefined.append((where, text))
    problems = [
        Problem(where, f"step definition {text} is never used: remove it or use it")
        for where, text in unused
        if where not in used
    ]
    problems += [
        Problem(where, f'step "{text}" has no step definition (add one in steps/)')
        for where, text in undefined
    ]
    return sorted(set(problems))


def check_step_definitions(features_dirs: list[Path], root: Path) -> list[Problem]:
    """`behave --dry-run` over every scenario (@wip too), from an empty folder so that neither
    behave.ini nor its Allure formatter applies; behave finds steps/ next to the features."""
    with tempfile.TemporaryDirectory(prefix="gherkin-check-") as empty:
        cwd = Path(empty)
        (cwd / "behave.ini").write_text("[behave]\n")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "behave",
                "--dry-run",
                "--no-summary",
                "--no-snippets",
                "--no-junit",
                "--tags=@wip or not @wip",
                "--format=steps.usage",
                *[str(d.resolve()) for d in features_dirs],
            ],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        problems = parse_steps_usage(result.stdout, cwd, root)
        if result.returncode != 0 and not problems:
            detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            problems.append(
                Problem(
                    str(features_dirs[0]),
                    "behave --dry-run failed: " + " | ".join(detail),
                )
            )
        return problems


def run(
    features_dirs: list[Path], *, steps: bool = True, root: Path | None = None
) -> list[Problem]:
    root = root if root is not None else Path.cwd()
    files, errors = load_all(features_dirs)
    problems = [Problem(error.split(": ", 1)[0], error.split(": ", 1)[-1]) for error in errors]
    folders_seen: set[Path] = set()
    for feature in files:
        if feature.path.parent not in folders_seen:  # a missing README once per folder
            folders_seen.add(feature.path.parent)
            problems += check_folder(feature)
        elif not feature.folder:
            problems += check_folder(feature)
        problems += check_feature(feature)
    if steps and not errors:
        problems += check_step_definitions(features_dirs, root)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("features", nargs="*", type=Path, default=[Path("features")])
    parser.add_argument(
        "--no-steps", action="store_true", help="skip the undefined/unused step check"
    )
    args = parser.parse_args(argv)
    files, _ = load_all(args.features)
    problems = run(args.features, steps=not args.no_steps)
    for problem in problems:
        print(problem)
    scenarios = sum(len(f.cases) for f in files)
    verdict = f"{len(problems)} problem(s)" if problems else "OK"
    print(f"gherkin check: {len(files)} feature files, {scenarios} scenarios: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
