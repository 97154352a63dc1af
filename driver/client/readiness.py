"""What an operator (or a balancer) asks a server: is it ready (`GET /readyz`)? One probe, and a
watch that keeps asking in the background while a scenario breaks something."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Readiness:
    sent_at: float  # monotonic, when the probe was sent
    status: int | None  # None: no answer at all within the probe's timeout
    body: Any
    took_s: float


class ReadinessWatch:
    """Asks a server whether it is ready every `interval` seconds, in the background of the
    scenario, without waiting for earlier answers (a hanging answer must not hide the next
    probes); the answers, and how long each took, are kept for the checks."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        service_url: str,
        *,
        interval: float = 0.2,
        probe_timeout: float = 5.0,
    ) -> None:
        self.service_url = service_url.rstrip("/")
        self.samples: list[Readiness] = []
        self._session = session
        self._interval = interval
        self._probe_timeout = probe_timeout
        self._task: asyncio.Task[None] | None = None
        self._probes: set[asyncio.Task[Readiness]] = set()

    def start(self) -> ReadinessWatch:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())
        return self

    async def settle(self) -> None:
        """Wait for the answers still on their way (each bounded by the probe timeout)."""
        if self._probes:
            await asyncio.wait(set(self._probes))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for probe in self._probes:
            probe.cancel()
        await asyncio.gather(*self._probes, return_exceptions=True)

    async def probe(self) -> Readiness:
        began = time.monotonic()
        try:
            async with self._session.get(
                f"{self.service_url}/readyz",
                timeout=aiohttp.ClientTimeout(total=self._probe_timeout),
            ) as response:
                body = await response.json(content_type=None)
                status: int | None = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            status, body = None, repr(exc)
        sample = Readiness(began, status, body, time.monotonic() - began)
        self.samples.append(sample)
        return sample

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            probe = loop.create_task(self.probe())
            self._probes.add(probe)
            probe.add_done_callback(self._probes.discard)
            await asyncio.sleep(self._interval)

    def answered(self) -> list[Readiness]:
        """The answers so far (probes that got no answer left out), in the order sent."""
        return sorted((s for s in self.samples if s.status is not None), key=lambda s: s.sent_at)

    def between(self, start: float, end: float | None) -> list[Readiness]:
        """The answers to the probes sent within [start, end), however late they came."""
        return [
            s
            for s in sorted(self.samples, key=lambda s: s.sent_at)
            if s.sent_at >= start and (end is None or s.sent_at < end)
        ]


async def readiness(session: aiohttp.ClientSession, service_url: str) -> Readiness:
    """One readiness answer of that server."""
    return await ReadinessWatch(session, service_url).probe()
