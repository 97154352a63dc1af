"""tools/gherkin_check.py on small feature folders written here, with real step definitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import gherkin_check

GOOD = """\
@allure.label.epic:Shopping
Feature: Pay for a basket
  In order to get what I chose
  As a customer of the shop
  I want to pay for my basket in one go

  Business value:
    Paying is where the shop earns its money; a failed payment is a lost sale.

  @critical
  Scenario: Alice pays for her basket
    Given Alice has a basket with 2 books
    When Alice pays for her basket
    Then Alice is told the payment went through
"""

STEPS = """\
from behave import given, then, when


@given("{name} has a basket with {count:d} books")
def basket(ctx, name, count):
    pass


@when("{name} pays for her basket")
@when("{name} pays for his basket")
def pay(ctx, name):
    pass


@then("{name} is told the payment went through")
def told(ctx, name):
    pass
"""


def project(tmp_path: Path, feature: str, *, steps: str = STEPS, readme: bool = True) -> Path:
    folder = tmp_path / "features" / "shopping"
    folder.mkdir(parents=True)
    (folder / "pay.feature").write_text(feature)
    if readme:
        (folder / "README.md").write_text("# Shopping\n\nPaying for what you chose.\n")
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "shop.py").write_text(steps)
    return tmp_path


def problems(root: Path, *, steps: bool = False) -> list[str]:
    """Problems as printed: file:line relative to the project (the current folder)."""
    assert Path.cwd() == root
    return [str(p) for p in gherkin_check.run([Path("features")], steps=steps, root=root)]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # problems name files relative to the current folder


@pytest.mark.stack
def test_a_good_feature_passes_every_check(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD)
    assert problems(root, steps=True) == []
    assert gherkin_check.main(["features"]) == 0


def test_a_feature_without_a_business_value_paragraph_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    without = GOOD.replace(
        "  Business value:\n    Paying is where the shop earns its money; a failed payment is a "
        "lost sale.\n",
        "",
    )
    assert "Business value" not in without
    project(tmp_path, without)
    assert gherkin_check.main(["features", "--no-steps"]) == 1
    out = capsys.readouterr().out
    assert "features/shopping/pay.feature:2: " in out  # file:line of the Feature
    assert "has no `Business value:` paragraph" in out
    assert out.strip().endswith("1 problem(s)")


def test_a_business_value_heading_without_text_fails(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        GOOD.replace(
            "    Paying is where the shop earns its money; a failed payment is a lost sale.\n", ""
        ),
    )
    assert any("`Business value:` has no text" in p for p in problems(root))


def test_a_feature_without_its_narrative_fails(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD.replace("  As a customer of the shop\n", ""))
    found = problems(root)
    assert len(found) == 1
    assert "does not open with its narrative" in found[0]
    assert "`As a <role> ...`" in found[0]


def test_two_whens_in_one_scenario_fail_with_both_lines(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        GOOD.replace(
            "    Then Alice is told", "    And Alice pays for her basket\n    Then Alice is told"
        ),
    )
    assert problems(root) == [
        'features/shopping/pay.feature:11: scenario "Alice pays for her basket" has 2 `When` '
        "steps (lines 13, 14): one behaviour per scenario; move the earlier actions into `Given`"
    ]


def test_transport_words_in_steps_fail(tmp_path: Path) -> None:
    root = project(
        tmp_path, GOOD.replace("Alice pays for her basket\n", "Alice sends the JSON payload\n")
    )
    found = [p for p in problems(root) if "uses" in p]
    assert len(found) == 1
    assert found[0].startswith("features/shopping/pay.feature:13: ")
    assert "'JSON', 'payload'" in found[0]


def test_unknown_tags_and_an_epic_naming_another_folder_fail(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        GOOD.replace("@allure.label.epic:Shopping", "@allure.label.epic:Billing").replace(
            "@critical", "@critcal"
        ),
    )
    found = problems(root)
    assert any(
        p.startswith("features/shopping/pay.feature:10: unknown tag @critcal") for p in found
    )
    assert any("@allure.label.epic:Billing does not match" in p for p in found)


def test_a_folder_without_readme_fails(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD, readme=False)
    assert problems(root) == [
        "features/shopping/pay.feature:1: features/shopping/ has no README.md (what this "
        "capability covers and why it matters, for product owners)"
    ]


@pytest.mark.stack
def test_undefined_steps_and_unused_step_definitions_fail(tmp_path: Path) -> None:
    unused = STEPS + '\n\n@then("{name} gets a receipt")\ndef receipt(ctx, name):\n    pass\n'
    root = project(
        tmp_path,
        GOOD.replace("Then Alice is told the payment went through", "Then Alice hears a bell"),
        steps=unused,
    )
    found = problems(root, steps=True)
    assert 'features/shopping/pay.feature:14: step "Then Alice hears a bell" has no step ' in (
        "\n".join(found)
    )
    assert any(
        p.startswith("steps/shop.py:15: step definition @then('{name} is told") for p in found
    )
    assert any(
        p.startswith("steps/shop.py:20: step definition @then('{name} gets a receipt')")
        for p in found
    )
    # The he/she variant of a used step is not "unused": it shares the function.
    assert not any("pays for his basket" in p for p in found)


def test_a_quarantined_scenario_must_name_its_issue(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD.replace("@critical", "@quarantine"))
    assert problems(root) == [
        'features/shopping/pay.feature:11: scenario "Alice pays for her basket" is '
        "@quarantine without an @allure.issue:N tag: name the issue that makes it reliable again"
    ]
    (root / "features" / "shopping" / "pay.feature").write_text(
        GOOD.replace("@critical", "@quarantine @allure.issue:42")
    )
    assert problems(root) == []
