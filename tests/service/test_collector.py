"""The collector is set for the instance's life and given back as it was (service/collector.py):
a started app's objects are frozen out of its passes, and its youngest generation waits for
`YOUNG_THRESHOLD` allocations."""

from __future__ import annotations

import gc

from aiohttp import web

from service.collector import YOUNG_THRESHOLD, tuned_collector


async def test_set_while_the_app_runs_and_given_back_after() -> None:
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    app = web.Application()
    app.cleanup_ctx.append(tuned_collector)
    runner = web.AppRunner(app)
    await runner.setup()  # the app's startup steps
    try:
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
        assert gc.get_freeze_count() > frozen_before
    finally:
        await runner.cleanup()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
