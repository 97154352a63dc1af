"""The feature files as the official Gherkin parser (`gherkin-official`) reads them.

Each scenario, and each example row of a scenario outline, is one `Case` (a Gherkin "pickle"),
with the tags it inherits from its feature, rule and examples: what behave runs and counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gherkin.errors import CompositeParserException, ParserException
from gherkin.parser import Parser
from gherkin.pickles.compiler import Compiler

FEATURES_ROOT = Path("features")


class FeatureError(Exception):
    """A feature file the parser cannot read; the message starts with file:line."""


@dataclass(frozen=True)
class Step:
    keyword: str  # as written: "Given ", "And ", ...
    kind: str  # Context, Action, Outcome (a conjunction takes the kind before it)
    text: str  # with the example row's values filled in
    line: int


@dataclass(frozen=True)
class Case:
    """One scenario as behave runs it: a plain scenario or one example row of an outline."""

    path: Path
    line: int  # of the scenario, or of the example row
    scenario_line: int
    feature: str
    name: str  # with the example row's values filled in
    scenario_name: str  # as written (an outline's keeps its <placeholders>)
    tags: frozenset[str]  # without the @
    steps: tuple[Step, ...]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def folder(self) -> str:
        return folder_of(self.path)


@dataclass(frozen=True)
class FeatureFile:
    path: Path
    document: dict[str, Any]  # the Gherkin AST (gherkin-official's GherkinDocument)
    cases: tuple[Case, ...]

    @property
    def feature(self) -> dict[str, Any]:
        feature = self.document.get("feature")
        return feature if isinstance(feature, dict) else {}

    @property
    def name(self) -> str:
        return str(self.feature.get("name", ""))

    @property
    def description(self) -> str:
        return str(self.feature.get("description", ""))

    @property
    def tags(self) -> list[str]:
        return [str(tag["name"]).removeprefix("@") for tag in self.feature.get("tags", [])]

    @property
    def folder(self) -> str:
        return folder_of(self.path)


def folder_of(path: Path) -> str:
    """The capability folder of a feature file (the folder below features/), "" if none."""
    parts = path.parts
    if "features" in parts:
        below = parts[parts.index("features") + 1 : -1]
        if below:
            return below[0]
    return ""


def feature_paths(locations: Iterable[Path | str]) -> list[Path]:
    """Every .feature file under the given files or folders, sorted; file:line is cut to file."""
    found: set[Path] = set()
    for location in locations:
        path = Path(str(location).split(":", 1)[0])
        if path.is_dir():
            found.update(path.rglob("*.feature"))
        elif path.suffix == ".feature":
            found.add(path)
    return sorted(found)


def _ast_nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "id" in node and "location" in node:
            yield node
        for value in node.values():
            yield from _ast_nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _ast_nodes(item)


def load(path: Path) -> FeatureFile:
    text = path.read_text(encoding="utf-8")
    try:
        document: dict[str, Any] = dict(Parser().parse(text))
    except (CompositeParserException, ParserException) as error:
        raise FeatureError(f"{path}: {error}") from error
    document["uri"] = str(path)
    by_id = {str(node["id"]): node for node in _ast_nodes(document)}
    feature_name = str((document.get("feature") or {}).get("name", ""))
    cases = []
    for pickle in Compiler().compile(document):  # type: ignore[arg-type]
        ids = [str(i) for i in pickle["astNodeIds"]]
        scenario = by_id.get(ids[0], {})
        row = by_id.get(ids[-1], scenario) if len(ids) > 1 else scenario
        steps = []
        for pickle_step in pickle["steps"]:
            ast_step = by_id.get(str(pickle_step["astNodeIds"][0]), {})
            steps.append(
                Step(
                    keyword=str(ast_step.get("keyword", "")),
                    kind=str(pickle_step.get("type", "")),
                    text=str(pickle_step["text"]),
                    line=int(ast_step.get("location", {}).get("line", 0)),
                )
            )
        cases.append(
            Case(
                path=path,
                line=int(row.get("location", {}).get("line", 0)),
                scenario_line=int(scenario.get("location", {}).get("line", 0)),
                feature=feature_name,
                name=str(pickle["name"]),
                scenario_name=str(scenario.get("name", pickle["name"])),
                tags=frozenset(str(t["name"]).removeprefix("@") for t in pickle["tags"]),
                steps=tuple(steps),
            )
        )
    return FeatureFile(path=path, document=document, cases=tuple(cases))


def load_all(locations: Iterable[Path | str]) -> tuple[list[FeatureFile], list[str]]:
    """Every feature file under the locations, and the parse errors of those that failed."""
    files, errors = [], []
    for path in feature_paths(locations):
        try:
            files.append(load(path))
        except FeatureError as error:
            errors.append(str(error))
    return files, errors
