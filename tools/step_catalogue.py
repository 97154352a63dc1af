"""The step catalogue (docs/steps.md) and the editor's step parameters (.vscode/settings.json).

    python -m tools.step_catalogue            write both (make steps)
    python -m tools.step_catalogue --check    write nothing; fail on a problem (make lint)

Both come from behave itself: its step registry loaded from steps/ (`runner_util`), the feature
files parsed by its parser, each feature step matched by the registry as a run would match it.
The catalogue lists every step definition by capability (its steps/ module): the sentence, its
parameters and their types, its docstring and one use from a feature file. `--check` fails when
a step definition has no one-line docstring, when no feature line uses it (a dead step), or when
either file is not what this program would write now (run `make steps`).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from behave.matchers import ParseMatcher
from behave.runner_util import load_step_modules, parse_features
from behave.step_registry import registry

from tools.features import feature_paths

CATALOGUE = Path("docs/steps.md")
SETTINGS = Path(".vscode/settings.json")
# Where the Cucumber extension looks (its settings `cucumber.features`, `cucumber.glue`).
EDITOR_FEATURES = ["features/**/*.feature"]
EDITOR_GLUE = ["steps/*.py"]
KEYWORDS = ("given", "when", "then", "step")
FIELD = re.compile(r"\{(?P<name>\w+)(?::(?P<type>\w+))?\}")
# parse's own formats the steps use, in words.
FORMATS = {
    "": "any words",
    "d": "a whole number",
    "g": "a number (decimals allowed)",
    "n": "a whole number, thousands separated (1,000)",
}


@dataclass
class Use:
    """A feature line that behave matches to a step definition."""

    keyword: str  # Given, When, Then (the step's type, not And/But)
    text: str  # with an outline's example values filled in
    path: Path
    line: int
    table: tuple[str, ...] | None  # the headings of the step's table, if it has one


@dataclass
class Definition:
    """One step function: the patterns of its decorators, its docstring and its uses."""

    function: Callable[..., Any]
    path: Path
    line: int
    patterns: list[tuple[str, str]] = field(default_factory=list)  # (keyword, pattern)
    uses: list[Use] = field(default_factory=list)

    @property
    def module(self) -> str:
        return self.path.stem

    @property
    def docstring(self) -> str:
        return inspect.getdoc(self.function) or ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Catalogue:
    definitions: list[Definition]
    modules: dict[str, str]  # module -> the first sentence of its docstring
    undefined: list[Use]

    def problems(self) -> list[str]:
        found = []
        for definition in self.definitions:
            text = definition.docstring
            name = definition.function.__name__
            if not text:
                found.append(
                    f"{definition.where}: step {name} has no docstring: say in one business "
                    "sentence what it does or checks"
                )
            elif "\n" in text:
                found.append(f"{definition.where}: step {name}'s docstring is not one line")
            if not definition.uses:
                sentences = " / ".join(p for _, p in definition.patterns)
                found.append(
                    f"{definition.where}: dead step {name} ({sentences}): no feature line "
                    "uses it; delete it or use it"
                )
        return found


def _original(function: Callable[..., Any]) -> Callable[..., Any]:
    """The step function as written (behave wraps async ones)."""
    return cast(Callable[..., Any], inspect.unwrap(function))


def _relative(path: str | Path, root: Path) -> Path:
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(root.resolve())
    except ValueError:
        return absolute


def _forget_steps() -> None:
    """Empty the registry that behave's decorators write to (behave.given and the others, and
    so fixtures/context.py's, are bound to this object: reset_runtime would replace it)."""
    for keyword in KEYWORDS:
        registry.steps[keyword] = []


