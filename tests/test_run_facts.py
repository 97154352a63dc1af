"""fixtures/run_facts.py: the report's environment file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

from fixtures.run_facts import (
    allure_results_dirs,
    coverage_total,
    git_commit,
    project_version,
    properties,
    stack_fact,
)


def test_properties_are_escaped_as_allure_reads_them() -> None:
    text = properties({"Service version": "0.1.0", "Target": "http://127.0.0.1:8080"})
    assert text == "Service\\ version=0.1.0\nTarget=http\\://127.0.0.1\\:8080\n"


def test_the_allure_results_folder_comes_from_behave_s_formats() -> None:
    config = SimpleNamespace(
        format=["allure_behave.formatter:AllureFormatter", "progress"],
        outfiles=["reports/allure-results", "-"],
    )
    assert [str(p) for p in allure_results_dirs(config)] == ["reports/allure-results"]
    assert allure_results_dirs(SimpleNamespace(format=None, outfiles=None)) == []


def test_version_and_commit_of_the_checkout() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", project_version())
    commit = git_commit()
    assert commit.split()[0].isalnum()


def test_the_coverage_fact_reads_the_last_measurement(tmp_path: Path) -> None:
    measured = tmp_path / "coverage.json"
    measured.write_text(
        json.dumps(
            {
                "meta": {"timestamp": "2026-11-30T10:34:56.1"},
                "totals": {"percent_covered_display": "81"},
            }
        )
    )
    assert coverage_total(measured) == "81% of lines (make pytest, 2026-11-30 10:34)"
    assert coverage_total(tmp_path / "missing.json") == "not measured (make pytest measures it)"


def test_the_stack_fact_says_whether_the_suite_runs_through_nginx() -> None:
    stack = SimpleNamespace(config=SimpleNamespace(instances=2), services=[1, 2, 3])
    assert (
        stack_fact(SimpleNamespace(stack=stack, through_balancer=True))
        == "through nginx, 2 service instances (embedded, started by the suite)"
    )
    assert (
        stack_fact(SimpleNamespace(stack=stack, through_balancer=False))
        == "embedded, started by the suite: 3 service instances"
    )
    assert stack_fact(SimpleNamespace(stack=None, through_balancer=False)).startswith(
        "a deployment"
    )
