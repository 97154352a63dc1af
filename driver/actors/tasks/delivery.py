"""Tasks of delivery as a person lives it: a device going offline or stalling, confirmations
lost and questions sent again, catching up on a run, reconnecting to another server, waiting
until the service has stored what they saw. What they must remember afterwards is noted."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

import time
from dataclasses import dataclass

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.notepad import Note
from driver.actors.questions.delivery import CATCH_UP_RUN, TheAnswerOn
from driver.actors.questions.history import TheMessages, TheRecordOfTheRun
from driver.actors.tasks.conversation import REPEAT_CONFIRMATION, Ask, AskAgain
from driver.actors.tasks.devices import CloseChat, OpenChat, Reconnect
from driver.client.contract import CloseCode, Frame, short_id
from driver.client.errors import FrameRefused
from driver.client.eventually import eventually
from driver.client.models import Ack
from driver.client.stream import StreamStalled


@dataclass(frozen=True)
class Unconfirmed:
    question: str
    client_msg_id: str


UNCONFIRMED = Note[Unconfirmed]("the question whose confirmation she lost")
FIRST_CONFIRMATION = Note[Ack]("the confirmation of her question the first time")
CATCH_UP_ANSWER = Note[Frame | FrameRefused]("how her asking to catch up was answered")
NETWORK_FROZE_AT = Note[float]("when her device's network froze")


@dataclass(frozen=True)
class GoOffline:
    """The device goes offline (it closes its end; the service sees it leave)."""

    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(CloseChat(self.device))
        actor.note(f"{self.device} went offline")


@dataclass(frozen=True)
class OpenOnAStalledLink:
    """Open the chat on a poor connection (small window) that then lets nothing through."""

    device: str

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(OpenChat(self.device, poor_link=True))
        socket = actor.chat.socket(self.device, actor.name)
        socket.stop_reading()


@dataclass(frozen=True)
class GetThroughAgain:
    """The stalled device's connection lets things through again."""

    device: str

    async def perform_as(self, actor: Actor) -> None:
        actor.chat.sockets[self.device].start_reading()


@dataclass(frozen=True)
class NoticeTheNetworkFroze:
    """Their device's network froze now (no close, no reset): noted under NETWORK_FROZE_AT."""

    device: str

    async def perform_as(self, actor: Actor) -> None:
        actor.notes.write(NETWORK_FROZE_AT, time.monotonic())
        actor.note(f"{self.device}'s network froze")


@dataclass(frozen=True)
class AskAndLoseTheConfirmation:
    """Send a question and lose the connection before its confirmation can be read; the
    question is noted under UNCONFIRMED."""

    question: str
    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(OpenChat(self.device))
        socket = actor.chat.socket(self.device, actor.name)
        socket.stop_reading()
        msg_id = await socket.post(self.question)
        await socket.close()
        actor.note(f"lost the connection before question {short_id(msg_id)} was confirmed")
        actor.notes.write(UNCONFIRMED, Unconfirmed(self.question, msg_id))


@dataclass(frozen=True)
class SendTheUnconfirmedAgain:
    """Reconnect if need be and send the unconfirmed question with the same id, as a client
    that never saw the confirmation must. A repeat's run already started, so the device catches
    up on what it has not seen of it; the run is then their last one. The confirmation is noted
    under REPEAT_CONFIRMATION."""

    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        pending, device = actor.notes.read(UNCONFIRMED), self.device
        await actor.attempts_to(
            Ask(pending.question, device=device, client_msg_id=pending.client_msg_id)
        )
        ack = actor.last_ack
        assert ack is not None  # Ask records the confirmation it waited for
        seen_end = any(e.is_final for e in actor.chat.events_on(ack.run_id, device))
        if ack.duplicate and not seen_end:
            await actor.attempts_to(OpenChat(device))
            socket = actor.chat.socket(device, actor.name)
            await socket.resume([(ack.run_id, actor.chat.last_in_order(ack.run_id, device))])
        actor.notes.write(REPEAT_CONFIRMATION, ack)