def collect(steps_dir: Path, features_dir: Path, root: Path | None = None) -> Catalogue:
    """Load steps_dir into a fresh behave registry and match every step of features_dir."""
    root = root if root is not None else Path.cwd()
    _forget_steps()
    try:
        load_step_modules([str(steps_dir)])
        by_function: dict[Callable[..., Any], Definition] = {}
        for keyword in KEYWORDS:
            for matcher in registry.steps[keyword]:
                function = _original(matcher.func)
                code = function.__code__
                definition = by_function.setdefault(
                    function,
                    Definition(function, _relative(code.co_filename, root), code.co_firstlineno),
                )
                definition.patterns.append((keyword, matcher.pattern))
        undefined = []
        features = parse_features([str(p) for p in feature_paths([features_dir])])
        for feature in features:
            for scenario in feature.walk_scenarios(with_outlines=False):
                for step in scenario.all_steps:
                    use = Use(
                        keyword=step.step_type.capitalize(),
                        text=step.name,
                        path=_relative(step.filename, root),
                        line=step.line,
                        table=tuple(step.table.headings) if step.table else None,
                    )
                    match = registry.find_match(step)
                    if match is None:
                        undefined.append(use)
                    else:
                        by_function[_original(match.func)].uses.append(use)
    finally:
        _forget_steps()
    definitions = sorted(by_function.values(), key=lambda d: (d.module, d.line))
    for definition in definitions:
        # Decorators register bottom-up: reversed, a function's sentences read as written.
        definition.patterns.reverse()
        definition.patterns.sort(key=lambda kp: KEYWORDS.index(kp[0]))
        definition.uses.sort(key=lambda u: (str(u.path), u.line))
    modules = {}
    for path in sorted(steps_dir.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        doc = _module_docstring(path)
        paragraph = " ".join(doc.split("\n\n")[0].split())
        modules[path.stem] = re.split(r"(?<=\.)\s", paragraph)[0]  # its first sentence
    return Catalogue(definitions, modules, undefined)


def _module_docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


# --- parameters --------------------------------------------------------------------------------
def _converters() -> dict[str, Any]:
    """behave's registered parameter types (steps/_parameter_types.py), by name."""
    return dict(ParseMatcher.TYPE_REGISTRY)


def _phrases(pattern: str) -> list[str] | None:
    """The phrases of a choice type (its pattern is the phrases escaped and joined), else None."""
    parts = pattern.split("|")
    phrases = [re.sub(r"\\(.)", r"\1", part) for part in parts]
    if all(re.escape(p) == part for p, part in zip(phrases, parts, strict=True)):
        return sorted(phrases)
    return None


def describe_type(type_name: str, converters: dict[str, Any]) -> str:
    if type_name in FORMATS:
        return FORMATS[type_name]
    converter = converters.get(type_name)
    if converter is None:
        return type_name
    phrases = _phrases(str(getattr(converter, "pattern", "")))
    if phrases is not None:
        return "one of: " + " · ".join(f'"{p}"' for p in phrases)
    doc = inspect.getdoc(converter) or type_name
    return doc.splitlines()[0].strip()


def field_regex(type_name: str, converters: dict[str, Any]) -> str:
    """The text a parameter matches, as behave's parse matcher builds it."""
    converter = converters.get(type_name)
    if converter is not None:
        pattern = str(converter.pattern)
        phrases = _phrases(pattern)
        if phrases is None:
            return pattern
        # Longest first, as behave tries them; escaped for JavaScript's regular expressions too.
        ordered = sorted(phrases, key=len, reverse=True)
        return "|".join(re.sub(r"([\\^$.*+?()[\]{}|/])", r"\\\1", p) for p in ordered)
    matcher = ParseMatcher(_original, "{x" + (f":{type_name}" if type_name else "") + "}")
    return str(matcher.parser._expression).removeprefix("(?P<x>").removesuffix(")")


def parameters(patterns: Iterable[str]) -> dict[str, str]:
    """Each parameter of the patterns (name -> type name, "" for plain words), in order."""
    found: dict[str, str] = {}
    for pattern in patterns:
        for match in FIELD.finditer(pattern):
            found.setdefault(match["name"], match["type"] or "")
    return found


def editor_parameter_types(catalogue: Catalogue) -> list[dict[str, str]]:
    """Every `{field}` of the patterns as a parameter type for the Cucumber extension, which
    reads behave's patterns as Cucumber Expressions: `{name}` and `{her:Her}` are then parameter
    types it must be told about (`cucumber.parameterTypes`), with the text behave matches."""
    converters = _converters()
    types: dict[str, str] = {}
    for definition in catalogue.definitions:
        for _, pattern in definition.patterns:
            for match in FIELD.finditer(pattern):
                name = match[0][1:-1]
                types[name] = field_regex(match["type"] or "", converters)
    return [{"name": name, "regexp": types[name]} for name in sorted(types)]


# --- the catalogue -----------------------------------------------------------------------------
HEADER = """\
# Step catalogue

<!-- Written by `make steps` (tools/step_catalogue.py) from steps/ and features/: do not edit.
     `make lint` fails when it is stale, when a step has no docstring or no feature uses it. -->

Every sentence the suite understands, by capability (one `steps/` module each): the sentence as
a pattern, its parameters, what it does or checks, and one use from a feature file.

**Reuse before you write.** Search this page for the words you need (a person's action, an
outcome) and copy the example, changing only the parameters. A `{name}` is any person's name
(the cast: Alice, Bob, Carol, Mallory, ...), other `{words}` any text; a typed parameter
(`{count:d}`, `{her:Her}`) accepts what its line says. `her`/`his`, `she`/`he` are
interchangeable so a sentence reads right for every person.

**When nothing fits**, add a step to the module of its capability in `steps/` (one line over the
driver: see steps/README.md) with a one-line docstring saying in business words what it does
or checks, use it in a feature, then run `make steps` and commit docs/steps.md with it.

**In the editor**: open the repository in VS Code and install the recommended Cucumber extension
(`CucumberOpen.cucumber-official`, listed in .vscode/extensions.json). In a `.feature` file it
completes these sentences as you type, underlines a step no definition matches, and jumps to the
definition (F12). `.vscode/settings.json` tells it where the features (`cucumber.features`) and
the step definitions (`cucumber.glue`) are, and the parameters of behave's sentences
(`cucumber.parameterTypes`, written by `make steps`).
"""


def _anchor(module: str) -> str:
    # GitHub's heading anchors keep underscores (tests/project/test_docs.py checks every link).
    return module


def _in_folder(use: Use) -> bool:
    return len(use.path.parts) > 2 and use.path.parts[0] == "features"


def _use_line(use: Use) -> str:
    where = use.path.relative_to("features") if use.path.parts[0] == "features" else use.path
    table = f" with a table ({' | '.join(use.table)})" if use.table else ""
    return f"`{use.keyword} {use.text}`{table} — [{where}](../{use.path})"


def render(catalogue: Catalogue) -> str:
    converters = _converters()
    by_module: dict[str, list[Definition]] = {}
    for definition in catalogue.definitions:
        by_module.setdefault(definition.module, []).append(definition)
    patterns = sum(len(d.patterns) for d in catalogue.definitions)
    lines = [HEADER]
    lines.append(
        f"{len(catalogue.definitions)} step definitions ({patterns} sentences) in "
        f"{len(by_module)} modules.\n"
    )
    lines.append("| Capability | What it covers | Steps | Used in features/ |\n|---|---|---|---|")
    for module, definitions in by_module.items():
        summary = catalogue.modules.get(module, "")
        folders = sorted({u.path.parts[1] for d in definitions for u in d.uses if _in_folder(u)})
        lines.append(
            f"| [{module}](#{_anchor(module)}) | {summary} | {len(definitions)} "
            f"| {', '.join(folders)} |"
        )
    lines.append("")
    dead = [d for d in catalogue.definitions if not d.uses]
    if dead:
        lines.append("## Dead steps (no feature uses them)\n")
        lines += [f"- `{d.patterns[0][1]}` ({d.where})" for d in dead]
        lines.append("")
    for module, definitions in by_module.items():
        lines.append(f"## {module}\n")
        summary = catalogue.modules.get(module, "")
        lines.append(f"{summary} [steps/{module}.py](../steps/{module}.py)\n".lstrip())
        for definition in definitions:
            sentences = " · ".join(
                f"**{keyword.capitalize()}** `{pattern}`"
                for keyword, pattern in definition.patterns
            )
            lines.append(f"- {sentences}  ")
            lines.append(f"  {definition.docstring or '(no docstring)'}  ")
            params = parameters(p for _, p in definition.patterns)
            if params:
                described = "; ".join(
                    f"`{name}`: {describe_type(kind, converters)}" for name, kind in params.items()
                )
                lines.append(f"  *Parameters:* {described}  ")
            if definition.uses:
                lines.append(f"  *Example:* {_use_line(definition.uses[0])}")
            else:
                lines.append("  *Example:* none (a dead step)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- the editor's settings ---------------------------------------------------------------------
def settings(catalogue: Catalogue, current: dict[str, Any]) -> dict[str, Any]:
    """The editor's settings with the Cucumber keys as this program writes them; others kept."""
    updated = dict(current)
    updated["cucumber.features"] = EDITOR_FEATURES
    updated["cucumber.glue"] = EDITOR_GLUE
    updated["cucumber.parameterTypes"] = editor_parameter_types(catalogue)
    return updated


def _read_settings(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def _settings_text(content: dict[str, Any]) -> str:
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="write nothing; fail on a problem")
    parser.add_argument("--steps", type=Path, default=Path("steps"))
    parser.add_argument("--features", type=Path, default=Path("features"))
    parser.add_argument("--output", type=Path, default=CATALOGUE)
    parser.add_argument("--settings", type=Path, default=SETTINGS)
    args = parser.parse_args(argv)
    catalogue = collect(args.steps, args.features)
    problems = catalogue.problems()
    text = render(catalogue)
    editor = _settings_text(settings(catalogue, _read_settings(args.settings)))
    outputs = ((args.output, text), (args.settings, editor))
    if args.check:
        for path, content in outputs:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                problems.append(f"{path} is not up to date: run `make steps` and commit it")
    else:
        for path, content in outputs:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            print(f"wrote {path}")
    for problem in problems:
        print(problem)
    dead = sum(1 for d in catalogue.definitions if not d.uses)
    undocumented = sum(1 for d in catalogue.definitions if not d.docstring)
    print(
        f"step catalogue: {len(catalogue.definitions)} step definitions, "
        f"{undocumented} without a docstring, {dead} dead: "
        + (f"{len(problems)} problem(s)" if problems else "OK")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
