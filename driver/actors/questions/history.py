"""Questions about what the service stored for an actor: conversations, messages, the record
of a run, search results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from driver.actors.actor import Actor
from driver.client.models import Message, Thread


@dataclass(frozen=True)
class TheirConversations:
    """Their conversations as the history lists them (newest first), at most `limit`."""

    limit: int | None = None

    async def answered_by(self, actor: Actor) -> list[Thread]:
        threads = await actor.api.threads(actor.access_token, limit=self.limit)
        actor.verifier.learn_threads(t.thread_id for t in threads)
        return threads


@dataclass(frozen=True)
class TheMessages:
    """The messages of a conversation (default: the one they are in), as reopening it shows."""

    thread_id: str | None = None

    async def answered_by(self, actor: Actor) -> list[Message]:
        thread = self.thread_id or actor.current_thread
        if thread is None:
            raise AssertionError(f"{actor.name} has no conversation yet")
        return await actor.api.messages(actor.access_token, thread)


@dataclass(frozen=True)
class TheRecordOfTheRun:
    """The stored event log of a run (default: their last), as the service audits it."""

    run_id: str | None = None

    async def answered_by(self, actor: Actor) -> list[dict[str, Any]]:
        run = self.run_id or actor.asked_last().run_id
        streams = actor.chat.streams_of(run)
        threads = {e.frame.get("thread_id") for s in streams for e in s.events}
        known = [t for t in threads if isinstance(t, str)]
        thread = known[0] if known else actor.current_thread
        if thread is None:
            raise AssertionError(f"{actor.name} has no conversation yet")
        return await actor.api.run_events(actor.access_token, thread, run)


@dataclass(frozen=True)
class WhatTheSearchFinds:
    words: str

    async def answered_by(self, actor: Actor) -> list[dict[str, Any]]:
        return await actor.api.search(actor.access_token, self.words)
