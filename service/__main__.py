"""`python -m service`: run the chat service from environment settings."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING

from service import logs
from service.settings import Settings, SettingsError

if TYPE_CHECKING:
    from aiohttp import web

    from service.lifecycle import Lifecycle


# Connections the kernel holds for the service before it accepts them. aiohttp's 128 overflowed
# when a crowd of 3,000 opened the chat at once on a busy instance: each dropped connection
# attempt costs its client a second or more before it tries again. The kernel caps it at
# net.core.somaxconn (4096 here).
ACCEPT_BACKLOG = 4096


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
    """Serve until SIGTERM, SIGINT or `POST /stop` on the operators' listener, then: stop
    accepting, close every socket with 1001, drain.

    The sockets are closed before aiohttp's own shutdown begins: from then on it ignores what
    clients send, so the clients' close frames would never be read (a cut-short handshake).
    The operators' listener stops last: readiness says "draining" and the figures stay readable
    until the runs have drained. A connection check that fails once the database answers
    (service/store/budget.py) stops the instance the same way, then raises its BudgetExceeded.
    The whole stop is bounded (service/shutdown.py)."""
    from aiohttp import web

    from service.http.chat.handler import close_all
    from service.http.operator import operator_app
    from service.keys import BUDGET, HUB, LIFECYCLE
    from service.shutdown import arm_watchdog, shutdown_bound_s

    lifecycle = app[LIFECYCLE]
    # aiohttp's own grace period for open handlers after on_shutdown has drained runs.
    handlers_grace_s = settings.drain_s + 5
    runner = web.AppRunner(
        app, handle_signals=False, access_log=None, shutdown_timeout=handlers_grace_s
    )
    operator = web.AppRunner(operator_app(app), handle_signals=False, access_log=None)
    await runner.setup()
    await operator.setup()
    budget = app[BUDGET]
    budget.add_done_callback(lambda check: _stop_if_refused(check, lifecycle))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lifecycle.request_stop)
    try:
        await web.TCPSite(operator, settings.metrics_host, settings.metrics_port).start()
        site = web.TCPSite(runner, settings.host, settings.port, backlog=ACCEPT_BACKLOG)
        await site.start()
        await lifecycle.stop.wait()
        await site.stop()
        await close_all(app[HUB].connections())
    finally:
        # However it stops, it ends: a close that waits for ever is cut (service/shutdown.py).
        arm_watchdog(shutdown_bound_s(settings.drain_s, handlers_grace_s))
        try:
            await runner.cleanup()
        finally:
            await operator.cleanup()
    if budget.done() and not budget.cancelled() and (refusal := budget.exception()) is not None:
        raise refusal


def _stop_if_refused(check: asyncio.Future[None], lifecycle: Lifecycle) -> None:
    """The connection check failed once the database answered: stop as on SIGTERM."""
    if not check.cancelled() and check.exception() is not None:
        lifecycle.request_stop()


if __name__ == "__main__":
    sys.exit(main())
