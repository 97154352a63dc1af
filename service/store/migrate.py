"""`python -m service.store.migrate`: bring the database of DATABASE_URL (or DATABASE_URL_FILE)
to the newest schema."""

from __future__ import annotations

import os
from pathlib import Path

from service.env import with_secret_files
from service.store.db import async_database_url

MIGRATIONS = Path(__file__).parent / "migrations"


def async_url_from_env() -> str:
    env, problems = with_secret_files(os.environ, ("DATABASE_URL",))
    if problems:
        raise SystemExit(problems["DATABASE_URL"])
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        raise SystemExit("DATABASE_URL (or DATABASE_URL_FILE) is required")
    # Only the URL matters here; the other settings are checked when the service starts.
    return async_database_url(url)


def upgrade() -> None:
    # Imported here: the plan command and the migrations' env.py read only the URL above, and
    # Alembic costs a process about half a second of imports.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    command.upgrade(config, "head")


if __name__ == "__main__":
    upgrade()
