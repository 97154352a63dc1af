"""The suite's and the tools' console scripts, each behind the extras it needs.

`pip install .` is the service alone; `golden-path-stack` and the other suite scripts need the
`suite` extra (`golden-path-load` the `load` extra too). Without it, a script says in one line
which extra to install instead of a traceback from an import deep inside the suite. The check
reads the package's own metadata (its Requires-Dist), so the extras are listed once, in
pyproject.toml. Standard library only: this module must import in the lean install.
"""

from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "golden-path"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def requirements(extra: str) -> list[str]:
    """The distributions that `extra` lists, as the installed package's metadata says."""
    names = []
    for requirement in metadata.requires(DISTRIBUTION) or []:
        marker = _EXTRA.search(requirement)
        name = _NAME.match(requirement)
        if marker is not None and marker.group(1) == extra and name is not None:
            names.append(name.group(0))
    return names


def missing(extra: str) -> list[str]:
    """The distributions that `extra` lists and that are not installed."""
    absent = []
    for name in requirements(extra):
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            absent.append(name)
    return absent


@dataclass(frozen=True)
class Script:
    """A console script: `target` ("module:function") runs once every extra is installed."""

    target: str
    extras: tuple[str, ...] = ("suite",)

    def __call__(self) -> object:
        for extra in self.extras:
            absent = missing(extra)
            if absent:
                raise SystemExit(
                    f"{Path(sys.argv[0]).name} needs the '{extra}' extra: "
                    f"pip install 'golden-path[{','.join(self.extras)}]' "
                    f"(missing {', '.join(absent)})"
                )
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)()


stack = Script("harness.stack:main")
load_tool = Script("tools.load:main", ("suite", "load"))
parallel = Script("tools.parallel:main")
mutants = Script("tools.mutants:main")
gherkin_check = Script("tools.gherkin_check:main")
quality_gate = Script("tools.quality_gate:main")
capabilities = Script("tools.capabilities:main")
report_browser = Script("tools.report_browser:main")
