"""Live fan-out of run events to every instance that holds one of the person's sockets.

Events are delivered to local sockets directly (so a person keeps chatting on this instance while
Redis is down) and published on the person's channel for the other instances, which ignore their
own publications. In the same Redis script call each event is first added to its run's stream
(`service.streams`), so whoever sees an event live can also find it there for a replay. An
event is encoded to JSON once: the same text is stored, streamed, published and sent.

Every instance hears its own publications too (one pattern subscription): they are recognised by
the body's first bytes and dropped unparsed. Parsing them was a tenth of a busy instance's time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.delivery.chat.hub import Hub
from service.delivery.streams import Appender, Outgoing, StreamPolicy
from service.resilience.outage_log import OutageNotice

log = logging.getLogger("service.bus")
CHANNEL_PREFIX = "chat:user:"
RECONNECT_DELAY_S = 0.5


def user_channel(user_id: uuid.UUID) -> str:
    return f"{CHANNEL_PREFIX}{user_id}"


class Bus:
    def __init__(
        self,
        redis: Redis,
        hub: Hub,
        *,
        subscriber: Redis,
        instance_id: str,
        streams: StreamPolicy | None = None,
    ) -> None:
        # A connection of its own with no read timeout: it waits for messages indefinitely.
        self._subscriber = subscriber
        self._hub = hub
        self._instance_id = instance_id
        # True while `listen` holds a confirmed subscription (readiness reports it).
        self.listening = False
        # How this instance's own publications begin (json.dumps writes "origin" first).
        self._own_prefix = json.dumps({"origin": instance_id})[:-1].encode() + b","
        # Each publication is this head, the event's text and "}": json.dumps of
        # {"origin": instance_id, "frame": event}, byte for byte, without encoding it again.
        head = self._own_prefix.decode() + ' "frame": '
        self._append = Appender(
            redis, head=head, policy=streams or StreamPolicy(), channel_prefix=CHANNEL_PREFIX
        )
        self._fan_out = OutageNotice(log, "fan-out to other instances")
        self._subscription = OutageNotice(log, "fan-out subscription")

    def deliver_here(self, events: Sequence[Outgoing]) -> None:
        """To this instance's sockets, at once."""
        for event in events:
            self._hub.deliver(event.user_id, event.envelope, event.text)

    async def publish_elsewhere(self, events: Sequence[Outgoing]) -> None:
        """To the other instances (and the runs' streams) in one Redis script call; a failure is
        logged once per outage, never raised."""
        if not events:
            return
        try:
            await self._append(events)
        except (RedisError, OSError) as exc:
            self._fan_out.failed(exc)
        else:
            self._fan_out.ok()

    async def listen(self) -> None:
        """Deliver other instances' frames to local sockets; reconnects until cancelled.

        Whatever arrives on the channel, the subscription survives it: an unreadable message is
        logged and skipped (one bad publication must not end cross-instance delivery)."""
        while True:
            try:
                async with self._subscriber.pubsub() as pubsub:
                    await pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
                    async for message in pubsub.listen():
                        if message.get("type") == "psubscribe":
                            self.listening = True
                            self._subscription.ok()
                        self._dispatch(message)
            except asyncio.CancelledError:
                self.listening = False
                raise
            except Exception as exc:  # Redis gone, or a defect: report not ready, then retry
                self.listening = False
                self._subscription.failed(exc)  # retried every half second: logged once
                await asyncio.sleep(RECONNECT_DELAY_S)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") != "pmessage":
            return
        data = message.get("data")
        if isinstance(data, bytes) and data.startswith(self._own_prefix):
            return  # this instance's own publication: its sockets have had it already
        # Every instance hears every person's events: read the channel name only, and parse
        # the body only for the people with a socket here.
        user_id = _user_of(message.get("channel"))
        if user_id is not None and not self._hub.holds(user_id):
            return
        parsed = _parse(message)
        if parsed is None:
            log.warning("unreadable message on %r skipped", message.get("channel"))
            return
        origin, user_id, frame = parsed
        if origin == self._instance_id:
            return
        try:
            self._hub.deliver(user_id, frame)
        except Exception:
            log.exception("delivery of a fan-out message failed", extra={"user_id": user_id})


def _user_of(channel: object) -> uuid.UUID | None:
    """The person a channel is about, or None when it is not one of ours."""
    try:
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        return uuid.UUID(name.removeprefix(CHANNEL_PREFIX))
    except (ValueError, UnicodeDecodeError):
        return None


def _parse(message: dict[str, Any]) -> tuple[str, uuid.UUID, dict[str, Any]] | None:
    """(origin, user id, frame) of one publication, or None when it is not one of ours."""
    try:
        channel = message["channel"]
        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
        user_id = uuid.UUID(channel.removeprefix(CHANNEL_PREFIX))
        body = json.loads(message["data"])
        origin, frame = body["origin"], body["frame"]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    if not isinstance(origin, str) or not isinstance(frame, dict):
        return None
    return origin, user_id, frame
