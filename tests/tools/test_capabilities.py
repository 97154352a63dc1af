"""tools/capabilities.py: the overview from feature folders, the last run and the history."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tools import capabilities

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
      | amex |

  Scenario: Carol pays twice
    When Carol pays twice
    Then Carol is charged once
"""


def write(tmp_path: Path) -> None:
    folder = tmp_path / "features" / "paying"
    folder.mkdir(parents=True)
    (folder / "pay.feature").write_text(FEATURE)
    (folder / "README.md").write_text("# Paying\n\nWhat this proves: **money comes in**.\n")
    results = tmp_path / "results"
    results.mkdir()
    for name, status in (
        ("Alice pays", "passed"),
        ("Bob pays with visa -- @1.1 ", "passed"),
        ("Bob pays with amex -- @1.2 ", "failed"),
    ):
        labels = [{"name": "feature", "value": "Pay for a basket"}]
        data = {"name": name, "status": status, "labels": labels}
        (results / f"{abs(hash(name))}-result.json").write_text(json.dumps(data))
    earlier = {
        "timestamp": 1_700_000_000_000,
        "testResults": {
            "x": {"fullName": "Pay for a basket: Carol pays twice", "status": "passed"}
        },
    }
    (tmp_path / "history.jsonl").write_text(json.dumps(earlier) + "\n")


def test_the_overview_lists_capabilities_scenarios_severity_and_last_result(
    tmp_path: Path,
) -> None:
    write(tmp_path)
    out = tmp_path / "out"
    code = capabilities.main(
        [
            *("--features", str(tmp_path / "features"), "--results", str(tmp_path / "results")),
            *("--history", str(tmp_path / "history.jsonl"), "--out", str(out)),
        ]
    )
    assert code == 0
    markdown = (out / "capabilities.md").read_text()
    assert "| [Paying](#paying) | 1 | 3 | 1 | 1 failed, 2 passed |" in markdown
    assert "What this proves: **money comes in**." in markdown
    assert "| Alice pays | critical | ✅ passed |" in markdown
    assert (
        "| Bob pays with <card> (2 examples) | normal | ❌ failed (1 failed, 1 passed) |"
        in markdown
    )
    assert (
        "| Carol pays twice | normal | ✅ passed (in an earlier run, 2023-11-14 22:13 UTC) |"
        in (markdown)
    )
    rows = list(csv.reader((out / "capabilities.csv").open()))
    assert rows[0] == ["capability", "scenario", "severity", "last result"]
    assert ["Paying", "Alice pays", "critical", "✅ passed"] in rows
    page = (out / "capabilities.html").read_text()
    assert "<h2 id='paying'>Paying</h2>" in page
    assert "money comes in" in page and "**" not in page
    # Every value is escaped (the template's autoescape): an outline's <card> is text.
    assert "<td>Bob pays with &lt;card&gt; (2 examples)</td>" in page
    assert "<card>" not in page
