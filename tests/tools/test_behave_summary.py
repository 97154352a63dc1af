"""tools/behave_summary.py against small JUnit files shaped like behave 1.3's output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools.behave_summary import Counts, main, summarize

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "behave_summary.py"


def suite(*cases: str, root: str = "testsuite") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{"".join(cases)}</{root}>\n'


PASSED = '<testcase classname="f.F" name="ok" status="passed"><system-out/></testcase>'
FAILED = '<testcase name="bad" status="failed"><failure message="x"/></testcase>'
ERROR = '<testcase name="boom" status="error"><error message="hook"/></testcase>'
SKIPPED = '<testcase name="later" status="skipped"><skipped/></testcase>'
# An undefined step: behave writes both <failure> and <skipped>.
UNDEFINED = (
    '<testcase name="undef" status="skipped"><failure type="undefined"/><skipped/></testcase>'
)


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(junit_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(junit_dir)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_counts_across_files_errors_are_failures(tmp_path: Path) -> None:
    a = write(tmp_path, "TESTS-a.xml", suite(PASSED, PASSED, SKIPPED))
    b = write(tmp_path, "TESTS-b.xml", suite(FAILED, ERROR, UNDEFINED, root="testsuites"))

    assert summarize([a, b]) == Counts(passed=2, failed=3, skipped=1)


@pytest.mark.stack
def test_all_passed_exits_zero_with_one_line(tmp_path: Path) -> None:
    write(tmp_path, "TESTS-a.xml", suite(PASSED, SKIPPED))

    result = run_cli(tmp_path)

    assert result.returncode == 0
    assert result.stdout == "behave: 1 passed, 0 failed, 1 skipped\n"


@pytest.mark.stack
def test_a_failure_exits_non_zero(tmp_path: Path) -> None:
    write(tmp_path, "TESTS-a.xml", suite(PASSED, ERROR))

    result = run_cli(tmp_path)

    assert result.returncode == 1
    assert result.stdout == "behave: 1 passed, 1 failed, 0 skipped\n"


def test_nothing_ran_is_not_green(tmp_path: Path) -> None:
    write(tmp_path, "TESTS-a.xml", suite(SKIPPED, SKIPPED))

    assert main([str(tmp_path)]) == 1


@pytest.mark.stack
def test_missing_directory_prints_zero_line_and_fails(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "absent")

    assert result.returncode == 1
    assert result.stdout == "behave: 0 passed, 0 failed, 0 skipped\n"
    assert "did behave run?" in result.stderr


@pytest.mark.stack
def test_unreadable_file_counts_as_a_failure(tmp_path: Path) -> None:
    write(tmp_path, "TESTS-a.xml", suite(PASSED))
    write(tmp_path, "TESTS-b.xml", "<testsuite><testcase")

    result = run_cli(tmp_path)

    assert result.returncode == 1
    assert result.stdout == "behave: 1 passed, 1 failed, 0 skipped\n"
    assert "TESTS-b.xml" in result.stderr


def test_behavex_skipped_scenarios_count_as_skipped(tmp_path: Path) -> None:
    # behavex (make parallel) marks a skipped scenario only with status="skipped".
    skipped = '<testcase name="fault" status="skipped"><system-out/></testcase>'
    write(tmp_path, "TESTS-x.xml", suite(PASSED, skipped))
    assert summarize(sorted(tmp_path.glob("*.xml"))) == Counts(passed=1, skipped=1)
