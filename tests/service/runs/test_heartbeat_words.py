"""What the heartbeat tells a quiet run's person (service/runs/heartbeat.py): their place while
they wait in line, that work goes on while their run works, and nothing once the run has given up
in line (its `agent_error` follows: a "still working" before it was a contradiction, seen when a
tick fell on the moment the wait ran out)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from service.contract import EventType
from service.runs.admission import Admission, QueueWaitExpired
from service.runs.heartbeat import STILL_WORKING, Heartbeat, Said


@dataclass
class Run:
    """A run as the heartbeat sees it; its words read only the stage it is in."""

    stage: str | None = None
    last_at: float = 0.0

    async def speak_up(self, say: Callable[[], Said | None], *, quiet_s: float) -> None:
        raise AssertionError("the words are read here, never spoken")


async def test_a_person_waiting_in_line_is_told_their_place() -> None:
    admission = Admission(in_flight=1, queued=10)
    admission.enter("alice")
    bob = admission.enter("bob")
    said = Heartbeat._words(Run(), bob)()
    assert said is not None and said.type is EventType.AGENT_THINKING
    assert said.payload["queued"] == {"position": 1}


async def test_a_run_at_work_is_told_it_is_still_working() -> None:
    admission = Admission(in_flight=1, queued=10)
    alice = admission.enter("alice")
    said = Heartbeat._words(Run(), alice)()
    assert said is not None and said.payload == {"text": STILL_WORKING}


async def test_a_run_that_gave_up_in_line_is_told_nothing_more() -> None:
    admission = Admission(in_flight=1, queued=10, wait_s=0.05)
    admission.enter("alice")
    bob = admission.enter("bob")
    say = Heartbeat._words(Run(), bob)  # a tick decided to speak while Bob still waited
    async with asyncio.timeout(5):
        with pytest.raises(QueueWaitExpired):
            await admission.wait(bob)
    assert say() is None
