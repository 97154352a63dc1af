"""Tasks of a conversation: asking the assistant, asking again, asking where one may not."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.notepad import Note
from driver.actors.tasks.devices import OpenChat
from driver.client.contract import short_id
from driver.client.errors import SendRefused
from driver.client.models import Ack

# The confirmation of the question sent again (AskAgain), and why asking where one may not was
# refused (TryToAskIn).
REPEAT_CONFIRMATION = Note[Ack]("the confirmation of her question sent again")
ASK_REFUSED = Note[SendRefused]("why she could not ask in that conversation")


@dataclass(frozen=True)
class Ask:
    """Ask the assistant (a new conversation unless `follow_up`) and wait until the service
    confirms it stored the question; the run, as the device follows it, is their last
    (the question TheRunAsked)."""

    question: str
    follow_up: bool = False
    device: str = DEFAULT_DEVICE
    client_msg_id: str | None = None

    async def perform_as(self, actor: Actor) -> None:
        thread_id = None
        if self.follow_up:
            if actor.current_thread is None:
                raise AssertionError(f"{actor.name} has no conversation to continue")
            thread_id = actor.current_thread
        await OpenChat(self.device).perform_as(actor)
        socket = actor.chat.socket(self.device, actor.name)
        timeout = actor.chat.timeout
        try:
            ack = await socket.send(
                self.question,
                thread_id=thread_id,
                client_msg_id=self.client_msg_id,
                timeout=timeout,
            )
        except TimeoutError:
            raise AssertionError(
                f"{actor.name} asked {self.question!r} but the service never confirmed it "
                f"within {timeout:g} s"
            ) from None
        actor.current_thread, actor.last_ack = ack.thread_id, ack
        actor.last_run = socket.run(ack.run_id)


@dataclass(frozen=True)
class ContinueLatestConversation:
    """On that device, open the latest conversation of the history (as the app lists it, with
    that device's own pass) and ask in it."""

    device: str
    question: str

    async def perform_as(self, actor: Actor) -> None:
        threads = await actor.api.threads(actor.pass_for(self.device))
        if not threads:
            raise AssertionError(f"{actor.name}'s {self.device} finds no earlier conversation")
        actor.current_thread = threads[0].thread_id
        await Ask(self.question, follow_up=True, device=self.device).perform_as(actor)


@dataclass(frozen=True)
class AskAgain:
    """Send the last question again with the same id, as a client unsure it arrived does; the
    confirmation is noted under REPEAT_CONFIRMATION."""

    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        last = actor.last_ack
        if last is None or actor.last_run is None or actor.last_run.question is None:
            raise AssertionError(f"{actor.name} has not asked anything yet")
        await OpenChat(self.device).perform_as(actor)
        socket = actor.chat.socket(self.device, actor.name)
        again = await socket.send(
            actor.last_run.question,
            thread_id=last.thread_id,
            client_msg_id=last.client_msg_id,
            timeout=actor.chat.timeout,
        )
        actor.notes.write(REPEAT_CONFIRMATION, again)


@dataclass(frozen=True)
class TryToAskIn:
    """Ask inside a conversation that is not theirs, expecting a refusal (noted under
    ASK_REFUSED)."""

    thread_id: str
    question: str
    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        await OpenChat(self.device).perform_as(actor)
        socket = actor.chat.socket(self.device, actor.name)
        try:
            ack = await socket.send(
                self.question, thread_id=self.thread_id, timeout=actor.chat.timeout
            )
        except SendRefused as refusal:
            actor.note(f"was refused: {refusal.code}", kind="error")
            actor.notes.write(ASK_REFUSED, refusal)
            return
        raise AssertionError(
            f"{actor.name} could ask in conversation {short_id(self.thread_id)}, which is not "
            f"theirs (run {short_id(ack.run_id)} started)"
        )
