"""tools/step_catalogue.py: on a small project written here, and on the suite's own steps as the
editor's Cucumber extension reads them (.vscode/settings.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cucumber_expressions.expression import CucumberExpression
from cucumber_expressions.parameter_type import ParameterType
from cucumber_expressions.parameter_type_registry import ParameterTypeRegistry

from tools import step_catalogue

ROOT = Path(__file__).resolve().parents[2]

FEATURE = """\
Feature: Pay for a basket
  Scenario: Alice pays for her basket
    Given Alice has a basket with 2 books:
      | title   | price |
      | Dune    | 9     |
    When Alice pays for her basket
    Then Alice is told the payment went through
"""

STEPS = '''\
from behave import given, then, when


@given("{name} has a basket with {count:d} books:")
def basket(ctx, name, count):
    """The person's basket holds the books of the table."""


@when("{name} pays for her basket")
@when("{name} pays for his basket")
def pay(ctx, name):
    """The person pays for everything in the basket at once."""


@then("{name} is told the payment went through")
def told(ctx, name):
    """The person is told the payment went through."""
'''


def project(tmp_path: Path, steps: str = STEPS) -> Path:
    (tmp_path / "features" / "shop").mkdir(parents=True)
    (tmp_path / "features" / "shop" / "pay.feature").write_text(FEATURE)
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "shop.py").write_text('"""Shopping: baskets and payments."""\n' + steps)
    return tmp_path


def check(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.chdir(root)
    status = step_catalogue.main(["--check"])
    out = capsys.readouterr().out
    assert (status == 0) == out.rstrip().endswith("OK"), out
    return out


def test_the_catalogue_lists_each_sentence_with_its_parameters_docstring_and_an_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project(tmp_path))
    assert step_catalogue.main([]) == 0
    text = (tmp_path / "docs" / "steps.md").read_text()
    assert "| [shop](#shop) | Shopping: baskets and payments. | 3 | shop |" in text
    assert "- **Given** `{name} has a basket with {count:d} books:`  " in text
    assert "  The person's basket holds the books of the table.  " in text
    assert "  *Parameters:* `name`: any words; `count`: a whole number  " in text
    assert (
        "  *Example:* `Given Alice has a basket with 2 books:` with a table (title | price)"
        " — [shop/pay.feature](../features/shop/pay.feature)"
    ) in text
    # Stacked decorators (her/his wording) are one entry: one function, one docstring.
    assert "**When** `{name} pays for her basket` · **When** `{name} pays for his basket`" in text
    assert "Dead steps" not in text
    assert check(tmp_path, monkeypatch, capsys).rstrip().endswith("OK")


def test_a_step_without_a_docstring_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    undocumented = STEPS.replace(
        '    """The person is told the payment went through."""', "    pass"
    )
    root = project(tmp_path, undocumented)
    out = check(root, monkeypatch, capsys)
    assert "steps/shop.py:16: step told has no docstring" in out, out


def test_a_docstring_of_two_lines_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = STEPS.replace("went through.", "went through.\n\n    And more.")
    out = check(project(tmp_path, steps), monkeypatch, capsys)
    assert "step told's docstring is not one line" in out, out


def test_a_step_no_feature_uses_is_reported_dead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = (
        STEPS
        + '''

@then("{name} gets a receipt by post")
def receipt(ctx, name):
    """The person gets a receipt by post."""
'''
    )
    root = project(tmp_path, steps)
    out = check(root, monkeypatch, capsys)
    assert "dead step receipt ({name} gets a receipt by post)" in out, out
    monkeypatch.chdir(root)
    step_catalogue.main([])
    assert "## Dead steps (no feature uses them)" in (root / "docs" / "steps.md").read_text()


def test_a_stale_catalogue_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project(tmp_path))
    step_catalogue.main([])
    capsys.readouterr()
    steps = tmp_path / "steps" / "shop.py"
    steps.write_text(steps.read_text().replace("at once", "in one go"))
    out = check(tmp_path, monkeypatch, capsys)
    assert "docs/steps.md is not up to date: run `make steps`" in out, out
    assert ".vscode/settings.json" not in out  # the sentences did not change


# The Cucumber extension's reading of a Python step pattern (@cucumber/language-service,
# src/language/pythonLanguage.ts: isRegExp): with one of these it is a regular expression,
# otherwise a Cucumber Expression whose `{...}` are parameter types from the settings.
EXTENSION_REGEXP = re.compile(r"^/|\?P|\(|\)|\.|\*|\\|\|")


def test_the_editor_finds_the_definition_behave_runs_for_every_feature_step() -> None:
    """Every step of every feature, matched as the Cucumber extension would with the checked-in
    .vscode/settings.json, goes to the step definition behave itself uses."""
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text())
    registry = ParameterTypeRegistry()
    for kind in settings["cucumber.parameterTypes"]:
        registry.define_parameter_type(
            ParameterType(kind["name"], kind["regexp"], str, lambda s: s, False, False)
        )
    catalogue = step_catalogue.collect(ROOT / "steps", ROOT / "features", ROOT)
    features = {p.relative_to(ROOT) for p in (ROOT / "features").rglob("*.feature")}
    assert features == {
        p.relative_to(ROOT) for g in settings["cucumber.features"] for p in ROOT.glob(g)
    }
    glue = {p.relative_to(ROOT) for g in settings["cucumber.glue"] for p in ROOT.glob(g)}
    checked = 0
    for definition in catalogue.definitions:
        assert definition.path in glue, f"{definition.where} is outside cucumber.glue"
        expressions = []
        for _, pattern in definition.patterns:
            assert not EXTENSION_REGEXP.search(pattern), (
                f"{definition.where}: the editor would read {pattern!r} as a regular expression"
            )
            expressions.append(CucumberExpression(pattern, registry))
        for use in definition.uses:
            assert any(e.match(use.text) is not None for e in expressions), (
                f"{use.path}:{use.line}: the editor does not find {definition.where} for "
                f"{use.text!r}"
            )
            checked += 1
    assert checked > 1000


def test_the_editor_recommends_the_cucumber_extension() -> None:
    extensions = json.loads((ROOT / ".vscode" / "extensions.json").read_text())
    assert "CucumberOpen.cucumber-official" in extensions["recommendations"]