@dataclass(frozen=True)
class SendTheSameQuestionAgain:
    """Send the last question again with the same id; both confirmations are noted
    (FIRST_CONFIRMATION, REPEAT_CONFIRMATION)."""

    async def perform_as(self, actor: Actor) -> None:
        if actor.last_ack is not None:
            actor.notes.write(FIRST_CONFIRMATION, actor.last_ack)
        await actor.attempts_to(AskAgain())


@dataclass(frozen=True)
class TryToCatchUp:
    """Ask to catch up on one run after `after` on the device; the run is noted under
    CATCH_UP_RUN and the answer (the `resumed` / `resync_required` frame, or the refusal)
    under CATCH_UP_ANSWER."""

    run_id: str
    after: int = 0
    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        actor.notes.write(CATCH_UP_RUN, self.run_id)
        await actor.attempts_to(OpenChat(self.device))
        socket = actor.chat.socket(self.device, actor.name)
        try:
            answers = await socket.resume([(self.run_id, self.after)], timeout=actor.chat.timeout)
        except FrameRefused as refusal:
            actor.note(f"could not catch up: {refusal.code}", kind="error")
            actor.notes.write(CATCH_UP_ANSWER, refusal)
            return
        actor.notes.write(CATCH_UP_ANSWER, answers[self.run_id])


@dataclass(frozen=True)
class ReconnectTo:
    """The device reconnects to that server and catches up there."""

    device: str
    service_url: str

    async def perform_as(self, actor: Actor) -> None:
        actor.chat.serve_from(self.device, self.service_url)
        await actor.attempts_to(Reconnect(self.device))


@dataclass(frozen=True)
class WaitUntilRecorded:
    """Wait until their last run's stored record has an event of that type (and tool)."""

    event_type: str
    tool: str | None = None
    within: float = 10.0

    async def perform_as(self, actor: Actor) -> None:
        event_type, tool = self.event_type, self.tool

        async def stored() -> bool:
            log = await actor.asks_for(TheRecordOfTheRun())
            return any(
                e.get("type") == event_type
                and (tool is None or (e.get("payload") or {}).get("tool") == tool)
                for e in log
            )

        what = f"{event_type} {tool or ''}".strip()
        describe = f"{actor.name}'s record never showed {what}"
        await eventually(stored, timeout=self.within, describe=describe)


@dataclass(frozen=True)
class WaitUntilTheAnswerIsStored:
    """Wait until their conversation's history holds an answer to their last question."""

    within: float = 10.0

    async def perform_as(self, actor: Actor) -> None:
        run_id = actor.last_run.run_id if actor.last_run is not None else None

        async def answered() -> bool:
            return any(
                m.role == "assistant" and m.run_id == run_id
                for m in await actor.asks_for(TheMessages())
            )

        describe = f"{actor.name}'s history never showed the answer"
        await eventually(answered, timeout=self.within, describe=describe)


@dataclass(frozen=True)
class FollowTheAnswerOn:
    """Follow their last run on the device until it ends. When the service closes the chat
    because the pass it was opened with has ended (PASS_ENDED), the device reopens it with its
    current pass and catches up, as the app does; any other end fails."""

    device: str = DEFAULT_DEVICE
    within: float = 10.0

    async def perform_as(self, actor: Actor) -> None:
        run, device = actor.asked_last(), self.device
        socket = actor.chat.connections_of(device)[-1]
        try:
            await socket.run(run.run_id).wait_final(self.within, who=f"{actor.name}'s {device}")
            return
        except StreamStalled:
            if socket.is_open or socket.close_code != CloseCode.PASS_ENDED:
                raise
        await actor.attempts_to(Reconnect(device))
        await actor.asks_for(TheAnswerOn(device, self.within))
