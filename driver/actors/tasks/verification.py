"""The end of a scenario: let what is in flight arrive, then check everything an actor saw."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.questions.history import TheirConversations, TheMessages
from driver.client.errors import ApiError, SocketClosed
from driver.client.stream import StreamStalled


@dataclass(frozen=True)
class CheckEverythingSeen:
    """Let runs in flight on open connections finish (up to `settle_timeout`), check every
    answer is in the history, then raise if anything they saw broke the contract."""

    settle_timeout: float = 5.0

    async def perform_as(self, actor: Actor) -> None:
        deadline = time.monotonic() + self.settle_timeout
        for socket in actor.chat.connections():
            if socket.is_open:
                # A round trip first: frames the service sent before it are read before the
                # pong, so a step that failed early does not leave them unseen (and misjudged).
                with contextlib.suppress(TimeoutError, SocketClosed):
                    await socket.ping(timeout=1.0)
            for stream in list(socket.streams.values()):
                # Asked counts as in flight too: its first events may still be on the wire.
                in_flight = stream.events or stream.asked_at is not None
                if socket.is_open and in_flight and stream.final is None:
                    try:
                        await stream.wait_final(max(0.0, deadline - time.monotonic()))
                    except StreamStalled:
                        pass  # the verifier reports it with the run's last event
        await actor.lookout.settled()
        if actor.tokens is not None:
            try:
                await TheirConversations().answered_by(actor)
                for run_id, thread_id in actor.verifier.answers_to_check():
                    messages = await TheMessages(thread_id).answered_by(actor)
                    actor.verifier.check_answer_visible(run_id, messages)
            except ApiError as exc:  # signed out or the service is down: ask no more
                actor.note(f"could not look at the history to verify: {exc}")
        actor.verifier.assert_clean()
