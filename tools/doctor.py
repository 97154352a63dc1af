"""`make doctor`: is every prerequisite of the suite on this machine? Prints one line per
prerequisite and, for each missing one, the command that installs it; exits 1 if any is
missing.

    python3 tools/doctor.py          # also: python3 -m tools.doctor, make doctor

Standard library only, and runnable as a plain file: it must work before the virtual
environment exists (that is one of the things it checks). The table of the machine's tools
(`TOOLS`) is also where the suite's skip reasons come from (`missing_tool_reason`) and where the
quality gate learns which tool a skipped scenario was waiting for (`missing_tool_of`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Skip reasons that start with this name a tool of TOOLS: `missing tool chromium: ...`.
MISSING_TOOL_PREFIX = "missing tool "
APT = "apt-get install -y --no-install-recommends"
MIN_PYTHON = (3, 11)
MIN_NODE = 20  # package.json's engines


@dataclass(frozen=True)
class Check:
    """One line of the doctor's answer: `found` is None when the prerequisite is missing."""

    name: str
    found: str | None
    fix: str
    packages: tuple[str, ...] = ()  # Debian's packages that provide it
    required: bool = True  # False: reported, never fails (e.g. the venv, built by make setup)


@dataclass(frozen=True)
class Tool:
    """A program on the machine that some scenarios need; `tags` name those scenarios."""

    name: str
    candidates: tuple[str, ...]  # absolute paths, or names looked up on PATH
    packages: tuple[str, ...]
    needed_for: str
    tags: tuple[str, ...] = ()
    override: str | None = None  # an environment variable naming the binary instead

    def find(self) -> str | None:
        if self.override and (chosen := os.environ.get(self.override)):
            return chosen if Path(chosen).is_file() else None
        for candidate in self.candidates:
            if os.path.isabs(candidate):
                if os.access(candidate, os.X_OK):
                    return candidate
            elif found := shutil.which(candidate):
                return found
        return None

    @property
    def fix(self) -> str:
        return f"as root: {APT} {' '.join(self.packages)} (or `make system` as root)"


# Debian's packages beside the Python ones (the Makefile's SYSTEM_PACKAGES installs the same).
CHROMIUM = Tool(
    "chromium",
    ("/usr/bin/chromium",),  # driver/web/browser.py launches this one
    ("chromium", "chromium-driver"),
    "the @ui scenarios and the report check (tests/tools/test_report_browser.py)",
    tags=("ui",),
)
NGINX = Tool(
    "nginx",
    ("nginx", "/usr/sbin/nginx"),  # harness/nginx.py: $GOLDEN_PATH_NGINX, PATH, Debian's
    ("nginx",),
    "the @balancer and @deployment scenarios, make accept TARGET=proxy",
    tags=("balancer", "deployment"),
    override="GOLDEN_PATH_NGINX",
)
PROMTOOL = Tool(
    "promtool",
    ("/usr/bin/promtool",),  # the Makefile's PROMTOOL
    ("prometheus",),
    "make lint (the alert rules in deploy/prometheus/)",
)
TOOLS = {tool.name: tool for tool in (CHROMIUM, NGINX, PROMTOOL)}


def missing_tool_reason(name: str) -> str:
    """The skip reason of a scenario that needs TOOLS[name] on a machine without it."""
    tool = TOOLS[name]
    return f"{MISSING_TOOL_PREFIX}{name}: not installed; {tool.fix}"


def missing_tool_of(reason: str) -> str | None:
    """The tool a skip reason from `missing_tool_reason` names, or None for any other reason."""
    if not reason.startswith(MISSING_TOOL_PREFIX):
        return None
    name = reason[len(MISSING_TOOL_PREFIX) :].split(":", 1)[0].strip()
    return name if name in TOOLS else None


