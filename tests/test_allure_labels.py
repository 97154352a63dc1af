"""fixtures/allure_labels.py in a real behave run with allure-behave's formatter: the labels,
description, links and statuses the report is built from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fixtures.allure_labels import description_of, epic_of

FEATURE = """\
@allure.label.epic:SomethingElse @allure.label.owner:team-chat
Feature: Catch up after a dropped connection
  In order to trust what I see
  As someone on a train
  I want every step I missed

  Business value:
    People stop trusting figures that skip a step.

  @allure.issue:6 @allure.label.segment:Enterprise
  Scenario: Alice catches up
    When Alice reconnects
    Then Alice sees every step

  @set_up
  Scenario Outline: Bob reconnects <how>
    When Bob reconnects <how>
    Then Bob sees every step

    Examples:
      | how     |
      | quickly |

    @critical
    Examples: The ones that matter
      | how    |
      | slowly |

  @fault
  Scenario: The stack is broken on purpose
    When Alice reconnects
    Then Alice sees every step

  @breaks_contract
  Scenario: The contract check fails after the steps
    When Alice reconnects
    Then Alice sees every step

  @loses_a_question
  Scenario: The nothing-lost check fails at the end of the scenario
    When Alice reconnects
    Then Alice sees every step

  @wip
  Scenario: Left out by the tag filter
    When Alice reconnects
    Then Alice sees every step
"""

STEPS = """\
from behave import then, when


@when("{name} reconnects")
@when("{name} reconnects {how}")
def reconnect(ctx, name, how=""):
    pass


@then("{name} sees every step")
def sees(ctx, name):
    pass
"""

ENVIRONMENT = """\
import allure
from behave.fixture import use_fixture
from fixtures import allure_labels
from fixtures.server_setup import show_setup
from fixtures.verdict import cleanup_verdicts, has_failed
allure_labels.install()


def before_all(ctx):
    use_fixture(cleanup_verdicts, ctx)


def evidence(ctx, scenario):
    yield
    verdict = "failed" if has_failed(scenario) else "passed"
    allure.attach(verdict, name="verdict", attachment_type=allure.attachment_type.TEXT)


def nothing_lost(ctx):
    yield
    raise AssertionError("After the fault, something was lost: Alice's question")


def before_scenario(ctx, scenario):
    if "fault" in scenario.effective_tags:
        scenario.skip("needs control of the stack; the suite runs against a deployment")
        return
    use_fixture(evidence, ctx, scenario)  # runs last, as the suite's evidence does
    if "set_up" in scenario.effective_tags:
        show_setup("the usual server")
        show_setup("a server where reading usage data takes a while")  # the people moved
    if "loses_a_question" in scenario.effective_tags:
        use_fixture(nothing_lost, ctx)


def after_scenario(ctx, scenario):
    if "breaks_contract" in scenario.effective_tags:
        raise AssertionError("Alice's stream broke the contract: seq 3 after seq 5")
