"""`python -m service`: run the chat service from environment settings."""

from __future__ import annotations

import logging
import sys

from service import logs
from service.settings import Settings, SettingsError


def main() -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    # Imported only now: a misconfigured start is refused in milliseconds, not a second.
    from aiohttp import web

    from service.app import create_app

    logging.getLogger("service").info("starting", extra={"instance": settings.instance_id})
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        # aiohttp's own grace period for open handlers after on_shutdown has drained runs.
        shutdown_timeout=settings.drain_s + 5,
        access_log=None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
