"""The migrated template every embedded stack copies (harness/postgres_template.py): the same
database a fresh initdb and migration give, untouched by the stacks that copy it, rebuilt when
what makes the schema changes."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import asyncpg
import pytest

from harness.postgres import POSTGRES_BIN_PATH, EmbeddedPostgres
from harness.postgres_template import (
    SCHEMA_SOURCES,
    STALE_AFTER_S,
    migrated_template,
    remove_stale,
    schema_digest,
)
from harness.services import PROJECT_ROOT
from harness.stack import Stack, StackConfig

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)


def dump(url: str) -> str:
    """Schema and data, as pg_dump writes them (a fixed key: PostgreSQL 18 picks one at random)."""
    command = [str(POSTGRES_BIN_PATH / "pg_dump"), "--restrict-key=same", "--dbname", url]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


async def test_a_stack_from_the_template_has_what_a_fresh_migration_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cache of its own: the template is built here, as after a change to the schema.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fresh_config = StackConfig(instances=0, migrated_template=False)
    with Stack(fresh_config) as fresh, Stack(StackConfig(instances=0)) as copied:
        assert fresh.postgres is not None and copied.postgres is not None
        template = tmp_path / "golden-path" / f"postgres-{schema_digest()}"
        assert (fresh.postgres.template, copied.postgres.template) == (None, template)
        assert migrated_template() == template  # built once, then found
        assert ("migrate" in fresh.log_paths(), "migrate" in copied.log_paths()) == (True, False)
        assert "CREATE TABLE public.run_events" in dump(copied.database_url)
        assert dump(copied.database_url) == dump(fresh.database_url)

        conn = await asyncpg.connect(copied.database_url)
        try:
            await conn.execute("CREATE TABLE written_by_one_stack (n int)")
        finally:
            await conn.close()
        with EmbeddedPostgres(template=migrated_template()) as another:
            conn = await asyncpg.connect(another.url)
            try:
                found = await conn.fetchval("SELECT to_regclass('written_by_one_stack')")
            finally:
                await conn.close()
        assert found is None


def test_the_template_is_named_by_what_makes_the_schema(tmp_path: Path) -> None:
    for name in SCHEMA_SOURCES:
        source, copy = PROJECT_ROOT / name, tmp_path / name
        if source.is_dir():
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            copy.parent.mkdir(parents=True)
            shutil.copy2(source, copy)
    assert schema_digest(tmp_path) == schema_digest()

    migration = tmp_path / "service/store/migrations/versions/0099_one_more.py"
    migration.write_text('revision = "0099"\n')
    with_migration = schema_digest(tmp_path)
    assert with_migration != schema_digest()

    initdb_options = tmp_path / "harness/postgres.py"
    initdb_options.write_text(initdb_options.read_text().replace("--no-sync", "--sync-only"))
    assert schema_digest(tmp_path) not in (with_migration, schema_digest())


def test_templates_of_other_schemas_go_after_a_day_unused(tmp_path: Path) -> None:
    current, recent, stale = (tmp_path / f"postgres-{n}" for n in ("current", "recent", "stale"))
    for template in (current, recent, stale):
        (template / "base").mkdir(parents=True)
        template.with_name(f"{template.name}.lock").touch()
    day_ago = time.time() - STALE_AFTER_S - 60
    for path in (current, stale):
        os.utime(path, (day_ago, day_ago))

    remove_stale(tmp_path, keep=current)

    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "postgres-current",
        "postgres-current.lock",
        "postgres-recent",
        "postgres-recent.lock",
    ]
