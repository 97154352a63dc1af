"""`python -m service`: run the chat service from environment settings."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

from service import logs
from service.settings import Settings, SettingsError

if TYPE_CHECKING:
    from aiohttp import web


def main() -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    # Imported only now: a misconfigured start is refused in milliseconds, not a second.

    from service.app import create_app
    from service.store.budget import BudgetExceeded

    logging.getLogger("service").info("starting", extra={"instance": settings.instance_id})
    try:
        asyncio.run(serve(create_app(settings), settings))
    except BudgetExceeded as exc:
        # At start, or once a database that was down at start answers (service/store/budget.py).
        print(f"refusing to start: {exc}", file=sys.stderr)
        return 2
    return 0


async def serve(app: web.Application, settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT, then: stop accepting, close every socket with 1001, drain.

    The sockets are closed before aiohttp's own shutdown begins: from then on it ignores what
    clients send, so the clients' close frames would never be read (a cut-short handshake).
    A connection check that fails once the database answers (service/store/budget.py) stops
    the instance the same way, then raises its BudgetExceeded."""
    from aiohttp import web

    from service.delivery.chat.handler import close_all
    from service.keys import BUDGET, HUB

    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,
        # aiohttp's own grace period for open handlers after on_shutdown has drained runs.
        shutdown_timeout=settings.drain_s + 5,
    )
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        budget = app[BUDGET]
        ends: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait()), _refused(budget)]
        await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
        for end in ends:
            end.cancel()
        await site.stop()
        await close_all(app[HUB].connections())
    finally:
        await runner.cleanup()
    if budget.done() and not budget.cancelled() and (refusal := budget.exception()) is not None:
        raise refusal


def _refused(budget: asyncio.Future[None]) -> asyncio.Future[None]:
    """Done only when the connection check fails (a pending one may still)."""

    async def wait() -> None:
        await asyncio.shield(budget)  # raises BudgetExceeded
        await asyncio.Event().wait()  # it fits: nothing more to wait for

    return asyncio.ensure_future(wait())


if __name__ == "__main__":
    sys.exit(main())
