"""A @critical scenario never passes by skipping: the quality gate's rule for scenarios skipped
because a tool of the machine is missing (Chromium for @ui, nginx for @balancer and
@deployment; the skip reason comes from tools/doctor.py's `missing_tool_reason`).

Such a skip fails the gate, naming the tool and the command that installs it, unless the person
running the suite says the skip is fine: `ALLOW_SKIPS=1` (any tool), or names the tools or the
tags, comma-separated (`ALLOW_SKIPS=chromium`, `ALLOW_SKIPS=ui,balancer`). Other skips are a
choice already made on the command line (`-D service_url=...` skips @fault, `TARGET=proxy`
skips @direct) and stay notes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from tools.doctor import TOOLS, missing_tool_of

VARIABLE = "ALLOW_SKIPS"
EVERY_TOOL = frozenset({"1", "all", "yes", "true"})
SKIP_PREFIX = "Skipped: "  # as fixtures/allure_labels.py writes a skip reason
MAX_NAMED = 5


class Skipped(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def message(self) -> str: ...


R = TypeVar("R", bound=Skipped)


def allowed(tool: str, allow: str) -> bool:
    """Whether ALLOW_SKIPS (its value) lets scenarios skip for want of `tool`."""
    words = {word.strip().lower().removeprefix("@") for word in allow.replace(" ", ",").split(",")}
    return bool(words & EVERY_TOOL) or tool in words or bool(words & set(TOOLS[tool].tags))


def failures(
    results: Iterable[R],
    where: Callable[[R], str] = lambda _: "",
    allow: str | None = None,
) -> list[str]:
    """One failure per missing tool that made a @critical scenario skip and is not allowed."""
    allow = os.environ.get(VARIABLE, "") if allow is None else allow
    by_tool: dict[str, list[str]] = {}
    for result in results:
        if result.status != "skipped" or result.severity not in ("critical", "blocker"):
            continue
        tool = missing_tool_of(result.message.removeprefix(SKIP_PREFIX))
        if tool is not None and not allowed(tool, allow):
            by_tool.setdefault(tool, []).append(f"{where(result)}{result.name}")
    messages = []
    for tool, scenarios in sorted(by_tool.items()):
        named = "; ".join(scenarios[:MAX_NAMED]) + ("; ..." if len(scenarios) > MAX_NAMED else "")
        tags = ",".join(TOOLS[tool].tags)
        messages.append(
            f"{len(scenarios)} @critical scenario(s) skipped because {tool} is missing ({named}). "
            f"Install it {TOOLS[tool].fix}; or, to run without them on purpose, "
            f"{VARIABLE}={tool} (or {VARIABLE}={tags}, or {VARIABLE}=1 for any tool)"
        )
    return messages
