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


def test_a_normal_failure_fails_on_the_pass_rate(capsys: pytest.CaptureFixture[str]) -> None:
    result("Bob pays with visa -- @1.1 ", "failed")
    assert gate("--tags=not @critical and not @fault and not @wip") == 1
    assert (
        "pass rate 0.00 % over the last 1 runs (0 of 1 results passed)" in capsys.readouterr().out
    )


def history_run(statuses: dict[str, str], *, quarantined: tuple[str, ...] = ()) -> str:
    """One line of Allure's history file (reports/history.jsonl), as Allure 3.18 writes it."""
    results = {}
    for name, status in statuses.items():
        labels = [{"name": "tag", "value": "quarantine"}] if name in quarantined else []
        key = f"{name}.d41d8cd98f00b204e9800998ecf8427e"
        results[key] = {"historyId": key, "fullName": name, "status": status, "labels": labels}
    return json.dumps({"uuid": str(uuid.uuid4()), "testResults": results}) + "\n"


def passing_run() -> None:
    result("Alice pays", "passed", severity="critical")
    result("Bob pays with visa -- @1.1 ", "passed")
    result("Bob pays with broken -- @2.1 x", "skipped", message="Skipped: no stack")


def test_the_pass_rate_over_the_kept_history_must_stay_at_99_percent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    passing_run()
    # 100 earlier runs of one scenario, two of another that failed (a defect, not a flake).
    runs = [
        history_run({"Eve pays" if i < 2 else "Carol pays": "failed" if i < 2 else "passed"})
        for i in range(100)
    ]
    Path("history.jsonl").write_text("".join(runs))
    assert gate("--history", "history.jsonl") == 1
    out = capsys.readouterr().out
    assert "pass rate 98.04 % over the last 101 runs (100 of 102 results passed)" in out
    rules = {
        r["rule"]: r for r in json.loads(Path("reports/quality-gate.json").read_text())["rules"]
    }
    assert rules["passRate"]["success"] is False
    assert rules["scenarios"]["success"] is True  # every scenario ran, none critical failed
    Path("history.jsonl").write_text("".join(runs[1:]) + history_run({"Carol pays": "passed"}))
    assert gate("--history", "history.jsonl") == 0  # one failure in 102: 99.02 %
    assert "flaky rate 0.00 %" in capsys.readouterr().out


def test_a_scenario_that_passed_and_failed_is_flaky_and_one_in_a_hundred_fails_the_gate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    passing_run()
    names = [f"Scenario {i}" for i in range(98)]
    runs = [history_run(dict.fromkeys(names, "passed")) for _ in range(300)]
    runs.append(history_run({"Scenario 0": "failed"}))
    Path("history.jsonl").write_text("".join(runs))
    assert gate("--history", "history.jsonl") == 1  # 1 of 100 scenarios flaky: 1 %
    assert "1 of 100 scenarios both passed and failed: Scenario 0" in capsys.readouterr().out


def test_quarantined_scenarios_count_in_no_rate() -> None:
    passing_run()
    flaky = {"Carol pays": "failed", "Dan pays": "passed"}
    Path("history.jsonl").write_text(history_run(flaky) + history_run({"Carol pays": "passed"}))
    assert gate("--history", "history.jsonl") == 1  # Carol both failed and passed
    quarantined = ("Carol pays",)
    Path("history.jsonl").write_text(
        history_run(flaky, quarantined=quarantined)
        + history_run({"Carol pays": "passed"}, quarantined=quarantined)
    )
    assert gate("--history", "history.jsonl") == 0
