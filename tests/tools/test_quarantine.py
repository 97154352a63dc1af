"""Reruns and quarantine, with real behave runs of a tiny feature in a folder of its own (the
project's behave.ini and labels, so the rerun file and the Allure results are the suite's).

A deliberately flaky scenario fails its first time and passes after. As `make rerun` does, the
scenarios listed in behave's rerun file run again, adding to the first run's results; the
quality gate judges each run, and the report is built with the project's Allure configuration.
Under @quarantine (with its issue) the scenario shows in its own report category and the gate
passes both times; without the tag the first run fails on the pass rate and the rerun on the
flaky rate.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools.report_browser import report_data

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
QUARANTINED = "Quarantined (known flaky)"
FLAKY = "Carol pays at the busy hour"

FEATURE = """\
Feature: Pay for a basket
  In order to get what I chose
  As a customer
  I want to pay

  Business value:
    Paying is where the shop earns its money.

  @critical
  Scenario: Alice pays
    When Alice pays
    Then Alice is told it went through

  Scenario: Bob pays
    When Bob pays
    Then Bob is told it went through

  TAGS
  Scenario: Carol pays at the busy hour
    When Carol pays at the busy hour
    Then Carol is told it went through
"""

STEPS = """\
from pathlib import Path

from behave import then, when


@when("{name} pays")
@when("{name} pays at the busy hour")
def pay(ctx, name):
    pass


@then("{name} is told it went through")
def told(ctx, name):
    tried = Path("tried-" + name)
    first_time = not tried.exists()
    tried.touch()
    if name == "Carol" and first_time:
        raise AssertionError("Carol was told the shop is busy: try again later")
"""


@dataclass
class Flow:
    first_run: subprocess.CompletedProcess[str]
    first_gate: subprocess.CompletedProcess[str]
    rerun_locations: list[str]
    rerun: subprocess.CompletedProcess[str]
    rerun_gate: subprocess.CompletedProcess[str]
    report: dict[str, Any]


def run(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*args], cwd=work, capture_output=True, text=True, timeout=180, check=False
    )


def flow(work: Path, tags: str) -> Flow:
    (work / "features" / "shop").mkdir(parents=True)
    (work / "features" / "shop" / "pay.feature").write_text(FEATURE.replace("TAGS", tags))
    (work / "steps").mkdir()
    (work / "steps" / "steps.py").write_text(STEPS)
    (work / "environment.py").write_text(
        "from fixtures import allure_labels\n\nallure_labels.install()\n"
    )
    shutil.copy(ROOT / "behave.ini", work / "behave.ini")
    behave = (sys.executable, "-m", "behave", "-f", "plain", "-o", "/dev/null")
    gate = (sys.executable, "-m", "tools.quality_gate")
    first_run = run(work, *behave)
    first_gate = run(work, *gate)
    # As `make rerun` reads it: every line but behave's comment.
    rerun_file = (work / "reports" / "rerun.txt").read_text()
    locations = [line for line in rerun_file.splitlines() if line and not line.startswith("#")]
    rerun = run(work, *behave, *locations)
    rerun_gate = run(work, *gate, *locations)
    assert NODE is not None
    built = run(
        work,
        *(NODE, str(ROOT / "tools" / "allure_report.mjs"), "reports/allure-results"),
        *("reports/allure-report", str(ROOT / "allurerc.mjs")),
    )
    assert built.returncode == 0, built.stderr
    return Flow(
        first_run,
        first_gate,
        locations,
        rerun,
        rerun_gate,
        report_data(work / "reports" / "allure-report"),
    )


pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(
        NODE is None or not (ROOT / "node_modules" / "@allurereport" / "core").exists(),
        reason="no Allure: `make setup` (npm ci)",
    ),
]


@pytest.fixture(scope="module")
def quarantined(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    return flow(tmp_path_factory.mktemp("quarantined"), "@quarantine @allure.issue:42")


@pytest.fixture(scope="module")
def unquarantined(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    return flow(tmp_path_factory.mktemp("unquarantined"), "")


def categories(report: dict[str, Any]) -> dict[str, list[str]]:
    """Each category of the report with the scenarios under it."""
    nodes = report["widgets/categories.json"]["nodes"]

    def scenarios(node_id: str) -> list[str]:
        node = nodes[node_id]
        if node["type"] == "tr":
            return [node["name"]]
        return [name for child in node.get("childrenIds", []) for name in scenarios(child)]

    return {
        nodes[root]["name"]: scenarios(root) for root in report["widgets/categories.json"]["roots"]
    }


def gate_rules(report: dict[str, Any]) -> dict[str, bool]:
    """The report's Quality Gates tab: success by rule."""
    return {r["rule"]: r["success"] for r in report["widgets/quality-gate.json"]["default"]}


def test_the_rerun_runs_only_what_failed(quarantined: Flow) -> None:
    assert quarantined.first_run.returncode == 1  # the flaky scenario failed the first time
    assert quarantined.rerun_locations == ["features/shop/pay.feature:19"]
    assert "1 scenario passed, 0 failed" in quarantined.rerun.stdout + quarantined.rerun.stderr


def test_a_quarantined_flaky_scenario_fails_no_gate_and_has_its_own_category(
    quarantined: Flow,
) -> None:
    assert quarantined.first_gate.returncode == 0, quarantined.first_gate.stdout
    assert "quarantined: 1 failed" in quarantined.first_gate.stdout
    assert quarantined.rerun_gate.returncode == 0, quarantined.rerun_gate.stdout
    assert categories(quarantined.report) == {QUARANTINED: [FLAKY]}
    assert gate_rules(quarantined.report) == {
        "scenarios": True,
        "passRate": True,
        "flakyRate": True,
    }


def test_without_the_tag_the_same_scenario_fails_the_gate(unquarantined: Flow) -> None:
    assert unquarantined.first_gate.returncode == 1
    assert "pass rate 66.67 % over the last 1 runs" in unquarantined.first_gate.stdout
    assert unquarantined.rerun_gate.returncode == 1
    assert (
        f"1 of 3 scenarios both passed and failed: Pay for a basket: {FLAKY}"
        in unquarantined.rerun_gate.stdout
    )
    assert QUARANTINED not in categories(unquarantined.report)
    assert gate_rules(unquarantined.report)["flakyRate"] is False
