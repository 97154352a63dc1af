"""Print one closing line for CI from the JUnit XML files behave wrote.

    python tools/behave_summary.py [JUNIT_DIR]     (default: reports/junit)

Prints exactly `behave: N passed, N failed, N skipped` on stdout; errors count as failed.
Exits 1 when a scenario failed or when nothing ran (0 passed and 0 failed), so a
mistyped tag filter or a suite that never started cannot pass green.
Standard library only, so it runs even when `make setup` did not finish.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path("reports/junit")


@dataclass(frozen=True)
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.passed + other.passed,
            self.failed + other.failed,
            self.skipped + other.skipped,
        )

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.passed > 0

    def line(self) -> str:
        return f"behave: {self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def count_testcase(case: ET.Element) -> Counts:
    # behave marks an undefined step with both <failure> and <skipped>: failure wins.
    if case.find("failure") is not None or case.find("error") is not None:
        return Counts(failed=1)
    # behavex's JUnit files mark a skipped scenario with a status attribute instead.
    if case.find("skipped") is not None or case.get("status") in ("skipped", "untested"):
        return Counts(skipped=1)
    return Counts(passed=1)


def count_file(path: Path) -> Counts:
    """Counts of one JUnit file; <testsuite> and <testsuites> roots both work."""
    root = ET.parse(path).getroot()
    total = Counts()
    for case in root.iter("testcase"):
        total += count_testcase(case)
    return total


def summarize(paths: list[Path]) -> Counts:
    """Sum of all files; an unreadable file counts as one failure, never as a pass."""
    total = Counts()
    for path in paths:
        try:
            total += count_file(path)
        except ET.ParseError as error:
            print(f"behave_summary: unreadable {path}: {error}", file=sys.stderr)
            total += Counts(failed=1)
    return total


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    junit_dir = Path(argv[0]) if argv else DEFAULT_DIR
    paths = sorted(junit_dir.glob("*.xml"))
    if not paths:
        print(f"behave_summary: no JUnit XML in {junit_dir} (did behave run?)", file=sys.stderr)
    counts = summarize(paths)
    print(counts.line(), flush=True)
    return 0 if counts.ok else 1


if __name__ == "__main__":
    sys.exit(main())
