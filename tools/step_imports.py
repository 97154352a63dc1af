"""Steps reach the driver only through the Screenplay: from `driver/` a step module imports
tasks, questions and interactions (`driver.actors.tasks`, `.questions`, `.interactions`), and the
two vocabularies a check is written in: the contract's words (`driver.client.contract`: error
codes, event types, close codes) and the refusal table (`driver.oracle.refusals`: a business
outcome and what the contract answers for it). Nothing else: not the client, the rest of the
oracle, the evidence, the web page, nor the actor's free functions. Names are not doings: a step
that names an error code still has a task do the asking and `See` do the checking.

    python -m tools.step_imports   # make lint runs it
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ALLOWED = (
    "driver.actors.tasks",
    "driver.actors.questions",
    "driver.actors.interactions",
    "driver.client.contract",
    "driver.oracle.refusals",
)


def driver_imports(source: str) -> Iterator[str]:
    """Every driver module the source imports (`from driver.actors import crowd` imports
    driver.actors.crowd; `from driver.actors.tasks import Ask` imports driver.actors.tasks)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "driver")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "driver":
                continue
            if node.module.count(".") < 2:  # a room or the driver: the names are modules
                yield from (f"{node.module}.{a.name}" for a in node.names)
            else:
                yield node.module


def allowed(module: str) -> bool:
    return any(module == a or module.startswith(a + ".") for a in ALLOWED)


def problems(steps: Path) -> list[str]:
    return [
        f"{path}: imports {module}; a step calls only tasks, questions and interactions "
        f"({', '.join(ALLOWED)})"
        for path in sorted(steps.glob("*.py"))
        for module in sorted(set(driver_imports(path.read_text(encoding="utf-8"))))
        if not allowed(module)
    ]


def main() -> int:
    found = problems(Path("steps"))
    for problem in found:
        print(problem)
    print(f"step imports: {'OK' if not found else f'{len(found)} problem(s)'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
