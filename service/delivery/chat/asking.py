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
import time
from typing import Any

from aiohttp import web

from service.delivery.chat.frames import SendFrame
from service.delivery.chat.hub import Connection
from service.errors import Busy
from service.keys import HOT_PATH, RUNS, SETTINGS
from service.resilience.deadlines import DependencyTimeout
from service.runs.executor import Question
from service.store.hot_path import Accepted

SEND_TIMEOUT_S = 2.5


async def ask(request: web.Request, connection: Connection, frame: SendFrame) -> None:
    """Take the question or raise the contract's error (`busy`, `not_found`, a timeout...)."""
    asked_at = time.monotonic()
    runs = request.app[RUNS]
    if not runs.admission.has_room(connection.user_id):
        # Refused before anything is stored (the line is full, or holds the person's share of
        # it): the app resends the same id after retry_after.
        raise Busy(
            "The assistant is busy with other questions; ask again in a moment",
            retry_after=runs.admission.retry_after_s(),
        )
    storing = asyncio.ensure_future(_store(request, connection, frame))
    late = False

    def stored(task: asyncio.Future[Accepted]) -> None:
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
            runs.start(question)

    storing.add_done_callback(stored)
    await asyncio.wait({storing}, timeout=SEND_TIMEOUT_S)
    if storing.done():
        storing.result()  # the store's own error (not_found, unavailable...), if any
        return
    late = True
    raise DependencyTimeout(f"the database did not answer within {SEND_TIMEOUT_S:g} s")


async def _store(request: web.Request, connection: Connection, frame: SendFrame) -> Accepted:
    return await request.app[HOT_PATH].accept_question(
        user_id=connection.user_id,
        thread_id=frame.thread_id,
        client_msg_id=frame.client_msg_id,
        text=frame.text,
        instance_id=request.app[SETTINGS].instance_id,
    )


def _ack(frame: SendFrame, accepted: Accepted) -> dict[str, Any]:
    return {
        "type": "ack",
        "client_msg_id": str(frame.client_msg_id),
        "thread_id": str(accepted.thread_id),
        "message_id": str(accepted.message_id),
        "run_id": str(accepted.run_id),
        "duplicate": accepted.duplicate,
    }