"""


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("labels")
    (work / "features" / "agent_progress").mkdir(parents=True)
    (work / "features" / "agent_progress" / "catching_up.feature").write_text(FEATURE)
    (work / "steps").mkdir()
    (work / "steps" / "steps.py").write_text(STEPS)
    (work / "environment.py").write_text(ENVIRONMENT)
    (work / "behave.ini").write_text(
        "[behave]\nformat = allure_behave.formatter:AllureFormatter\noutfiles = results\n"
        "show_skipped = false\ndefault_tags = not @wip\n"
    )
    subprocess.run(
        [
            *(sys.executable, "-m", "behave", "-f", "plain", "-o", "/dev/null"),
            *("-f", "progress", "-o", "progress.txt", "--junit", "--junit-directory", "junit"),
            *("-D", "issue_pattern=https://tracker.example/issues/{}", "features"),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # two scenarios fail on purpose
    )
    return work


@pytest.fixture(scope="module")
def results(work: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in (work / "results").glob("*-result.json"):
        data = json.loads(path.read_text())
        found[data["name"]] = data
    return found


def labels(result: dict[str, Any], name: str) -> list[str]:
    return [lb["value"] for lb in result["labels"] if lb["name"] == name]


def test_the_folder_is_the_epic_whatever_the_tag_says(results: dict[str, dict[str, Any]]) -> None:
    assert results, "behave wrote no Allure results"
    for result in results.values():
        assert labels(result, "epic") == ["Agent progress"]
        assert labels(result, "owner") == ["team-chat"]
        assert labels(result, "feature") == ["Catch up after a dropped connection"]


def test_severity_comes_from_every_level_of_tags(results: dict[str, dict[str, Any]]) -> None:
    by_row = {name.split(" -- ")[0]: labels(r, "severity") for name, r in results.items()}
    assert by_row["Bob reconnects quickly"] == ["normal"]
    assert by_row["Bob reconnects slowly"] == ["critical"]  # a tag on the Examples
    assert labels(results["Alice catches up"], "story") == ["Alice catches up"]


def test_the_business_value_is_the_description(results: dict[str, dict[str, Any]]) -> None:
    description = results["Alice catches up"]["description"]
    assert description.startswith("In order to trust what I see  \nAs someone on a train")
    assert "**Business value:** People stop trusting figures that skip a step." in description


def test_a_segment_tag_is_a_label_the_report_groups_by(
    results: dict[str, dict[str, Any]],
) -> None:
    assert labels(results["Alice catches up"], "segment") == ["Enterprise"]
    assert labels(results["Bob reconnects quickly -- @1.1 "], "segment") == []


def test_an_issue_tag_links_to_the_issue(results: dict[str, dict[str, Any]]) -> None:
    assert results["Alice catches up"]["links"] == [
        {"type": "issue", "url": "https://tracker.example/issues/6", "name": "Issue 6"}
    ]


def test_skipped_with_a_reason_is_kept_and_excluded_is_dropped(
    results: dict[str, dict[str, Any]],
) -> None:
    skipped = results["The stack is broken on purpose"]
    assert skipped["status"] == "skipped"
    assert skipped["statusDetails"]["message"] == (
        "Skipped: needs control of the stack; the suite runs against a deployment"
    )
    assert "Left out by the tag filter" not in results


def test_a_failing_after_scenario_hook_fails_the_scenario(
    results: dict[str, dict[str, Any]],
) -> None:
    broken = results["The contract check fails after the steps"]
    assert broken["status"] == "failed"  # allure-behave alone says "passed"
    assert "broke the contract: seq 3 after seq 5" in broken["statusDetails"]["message"]


def test_a_failing_cleanup_fails_the_scenario_everywhere(
    work: Path, results: dict[str, dict[str, Any]]
) -> None:
    """The end of a scenario is fixture cleanup: a check that fails there (here the nothing-lost
    check) fails the scenario in the report, the JUnit XML and behave's own progress output, and
    the evidence attached after it knows."""
    lost = results["The nothing-lost check fails at the end of the scenario"]
    assert lost["status"] == "failed"  # allure-behave alone says "passed"
    assert "something was lost: Alice's question" in lost["statusDetails"]["message"]
    verdicts = [a for a in lost["attachments"] if a["name"] == "verdict"]
    assert [(work / "results" / a["source"]).read_text() for a in verdicts] == ["failed"]
    passed = results["Alice catches up"]
    assert [
        (work / "results" / a["source"]).read_text()
        for a in passed["attachments"]
        if a["name"] == "verdict"
    ] == ["passed"]
    junit = "".join(p.read_text() for p in (work / "junit").glob("*.xml"))
    assert 'status="cleanup_error"' in junit and "something was lost" in junit
    assert "C" in (work / "progress.txt").read_text()  # behave's own map has no mark for it


def test_the_set_up_is_a_parameter_apart_from_the_story(
    results: dict[str, dict[str, Any]],
) -> None:
    rows = {name.split(" -- ")[0]: result for name, result in results.items()}
    for how in ("quickly", "slowly"):
        parameters = {p["name"]: p for p in rows[f"Bob reconnects {how}"]["parameters"]}
        assert parameters["how"]["value"] == how  # the outline's own, kept
        setup = parameters["set-up"]
        assert setup["value"] == "a server where reading usage data takes a while"
        assert setup.get("excluded") is True  # not part of the scenario's history id
    assert not results["Alice catches up"].get("parameters")


def test_epic_and_description_helpers() -> None:
    assert epic_of("features/agent_progress/catching_up.feature") == "Agent progress"
    assert epic_of("/abs/features/security/x.feature") == "Security"
    assert epic_of("features/top_level.feature") is None
    assert description_of(["Business value:", "  Saves money."], ["Why this case."]) == (
        "**Business value:** Saves money.\n\nWhy this case."
    )
