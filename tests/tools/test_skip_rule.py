"""A @critical scenario never passes by skipping: the quality gate fed Allure results in which a
critical scenario was skipped for want of a tool (tools/skip_rule.py)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tools import quality_gate
from tools.doctor import missing_tool_reason

FEATURE = """\
Feature: Chat in the browser
  In order to chat without installing anything
  As a customer
  I want a page

  Business value:
    The page is how most customers meet the product.

  @critical @ui
  Scenario: Alice asks on the page
    When Alice asks on the page
    Then Alice sees the answer

  @ui
  Scenario: Bob resizes the page
    When Bob resizes the page
    Then Bob still sees the answer
"""
DEPLOYMENT = "Skipped: needs control of the stack; the suite runs against a deployment"


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "features" / "web").mkdir(parents=True)
    (tmp_path / "features" / "web" / "page.feature").write_text(FEATURE)
    (tmp_path / "behave.ini").write_text("[behave]\ndefault_tags = not @wip\n")
    (tmp_path / "results").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALLOW_SKIPS", raising=False)


def result(name: str, status: str, severity: str, message: str = "") -> None:
    data = {
        "uuid": str(uuid.uuid4()),
        "historyId": uuid.uuid4().hex,
        "name": name,
        "status": status,
        "statusDetails": {"message": message} if message else None,
        "labels": [
            {"name": "feature", "value": "Chat in the browser"},
            {"name": "severity", "value": severity},
        ],
        "stop": 1,
    }
    Path("results", f"{data['uuid']}-result.json").write_text(json.dumps(data))


def without_chromium() -> None:
    reason = "Skipped: " + missing_tool_reason("chromium")
    result("Alice asks on the page", "skipped", "critical", reason)
    result("Bob resizes the page", "skipped", "normal", reason)


def gate() -> int:
    return quality_gate.main(["--results", "results"])


def test_a_critical_scenario_skipped_without_chromium_fails_saying_how_to_install_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    without_chromium()
    assert gate() == 1
    out = capsys.readouterr().out
    assert (
        "FAILED: 1 @critical scenario(s) skipped because chromium is missing "
        "(features/web/page.feature:10: Alice asks on the page). Install it as root: "
        "apt-get install -y --no-install-recommends chromium chromium-driver"
    ) in out
    assert "ALLOW_SKIPS=chromium (or ALLOW_SKIPS=ui, or ALLOW_SKIPS=1 for any tool)" in out


@pytest.mark.parametrize("allow", ["chromium", "ui", "@ui", "balancer, ui", "1", "all"])
def test_skipping_is_fine_when_the_person_says_so(
    allow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOW_SKIPS", allow)
    without_chromium()
    assert gate() == 0


@pytest.mark.parametrize("allow", ["nginx", "balancer", "0", "chromum"])
def test_allowing_another_tool_does_not_allow_this_one(
    allow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOW_SKIPS", allow)
    without_chromium()
    assert gate() == 1


def test_a_normal_scenario_may_skip_for_want_of_a_tool() -> None:
    result("Alice asks on the page", "passed", "critical")
    result(
        "Bob resizes the page", "skipped", "normal", "Skipped: " + missing_tool_reason("chromium")
    )
    assert gate() == 0


def test_a_critical_scenario_skipped_against_a_deployment_is_a_choice_not_a_failure() -> None:
    result("Alice asks on the page", "skipped", "critical", DEPLOYMENT)
    result("Bob resizes the page", "passed", "normal")
    assert gate() == 0
