"""tools/quality_gate.py: a small feature folder, Allure results written as allure-behave would."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tools import quality_gate

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

  Scenario Outline: Bob pays with <card>
    When Bob pays with <card>
    Then Bob is told it went through

    Examples:
      | card |
      | visa |

    @fault
    Examples: Cards only our own stack can fake
      | card   |
      | broken |

  @wip
  Scenario: Not ready yet
    When Carol pays
    Then nothing
"""


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "features" / "shop").mkdir(parents=True)
    (tmp_path / "features" / "shop" / "pay.feature").write_text(FEATURE)
    (tmp_path / "behave.ini").write_text("[behave]\ndefault_tags = not @wip\n")
    (tmp_path / "results").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def result(name: str, status: str, *, severity: str = "normal", message: str = "") -> None:
    data = {
        "uuid": str(uuid.uuid4()),
        "historyId": uuid.uuid4().hex,
        "name": name,
        "status": status,
        "statusDetails": {"message": message} if message else None,
        "labels": [
            {"name": "feature", "value": "Pay for a basket"},
            {"name": "severity", "value": severity},
        ],
        "stop": 1,
    }
    Path("results", f"{data['uuid']}-result.json").write_text(json.dumps(data))


def gate(*argv: str) -> int:
    return quality_gate.main(["--results", "results", *argv])


def test_every_selected_scenario_reported_passes(capsys: pytest.CaptureFixture[str]) -> None:
    result("Alice pays", "passed", severity="critical")
    result("Bob pays with visa -- @1.1 ", "passed")
    result(
        "Bob pays with broken -- @2.1 Cards only our own stack can fake",
        "skipped",
        message="Skipped: needs control of the stack; the suite runs against a deployment",
    )
    assert gate() == 0
    out = capsys.readouterr().out
    assert "3 scenarios selected (tags: not @wip), 3 reported" in out
    assert "note: 1 skipped: needs control of the stack" in out
    assert json.loads(Path("reports/quality-gate.json").read_text())["ok"] is True


def test_a_mistyped_tag_selects_nothing_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    result("Alice pays", "passed", severity="critical")
    assert gate("--tags=@critcal") == 1
    assert "the filters select no scenario (tags: @critcal" in capsys.readouterr().out


def test_fewer_results_than_selected_scenarios_fail(capsys: pytest.CaptureFixture[str]) -> None:
    result("Alice pays", "passed", severity="critical")  # the outline's rows never ran
    assert gate() == 1
    out = capsys.readouterr().out
    assert "3 scenarios selected (tags: not @wip) but only 1 ran" in out
    assert "Pay for a basket: 1 of 3" in out


def test_a_scenario_skipped_without_a_reason_is_not_accounted_for() -> None:
    result("Alice pays", "passed", severity="critical")
    result("Bob pays with visa -- @1.1 ", "skipped")  # e.g. behave --stop after a failure
    result("Bob pays with broken -- @2.1 x", "skipped", message="Skipped: no stack")
    assert gate() == 1


def test_a_critical_failure_fails_with_file_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    result(
        "Alice pays",
        "failed",
        severity="critical",
        message="AssertionError: Alice was told $0.00",
    )
    assert gate("--tags=@critical") == 1
    out = capsys.readouterr().out
    assert "critical scenario failed: features/shop/pay.feature:10: Pay for a basket: " in out
    assert "Alice was told $0.00" in out


def test_a_normal_failure_is_left_to_behave_s_exit_code() -> None:
    result("Bob pays with visa -- @1.1 ", "failed")
    assert gate("--tags=not @critical and not @fault and not @wip") == 0


def test_tags_paths_and_lines_select_like_behave() -> None:
    selected = quality_gate.select(["--tags=@fault", "features/shop"])
    assert [c.name for c in selected.cases] == ["Bob pays with broken"]
    assert [c.line for c in quality_gate.select(["features/shop/pay.feature:10"]).cases] == [10]
    everything = quality_gate.select(["--tags=@wip or not @wip"])
    assert len(everything.cases) == 4
