"""`pip install .` gives what the README promises: every console script resolves to a function
of the package (the suite's through the launcher that names their extra), and the files the
service reads at run time (the chat page, the migrations) are in the wheel, not only in the
checkout. tests/project/test_lean_install.py installs the service alone and runs it."""

from __future__ import annotations

import configparser
import importlib
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tools.launch import Script, missing, requirements

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("golden_path-*.whl")
    return zipfile.ZipFile(built)


@pytest.mark.stack
def test_every_console_script_resolves_to_a_function(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    parser = configparser.ConfigParser()
    parser.read_string(wheel.read(entry_points).decode())
    scripts = dict(parser["console_scripts"])
    assert "golden-path-service" in scripts and "golden-path-stack" in scripts
    for name, target in scripts.items():
        module, function = target.split(":")
        script = getattr(importlib.import_module(module), function)
        assert callable(script), name
        assert f"{module.replace('.', '/')}.py" in wheel.namelist(), (
            f"{name}: {module} not packaged"
        )
        if isinstance(script, Script):  # the suite's: what the launcher runs resolves too
            module, function = script.target.split(":")
            assert callable(getattr(importlib.import_module(module), function)), name
            assert f"{module.replace('.', '/')}.py" in wheel.namelist(), name


def test_the_launcher_reads_each_extra_from_the_package_metadata() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(extras) == {"suite", "load", "dev"}
    for extra, listed in extras.items():
        assert requirements(extra) == [r.split("==")[0].split("[")[0] for r in listed], extra
        assert missing(extra) == [], f"make setup installs every extra; {extra} is not complete"


@pytest.mark.stack
def test_the_files_the_service_reads_at_run_time_are_packaged(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    static = ROOT / "service" / "http" / "web" / "static"
    for path in [*static.iterdir(), ROOT / "service/store/migrations/script.py.mako"]:
        assert str(path.relative_to(ROOT)) in names, f"{path.name} is missing from the wheel"
    versions = [n for n in names if n.startswith("service/store/migrations/versions/")]
    assert len(versions) == len(list((ROOT / "service/store/migrations/versions").glob("*.py")))
