"""Questions about the stages of the answer to an actor's last question, as they followed it:
the tools the assistant named, its thoughts, its pauses (read by driver/evidence/stages.py)."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.evidence import stages

ANSWER_STAGE = stages.ANSWER


@dataclass(frozen=True)
class TheStagesSeen:
    """(stage, tool) of each tool of the last question's answer, in order, then (the answer,
    ""); a tool left open, finished elsewhere or failed fails the question, in words."""

    async def answered_by(self, actor: Actor) -> list[tuple[str, str]]:
        return stages.stages_of(actor.asked_last())


@dataclass(frozen=True)
class TheStepsSeenOverEveryConnection:
    """Each tool, then ANSWER_STAGE, of the last question as seen over all their connections
    (a reconnection catches up from the last step seen): each step once, in order."""

    async def answered_by(self, actor: Actor) -> list[str]:
        run = stages.as_seen(actor.chat.streams_of(actor.asked_last().run_id))
        return [tool or stage for stage, tool in stages.stages_of(run)]


@dataclass(frozen=True)
class TheToolAttempts:
    """How each call of that tool ended, in order (["error", "ok"]: failed once, then worked
    when tried again as a new call)."""

    tool: str

    async def answered_by(self, actor: Actor) -> list[str]:
        return stages.tool_attempts(actor.asked_last(), self.tool)


@dataclass(frozen=True)
class WhatTheToolSaid:
    """What the assistant said when that tool finished (empty if it never did)."""

    tool: str

    async def answered_by(self, actor: Actor) -> str:
        return stages.tool_summary(actor.asked_last(), self.tool)


@dataclass(frozen=True)
class WhatTheAssistantThought:
    """What the assistant said while thinking, in order."""

    async def answered_by(self, actor: Actor) -> list[str]:
        return stages.thoughts(actor.asked_last())


@dataclass(frozen=True)
class TheLongestPause:
    """The longest wait (seconds) between asking and the first step or between two steps, and
    the step that ended it."""

    async def answered_by(self, actor: Actor) -> tuple[float, str]:
        return stages.longest_pause(actor.asked_last())
