"""tools/doctor.py (`make doctor`): run as a plain file, as before the venv exists, on this
machine and on one where PATH holds nothing (make, git, Node.js and npm then missing)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from driver.web.browser import CHROMIUM
from harness.nginx import DEBIAN_NGINX, MISSING, NGINX_VARIABLE
from tools import doctor

ROOT = Path(__file__).resolve().parents[2]
APT = "apt-get install -y --no-install-recommends"


def run_doctor(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "doctor.py")],
        env={**os.environ, "PYTHON": sys.executable, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.stack
def test_every_prerequisite_of_this_machine_is_found() -> None:
    done = run_doctor()
    assert done.returncode == 0, done.stdout
    assert "MISSING" not in done.stdout
    assert done.stdout.rstrip().endswith("doctor: every prerequisite is here")


@pytest.mark.stack
def test_without_any_program_on_path_it_names_each_and_its_fix(tmp_path: Path) -> None:
    done = run_doctor(PATH=str(tmp_path))  # an empty folder: no make, git, node, npm
    assert done.returncode == 1
    out = done.stdout
    for program, package in (("make", "make"), ("git", "git"), ("npm", "npm")):
        assert f"MISSING  {program}\n         fix: as root: {APT} {package}\n" in out
    assert "MISSING  node\n         fix: Node.js 20 or newer with npm" in out
    assert f"ok       python ({sys.executable}) 3.11 or newer" in out  # an absolute path
    assert f"as root:\n  {APT} git make nodejs npm\n" in out
    assert out.rstrip().endswith("doctor: 4 prerequisite(s) missing")


@pytest.mark.stack
def test_without_nginx_it_says_what_needs_it_and_how_to_install_it() -> None:
    done = run_doctor(**{NGINX_VARIABLE: "/nonexistent/nginx"})
    assert done.returncode == 1
    assert (
        "MISSING  nginx: the @balancer and @deployment scenarios, make accept TARGET=proxy\n"
        f"         fix: as root: {APT} nginx (or `make system` as root)\n"
    ) in done.stdout


def test_the_tools_are_where_the_suite_and_the_makefile_look() -> None:
    assert doctor.CHROMIUM.candidates == (CHROMIUM,)
    assert str(DEBIAN_NGINX) in doctor.NGINX.candidates
    makefile = (ROOT / "Makefile").read_text()
    [packages] = re.findall(r"SYSTEM_PACKAGES := ((?:.*\\\n)*.*)", makefile)
    entries = dict(e.split("=") for e in packages.replace("\\\n", " ").split())
    assert entries == {
        doctor.CHROMIUM.candidates[0]: ",".join(doctor.CHROMIUM.packages),
        str(DEBIAN_NGINX): ",".join(doctor.NGINX.packages),
        doctor.PROMTOOL.candidates[0]: ",".join(doctor.PROMTOOL.packages),
    }


def test_a_skip_reason_names_its_tool_for_the_quality_gate() -> None:
    assert doctor.missing_tool_of(MISSING) == "nginx"  # environment.py's @balancer skip
    assert doctor.missing_tool_of(doctor.missing_tool_reason("chromium")) == "chromium"
    assert "apt-get install" in doctor.missing_tool_reason("chromium")
    assert doctor.missing_tool_of("needs control of the stack; the suite runs against a") is None
    assert doctor.missing_tool_of("missing tool teleporter: x") is None
