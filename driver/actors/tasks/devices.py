"""Tasks of the chat on devices: opening it, closing it, reopening it and catching up, being
turned away."""

from __future__ import annotations

import time
from dataclasses import dataclass

from driver.actors.actor import DEFAULT_DEVICE, Actor, Task
from driver.actors.notepad import Note
from driver.client.contract import ErrorCode
from driver.client.errors import HandshakeRefused
from driver.client.eventually import eventually
from driver.client.socket import ChatSocket

TURNED_AWAY = Note[HandshakeRefused | None]("whether her chat was let open (None) or turned away")


@dataclass(frozen=True)
class OpenChat:
    """Open the chat on a device (its open connection if it has one), with the device's pass;
    as a browser page at `origin` if `browser`; `poor_link`: a small window, no compression.
    The connection is the device's from then on (the question TheChatOn)."""

    device: str = DEFAULT_DEVICE
    origin: str | None = None
    browser: bool = False
    poor_link: bool = False

    async def perform_as(self, actor: Actor) -> None:
        await actor.chat.open(
            self.device,
            who=actor.name,
            access_token=actor.pass_for(self.device),
            observers=(actor.verifier, actor.lookout, actor.transcript),
            origin=self.origin,
            browser=self.browser,
            poor_link=self.poor_link,
        )


@dataclass(frozen=True)
class CloseChat:
    """Close the chat on that device (normal closure)."""

    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        await actor.chat.close(self.device)


@dataclass(frozen=True)
class Leave:
    """Close every open connection (normal closure)."""

    async def perform_as(self, actor: Actor) -> None:
        await actor.chat.close_all()


@dataclass(frozen=True)
class Reconnect:
    """Open the device again and ask for what it missed: each run it saw or asked, and each run
    asked elsewhere while it was open, that it has not seen end, after the last event it saw in
    order (each run is answered `resumed` or `resync_required`)."""

    device: str = DEFAULT_DEVICE
    resume: bool = True

    async def perform_as(self, actor: Actor) -> None:
        chat, device = actor.chat, self.device
        old = chat.sockets.get(device)
        if old is not None and old.is_open:
            await old.close()
        before = chat.streams_on(device)
        await OpenChat(device).perform_as(actor)
        socket = chat.socket(device, actor.name)
        if old is None or not self.resume:
            return
        opened_at = min(s.opened_at for s in chat.connections_of(device))
        candidates = [s for s in before if s.events or s.asked_at is not None]
        candidates += [
            s
            for other in chat.connections()
            for s in other.streams.values()
            if s.asked_at is not None and s.asked_at >= opened_at
        ]
        seen_end = {s.run_id for s in before if s.final is not None}
        missed = {s.run_id: s for s in candidates if s.run_id not in seen_end}
        if not missed:
            return
        for run_id in missed:
            fresh = socket.run(run_id)
            asked = next((s for s in chat.streams_of(run_id) if s.asked_at is not None), None)
            if asked is not None and asked.question is not None and asked.asked_at is not None:
                fresh.mark_asked(asked.question, asked.asked_at)
            if actor.last_run is not None and actor.last_run in before:
                if actor.last_run.run_id == run_id:
                    actor.last_run = fresh
        last_seen = [(run_id, chat.last_in_order(run_id, device)) for run_id in missed]
        await socket.resume(last_seen)


@dataclass(frozen=True)
class TryToOpenChat:
    """Open the chat showing `token` (None: no pass at all) from `origin`, expecting to be
    turned away; the refusal is noted under TURNED_AWAY. `what` names what they showed, for the
    transcript."""

    token: str | None
    what: str
    origin: str | None = None
    browser: bool = False
    name_version: bool = True  # a browser names chat.v1 beside its pass

    @classmethod
    def without_a_pass(cls, *, origin: str | None = None) -> TryToOpenChat:
        return cls(None, "no pass", origin)

    @classmethod
    def showing(
        cls, token: str, *, origin: str | None = None, browser: bool = False
    ) -> TryToOpenChat:
        return cls(token, "that pass", origin, browser)

    async def perform_as(self, actor: Actor) -> None:
        try:
            socket = await ChatSocket.connect(
                actor.chat.ws_url,
                access_token=self.token,
                origin=self.origin,
                use_subprotocol=self.browser,
                name_version=self.name_version,
                name=f"{actor.name}'s attempt with {self.what}",
            )
        except HandshakeRefused as refusal:
            actor.note(f"was turned away with {self.what}: {refusal.status} {refusal.code}")
            actor.notes.write(TURNED_AWAY, refusal)
            return
        await socket.close()
        raise AssertionError(f"{actor.name} was let into the chat with {self.what}")


@dataclass(frozen=True)
class TryToOpenChatFrom:
    """Open the chat with their valid pass from a web page at `origin`, expecting a refusal
    (noted under TURNED_AWAY)."""

    origin: str
    browser: bool = True

    async def perform_as(self, actor: Actor) -> None:
        attempt = TryToOpenChat(
            actor.access_token, f"a page on {self.origin}", self.origin, self.browser
        )
        await attempt.perform_as(actor)


@dataclass(frozen=True)
class TakeAFreedPlace:
    """A device vanished (its network froze at `since`, time.monotonic()): open the chat on
    `device` until the service lets it in (a place was freed), then close it again. Only "too
    many chats open" is waited out; past `within` seconds, an AssertionError naming the last
    refusal."""

    device: str
    since: float
    within: float

    async def perform_as(self, actor: Actor) -> None:
        device = self.device

        async def admitted() -> None:
            try:
                await actor.attempts_to(OpenChat(device))
            except HandshakeRefused as refused:
                if refused.code != ErrorCode.TOO_MANY_CHATS:
                    raise
                raise AssertionError(
                    f"{actor.name}'s {device} was refused: {refused.message}"
                ) from None

        await eventually(
            admitted,
            timeout=max(0.0, self.since + self.within - time.monotonic()),
            interval=0.1,
            describe=f"{actor.name}'s {device} never got a place among her open chats",
        )
        taken = time.monotonic() - self.since
        actor.note(f"{device} took a freed place {taken:.1f} s after the other device vanished")
        await actor.attempts_to(CloseChat(device))


@dataclass(frozen=True)
class ReconnectWhenAPlaceIsFree:
    """Reconnect `device` and catch up; a place another device just gave back may take a moment
    to be counted free, so "too many chats open" is waited out for `within` seconds."""

    device: str
    within: float

    async def perform_as(self, actor: Actor) -> None:
        async def reconnected() -> None:
            try:
                await actor.attempts_to(Reconnect(self.device))
            except HandshakeRefused as refused:
                if refused.code != ErrorCode.TOO_MANY_CHATS:
                    raise
                raise AssertionError(f"refused: {refused.message}") from None

        await eventually(
            reconnected,
            timeout=self.within,
            interval=0.1,
            describe=f"{actor.name}'s {self.device} never got back in",
        )


@dataclass(frozen=True)
class TryToOpenChatOn:
    """Open the chat on that device with the device's own pass, as it may be turned away;
    why it was (or None: let in) is noted under TURNED_AWAY."""

    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        await note_whether_let_in(actor, OpenChat(self.device))


async def note_whether_let_in(actor: Actor, opening: Task) -> None:
    """Perform a task that opens a chat, as it may be turned away: the refusal (or None: let
    in) is noted under TURNED_AWAY."""
    try:
        await actor.attempts_to(opening)
    except HandshakeRefused as refused:
        actor.notes.write(TURNED_AWAY, refused)
        return
    actor.notes.write(TURNED_AWAY, None)
