"""A question on the chat: admitted, committed, acknowledged, then answered by a run.

The ack is sent only after the question is committed, and before the run's first event, so
the client knows the run is its own. A database that does not answer within `SEND_TIMEOUT_S`
gets the person `temporarily_unavailable` instead (the app resends with the same id); if the
question is committed after all, its run starts anyway and the resend gets the duplicate ack.
Cancelling the commit instead left such questions stored with no run until their lease
lapsed, and then `interrupted`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

from service.contract import ControlType, Frame, control_frame
from service.delivery.chat.daily_questions import seconds_to_reset
from service.delivery.chat.frames import SendFrame
from service.delivery.chat.hub import Connection
from service.delivery.chat.person_limits import Taken
from service.errors import Busy, QuotaReached
from service.keys import CHAT_LIMITS, HOT_PATH, RUNS, SETTINGS
from service.resilience.deadlines import DependencyTimeout, within
from service.runs.executor import Question
from service.store.hot_path import Accepted

SEND_TIMEOUT_S = 2.5


async def ask(request: web.Request, connection: Connection, frame: SendFrame, taken: Taken) -> None:
    """Take the question (within the rate, counted on `taken.day`) or raise the contract's error
    (`quota_reached`, `busy`, `not_found`, a timeout...)."""
    asked_at = time.monotonic()
    runs = request.app[RUNS]
    # Its first progress is pending from now: the runs already started let it go first
    # (service/runs/first_progress.py).
    runs.first_progress.came()
    handed = False
    try:
        plan = connection.plan
        quotas = request.app[SETTINGS].plans[plan]
        daily = request.app[CHAT_LIMITS].daily
        day = taken.day
        if not taken.day_allows:
            # A resend of a question kept earlier today gets its duplicate ack, as always.
            looking = request.app[HOT_PATH].earlier_question(
                user_id=connection.user_id, client_msg_id=frame.client_msg_id
            )
            earlier = await within(SEND_TIMEOUT_S, looking, what="the database")
            if earlier is not None:
                connection.offer(_ack(frame, earlier))
                return
            reset = seconds_to_reset(time.time())
            raise QuotaReached(
                f"You have asked all {quotas.questions_per_day:,} questions your {plan.title} plan "
                f"allows today; you can ask again at midnight UTC, in {_duration(reset)}",
                retry_after=reset,
            )
        if not runs.admission.reserve(
            connection.user_id, places=quotas.line_places, reach=quotas.line_reach
        ):
            await daily.give_back(connection.user_id, day)
            # Refused before anything is stored (the line is full, or holds the person's share of
            # it): the app resends the same id after retry_after.
            raise Busy(
                "The assistant is busy with other questions; ask again in a moment",
                retry_after=runs.admission.retry_after_s(),
            )
        storing = asyncio.ensure_future(_store(request, connection, frame))
        late = False

        def stored(task: asyncio.Future[Accepted]) -> None:
            if task.cancelled() or task.exception() is not None or task.result().duplicate:
                # Not a question taken today: the count and the room in the line go back.
                background(daily.give_back(connection.user_id, day))
                runs.admission.unreserve(connection.user_id)
            if task.cancelled() or task.exception() is not None:
                return  # the person was told, or is told below
            accepted = task.result()
            if not late:
                connection.offer(_ack(frame, accepted))
            if not accepted.duplicate:
                question = Question(
                    accepted,
                    user_id=connection.user_id,
                    client_msg_id=frame.client_msg_id,
                    text=frame.text,
                    follow_up=frame.thread_id is not None,
                    asked_at=asked_at,
                )
                runs.start(question)  # which counts it on until its agent_started

        def stored_then_went(task: asyncio.Future[Accepted]) -> None:
            try:
                stored(task)
            finally:
                runs.first_progress.went()

        storing.add_done_callback(stored_then_went)
        handed = True  # the callback says when its first progress went
        await asyncio.wait({storing}, timeout=SEND_TIMEOUT_S)
        if storing.done():
            storing.result()  # the store's own error (not_found, unavailable...), if any
            return
        late = True
        raise DependencyTimeout(f"the database did not answer within {SEND_TIMEOUT_S:g} s")
    finally:
        if not handed:  # refused, or a duplicate: no run, no first progress to wait for
            runs.first_progress.went()


async def _store(request: web.Request, connection: Connection, frame: SendFrame) -> Accepted:
    return await request.app[HOT_PATH].accept_question(
        user_id=connection.user_id,
        thread_id=frame.thread_id,
        client_msg_id=frame.client_msg_id,
        text=frame.text,
    )


def _ack(frame: SendFrame, accepted: Accepted) -> Frame:
    return control_frame(
        ControlType.ACK,
        {
            "client_msg_id": str(frame.client_msg_id),
            "thread_id": str(accepted.thread_id),
            "message_id": str(accepted.message_id),
            "run_id": str(accepted.run_id),
            "duplicate": accepted.duplicate,
        },
    )


def _duration(seconds: int) -> str:
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


_BACKGROUND: set[asyncio.Task[None]] = set()


def background(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` on its own, keeping a reference until it is done."""
    task = asyncio.ensure_future(work)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