def _run(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def check_python(python: str) -> list[Check]:
    """The interpreter `make setup` builds the venv with ($PYTHON, default python3): 3.11 or
    newer, with a working venv module (Debian splits ensurepip into python3.X-venv)."""
    fix = f"as root: {APT} python3.11 python3.11-venv"
    ask = [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"]
    version = _run(ask) if shutil.which(python) else None
    if version is None:
        return [Check(f"python ({python})", None, fix, ("python3.11", "python3.11-venv"))]
    major, minor = (int(part) for part in version.split(".")[:2])
    if (major, minor) < MIN_PYTHON:
        return [
            Check(
                f"python ({python}) 3.11 or newer",
                None,
                f"{python} is {version}; {fix}, then make PYTHON=python3.11 ...",
                ("python3.11", "python3.11-venv"),
            )
        ]
    venv = _run([python, "-c", "import ensurepip, venv"])
    minor_venv = f"python{major}.{minor}-venv"
    return [
        Check(f"python ({python}) 3.11 or newer", f"{version} ({shutil.which(python)})", fix),
        Check(
            "python's venv module",
            "yes" if venv is not None else None,
            f"as root: {APT} {minor_venv}",
            (minor_venv,),
        ),
    ]


def check_program(name: str, packages: tuple[str, ...]) -> Check:
    found = shutil.which(name)
    return Check(name, found, f"as root: {APT} {' '.join(packages)}", packages)


def check_node() -> list[Check]:
    """Node.js 20 or newer (Allure 3 and axe-core come from package-lock.json), and npm."""
    fix = (
        f"Node.js {MIN_NODE} or newer with npm: Debian 13: as root: {APT} nodejs npm; Debian 12 "
        "ships 18: take 20 from nodesource.com"
    )
    node = shutil.which("node")
    version = _run([node, "--version"]) if node else None
    checks = []
    if version is None:
        checks.append(Check("node", None, fix, ("nodejs",)))
    elif int(re.sub(r"^v(\d+).*", r"\1", version) or 0) < MIN_NODE:
        checks.append(Check(f"node {MIN_NODE} or newer", None, f"node is {version}; {fix}"))
    else:
        checks.append(Check(f"node {MIN_NODE} or newer", f"{version} ({node})", fix))
    checks.append(check_program("npm", ("npm",)))
    return checks


def check_tool(tool: Tool) -> Check:
    return Check(f"{tool.name}: {tool.needed_for}", tool.find(), tool.fix, tool.packages)


def check_setup(root: Path = ROOT) -> list[Check]:
    """What `make setup` builds (every make target builds it first): reported, never failing."""

    def built(stamp: Path, inputs: tuple[str, ...]) -> str | None:
        if not stamp.exists():
            return None
        newest = max((root / name).stat().st_mtime for name in inputs if (root / name).exists())
        return "built" if stamp.stat().st_mtime >= newest else None

    return [
        Check(
            ".venv (the Python packages)",
            built(root / ".venv" / ".stamp", ("requirements.txt", "pyproject.toml")),
            "make setup (every make target runs it first: about 4 minutes the first time)",
            required=False,
        ),
        Check(
            "node_modules (Allure 3, axe-core)",
            built(root / "node_modules" / ".stamp", ("package-lock.json", "package.json")),
            "make setup (npm ci, about 10 s)",
            required=False,
        ),
    ]


CHECKS: tuple[Callable[[], list[Check]], ...] = (
    lambda: check_python(os.environ.get("PYTHON") or "python3"),
    lambda: [check_program("make", ("make",)), check_program("git", ("git",))],
    check_node,
    lambda: [check_tool(tool) for tool in TOOLS.values()],
    check_setup,
)


def diagnose() -> list[Check]:
    return [check for group in CHECKS for check in group()]


def report(checks: list[Check]) -> tuple[list[str], bool]:
    """The lines to print and whether every required prerequisite is there."""
    lines = []
    missing = [c for c in checks if c.found is None and c.required]
    for check in checks:
        if check.found is not None:
            lines.append(f"ok       {check.name}: {check.found}")
        elif check.required:
            lines.append(f"MISSING  {check.name}\n         fix: {check.fix}")
        else:
            lines.append(f"not yet  {check.name}: {check.fix}")
    packages = sorted({p for c in missing for p in c.packages})
    if packages:
        everything = " ".join(packages)
        lines.append(f"All the missing Debian packages at once, as root:\n  {APT} {everything}")
    if missing:
        lines.append(f"doctor: {len(missing)} prerequisite(s) missing")
    else:
        lines.append("doctor: every prerequisite is here")
    return lines, not missing


def main() -> int:
    lines, ok = report(diagnose())
    print("\n".join(lines), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
