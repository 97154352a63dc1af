"""A person using the chat: the actor a step definition calls, with one line per step.

Tasks change the world (sign_in, ask, reconnect); questions look at it (events_seen, threads).
Every socket a person opens reports to their StreamVerifier and to the scenario's Transcript.
"""

# Waits take an explicit timeout because it is part of the failure message a reader sees.
# ruff: noqa: ASYNC109

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from driver.answers import own_spend, stated_total
from driver.api import ChatApi
from driver.contract import AGENT_COMPLETED, AGENT_ERROR, Frame, TimedEvent, short_id
from driver.errors import ApiError, HandshakeRefused, SendRefused, SocketClosed
from driver.models import Ack, ErrorFrame, Message, Thread, Tokens
from driver.socket import ChatSocket
from driver.stream import RunStream, StreamStalled
from driver.transcript import Transcript
from driver.verifier import RunDirectory, StreamVerifier

DEFAULT_DEVICE = "laptop"


class Person:
    def __init__(
        self,
        name: str,
        email: str,
        password: str,
        api: ChatApi,
        ws_url: str,
        transcript: Transcript,
        *,
        directory: RunDirectory | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.name = name
        self.email = email
        self.password = password
        self.api = api
        self.ws_url = ws_url
        self.transcript = transcript
        self.timeout = timeout
        self.verifier = StreamVerifier(name, directory=directory)
        self.user_id: str | None = None
        self.tokens: Tokens | None = None
        self.sockets: dict[str, ChatSocket] = {}  # the latest socket of each device
        self.current_thread: str | None = None
        self.last_ack: Ack | None = None
        self.last_run: RunStream | None = None
        self._opened: list[tuple[str, ChatSocket]] = []  # every connection, by device
        # Devices signed in on their own (their own session) or served by another instance.
        self.device_passes: dict[str, Tokens] = {}
        self.device_ws_urls: dict[str, str] = {}
        self.usage: list[Mapping[str, Any]] = []  # every usage record they uploaded

    def __repr__(self) -> str:
        return f"Person({self.name!r}, {self.email!r})"

    # -- accounts
    def pass_for(self, device: str = DEFAULT_DEVICE) -> str:
        """The pass a device shows: its own sign-in's, else the person's."""
        tokens = self.device_passes.get(device)
        return tokens.access_token if tokens is not None else self.access_token

    @property
    def access_token(self) -> str:
        if self.tokens is None:
            raise AssertionError(f"{self.name} is not signed in")
        return self.tokens.access_token

    async def sign_up(self) -> str:
        self.user_id = await self.api.register(self.email, self.password, self.name)
        self._note("signed up")
        return self.user_id

    async def try_sign_up(self, password: str) -> ApiError | None:
        """Sign up with that password instead of a strong one; the refusal, or None."""
        try:
            self.user_id = await self.api.register(self.email, password, self.name)
        except ApiError as refusal:
            self._note(f"could not sign up: {refusal.code}", kind="error")
            return refusal
        self.password = password
        self._note("signed up")
        return None

    async def sign_in(self) -> Tokens:
        self.tokens = await self.api.login(self.email, self.password)
        self._note("signed in")
        return self.tokens

    async def try_sign_in(self, password: str | None = None) -> ApiError | None:
        """Sign in with that password (default: the right one); the refusal, or None."""
        try:
            tokens = await self.api.login(
                self.email, self.password if password is None else password
            )
        except ApiError as refusal:
            self._note(f"could not sign in: {refusal.code}", kind="error")
            return refusal
        self.tokens = tokens
        self._note("signed in")
        return None

    async def refresh_pass(self) -> Tokens:
        if self.tokens is None:
            raise AssertionError(f"{self.name} has no pass to refresh")
        self.tokens = await self.api.refresh(self.tokens.refresh_token)
        self._note("refreshed the pass")
        return self.tokens

    async def sign_out(self) -> None:
        await self.api.logout(self.access_token)
        self._note("signed out")

    async def load_usage(self, records: Sequence[Mapping[str, Any]]) -> int:
        accepted = await self.api.post_usage(self.access_token, records)
        self.usage.extend(records)
        self._note(f"loaded {accepted} usage records")
        return accepted

    # -- devices
    async def connect(
        self,
        device: str = DEFAULT_DEVICE,
        *,
        origin: str | None = None,
        browser: bool = False,
        poor_link: bool = False,
    ) -> ChatSocket:
        """Open the chat on a device (a browser puts the pass in the subprotocols; a device
        on a `poor_link` offers a small receive window and no compression)."""
        current = self.sockets.get(device)
        if current is not None and current.is_open:
            return current
        socket = await ChatSocket.connect(
            self.device_ws_urls.get(device, self.ws_url),
            access_token=self.pass_for(device),
            origin=origin,
            use_subprotocol=browser,
            name=self._socket_name(device),
            observers=(self.verifier, self.transcript),
            poor_link=poor_link,
        )
        self.sockets[device] = socket
        self._opened.append((device, socket))
        return socket

    def connections_of(self, device: str = DEFAULT_DEVICE) -> list[ChatSocket]:
        """Every connection that device has had, oldest first."""
        return [socket for name, socket in self._opened if name == device]

    async def disconnect(self, device: str = DEFAULT_DEVICE) -> None:
        socket = self.sockets.get(device)
        if socket is not None:
            await socket.close()

    async def reconnect(
        self, device: str = DEFAULT_DEVICE, *, resume: bool = True
    ) -> dict[str, Frame]:
        """Open the device again and ask for what it missed: each run it saw or asked, and
        each run asked elsewhere while it was open, that it has not seen end, after the last
        event it saw in order. Returns each run's `resumed` / `resync_required` answer."""
        old = self.sockets.get(device)
        if old is not None and old.is_open:
            await old.close()
        before = self._streams_on(device)
        socket = await self.connect(device)
        if old is None or not resume:
            return {}
        opened_at = min(s.opened_at for name, s in self._opened if name == device)
        candidates = [s for s in before if s.events or s.asked_at is not None]
        candidates += [
            s
            for _, other in self._opened
            for s in other.streams.values()
            if s.asked_at is not None and s.asked_at >= opened_at
        ]
        seen_end = {s.run_id for s in before if s.final is not None}
        missed = {s.run_id: s for s in candidates if s.run_id not in seen_end}
        if not missed:
            return {}
        for run_id in missed:
            fresh = socket.run(run_id)
            asked = next((s for s in self._streams_of(run_id) if s.asked_at is not None), None)
            if asked is not None and asked.question is not None and asked.asked_at is not None:
                fresh.mark_asked(asked.question, asked.asked_at)
            if self.last_run is not None and self.last_run in before:
                if self.last_run.run_id == run_id:
                    self.last_run = fresh
        last_seen = [(run_id, self._last_in_order(run_id, device)) for run_id in missed]
        return await socket.resume(last_seen)

    async def wait_disconnected(self, device: str = DEFAULT_DEVICE, timeout: float = 5.0) -> int:
        """Wait until the service closes that device's connection; the close code."""
        socket = self._socket(device)
        try:
            return await socket.wait_closed(timeout)
        except TimeoutError:
            raise AssertionError(
                f"{self.name}'s {device} was still connected after {timeout:g} s"
            ) from None

    async def try_connect_without_pass(self, *, origin: str | None = None) -> HandshakeRefused:
        return await self._expect_refusal(None, origin=origin, what="no pass")

    async def try_connect_with_token(
        self, token: str, *, origin: str | None = None, browser: bool = False
    ) -> HandshakeRefused:
        return await self._expect_refusal(token, origin=origin, browser=browser, what="that pass")

    async def try_connect_from(self, origin: str, *, browser: bool = True) -> HandshakeRefused:
        """Connect with a valid pass from a web page at `origin`, expecting a refusal."""
        return await self._expect_refusal(
            self.access_token, origin=origin, browser=browser, what=f"a page on {origin}"
        )

    # -- conversation
    async def ask(
        self,
        question: str,
        *,
        in_current_thread: bool = False,
        device: str = DEFAULT_DEVICE,
        client_msg_id: str | None = None,
    ) -> RunStream:
        """Ask the assistant (a new conversation unless `in_current_thread`) and wait until the
        service confirms it stored the question; returns the run's stream on that device."""
        thread_id = None
        if in_current_thread:
            if self.current_thread is None:
                raise AssertionError(f"{self.name} has no conversation to continue")
            thread_id = self.current_thread
        socket = await self.connect(device)
        try:
            ack = await socket.send(
                question, thread_id=thread_id, client_msg_id=client_msg_id, timeout=self.timeout
            )
        except TimeoutError:
            raise AssertionError(
                f"{self.name} asked {question!r} but the service never confirmed it "
                f"within {self.timeout:g} s"
            ) from None
        self.current_thread, self.last_ack = ack.thread_id, ack
        self.last_run = socket.run(ack.run_id)
        return self.last_run

    async def continue_latest_on(self, device: str, question: str) -> RunStream:
        """On that device, open the latest conversation of the history (as the app lists it,
        with that device's own pass) and ask in it."""
        threads = await self.api.threads(self.pass_for(device))
        if not threads:
            raise AssertionError(f"{self.name}'s {device} finds no earlier conversation")
        self.current_thread = threads[0].thread_id
        return await self.ask(question, in_current_thread=True, device=device)

    async def ask_again(self, device: str = DEFAULT_DEVICE) -> Ack:
        """Send the last question again with the same id, as a client unsure it arrived does."""
        if self.last_ack is None or self.last_run is None or self.last_run.question is None:
            raise AssertionError(f"{self.name} has not asked anything yet")
        socket = await self.connect(device)
        return await socket.send(
            self.last_run.question,
            thread_id=self.last_ack.thread_id,
            client_msg_id=self.last_ack.client_msg_id,
            timeout=self.timeout,
        )

    async def try_ask_in(
        self, thread_id: str, question: str, *, device: str = DEFAULT_DEVICE
    ) -> SendRefused:
        """Ask inside a conversation that is not theirs, expecting a refusal."""
        socket = await self.connect(device)
        try:
            ack = await socket.send(question, thread_id=thread_id, timeout=self.timeout)
        except SendRefused as refusal:
            self._note(f"was refused: {refusal.code}", kind="error")
            return refusal
        raise AssertionError(
            f"{self.name} could ask in conversation {short_id(thread_id)}, which is not theirs "
            f"(run {short_id(ack.run_id)} started)"
        )

    async def wait_for_answer(self, timeout: float | None = None) -> TimedEvent:
        """The last run's final event. An answer must already be in the history (invariant 5);
        any contract violation of this run fails here, in business words."""
        run = self._last_run()
        limit = self.timeout if timeout is None else timeout
        try:
            final = await run.wait_final(limit, who=self.name)
        except StreamStalled as exc:
            raise StreamStalled(f"{exc}\n{self._transcript_tail()}") from None
        due = dict(self.verifier.answers_to_check())
        if final.type == AGENT_COMPLETED and run.run_id in due:
            self.verifier.check_answer_visible(run.run_id, await self.messages(due[run.run_id]))
        problems = self.verifier.findings(require_finished=False, run_id=run.run_id)
        if problems:
            listed = "\n".join(f"  - {p}" for p in problems)
            raise AssertionError(f"{self.name}'s answer broke the chat.v1 contract:\n{listed}")
        return final

    async def event_within(self, event_type: str, seconds: float) -> TimedEvent:
        """The first event of that type in the last run, seen within `seconds` of asking."""
        return await self._last_run().wait_since_asked(event_type, seconds, who=self.name)

    async def answer_within(self, seconds: float) -> TimedEvent:
        """The last run's final event, seen within `seconds` of asking (then checked as
        `wait_for_answer` checks it)."""
        await self._last_run().wait_since_asked(None, seconds, who=self.name)
        return await self.wait_for_answer(0.0)

    async def wait_for_own_answer(self, timeout: float | None = None) -> str:
        """The last question's answer: an answer (not an error) that states the spend of the
        person's own usage (`own_spend`), not someone else's or nobody's."""
        await self.wait_for_answer(timeout)
        text = self.last_answer_text()
        question = self._last_run().question or ""
        expected, stated = own_spend(self.usage, question), stated_total(text)
        if stated != expected:
            raise AssertionError(
                f"{self.name} was told a spend of {stated}, but {self.name}'s own usage adds up "
                f"to {expected}:\n{text}"
            )
        return text

    async def wait_for_event(self, event_type: str, timeout: float | None = None) -> TimedEvent:
        """The first event of that type in the last run (already seen or still to come)."""
        limit = self.timeout if timeout is None else timeout
        return await self._last_run().wait_for(event_type, limit, who=self.name)

    # -- questions
    def acks(self) -> list[Ack]:
        """Every ack any of the person's connections received, old connections included."""
        return [ack for _, socket in self._opened for ack in socket.acks]

    def errors_seen(self) -> list[ErrorFrame]:
        """Every error frame any of the person's connections received."""
        return [error for _, socket in self._opened for error in socket.errors]

    def events_seen(self) -> list[tuple[str, float]]:
        """The last run's events in order (`tool_executing "usage_report"`), each with the
        seconds since the question was asked."""
        return self._last_run().timeline()

    def event_types_seen(self) -> list[str]:
        return self._last_run().types()

    def last_answer_text(self) -> str:
        run = self._last_run()
        final = run.final
        if final is None:
            raise AssertionError(f"{self.name} has no answer yet ({run.where_it_stopped()})")
        if final.type == AGENT_ERROR:
            payload = final.payload
            raise AssertionError(
                f"{self.name} was told the assistant failed ({payload.get('error')}: "
                f"{payload.get('message')}) instead of getting an answer"
            )
        return str(final.payload.get("text"))

    async def threads(self, *, limit: int | None = None) -> list[Thread]:
        threads = await self.api.threads(self.access_token, limit=limit)
        self.verifier.learn_threads(t.thread_id for t in threads)
        return threads

    async def messages(self, thread_id: str | None = None) -> list[Message]:
        """The messages of a conversation (default: the current one)."""
        thread = thread_id or self.current_thread
        if thread is None:
            raise AssertionError(f"{self.name} has no conversation yet")
        return await self.api.messages(self.access_token, thread)

    async def history(self) -> list[Message]:
        """The current conversation as the service stored it (what reopening it would show)."""
        return await self.messages()

    @property
    def asked_at(self) -> float | None:
        """Monotonic time the last question was sent."""
        return self.last_run.asked_at if self.last_run is not None else None

    async def run_log(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """The stored event log of a run (default: the last one), as the service audits it."""
        run = run_id or self._last_run().run_id
        threads = {e.frame.get("thread_id") for s in self._streams_of(run) for e in s.events}
        known = [t for t in threads if isinstance(t, str)]
        thread = known[0] if known else self.current_thread
        if thread is None:
            raise AssertionError(f"{self.name} has no conversation yet")
        return await self.api.run_events(self.access_token, thread, run)

    async def search(self, words: str) -> list[dict[str, Any]]:
        return await self.api.search(self.access_token, words)

    async def usage_summary(self) -> dict[str, Any]:
        return await self.api.usage_summary(self.access_token)

    # -- the end of a scenario
    async def verify(self, settle_timeout: float = 5.0) -> None:
        """Let runs in flight on open sockets finish (up to `settle_timeout`), check every
        answer is in the history, then raise if anything broke the contract."""
        deadline = time.monotonic() + settle_timeout
        for _, socket in self._opened:
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
        if self.tokens is not None:
            try:
                await self.threads()
                for run_id, thread_id in self.verifier.answers_to_check():
                    self.verifier.check_answer_visible(run_id, await self.messages(thread_id))
            except ApiError as exc:  # signed out or the service is down: ask no more
                self._note(f"could not look at the history to verify: {exc}", kind="note")
        self.verifier.assert_clean()

    async def leave(self) -> None:
        """Close every open connection (normal closure)."""
        for _, socket in self._opened:
            if socket.is_open:
                await socket.close()

    # -- internals
    def _last_run(self) -> RunStream:
        if self.last_run is None:
            raise AssertionError(f"{self.name} has not asked anything yet")
        return self.last_run

    def _socket(self, device: str) -> ChatSocket:
        socket = self.sockets.get(device)
        if socket is None:
            raise AssertionError(f"{self.name} never opened the chat on a {device}")
        return socket

    def _socket_name(self, device: str) -> str:
        opened_before = sum(1 for name, _ in self._opened if name == device)
        suffix = f" (connection {opened_before + 1})" if opened_before else ""
        return f"{self.name}'s {device}{suffix}"

    def _streams_of(self, run_id: str) -> list[RunStream]:
        return [s.streams[run_id] for _, s in self._opened if run_id in s.streams]

    def _streams_on(self, device: str) -> list[RunStream]:
        """Every run stream of every connection this device has had."""
        return [s for sock in self.connections_of(device) for s in sock.streams.values()]

    def _last_in_order(self, run_id: str, device: str | None = None) -> int:
        """The highest seq seen (on that device's connections, or any) without a gap from 1:
        what to resume after."""
        streams = self._streams_of(run_id)
        if device is not None:
            streams = [s for s in self._streams_on(device) if s.run_id == run_id]
        seen = {e.seq for stream in streams for e in stream.events}
        last = 0
        while last + 1 in seen:
            last += 1
        return last

    async def _expect_refusal(
        self, token: str | None, *, origin: str | None, what: str, browser: bool = False
    ) -> HandshakeRefused:
        try:
            socket = await ChatSocket.connect(
                self.ws_url,
                access_token=token,
                origin=origin,
                use_subprotocol=browser,
                name=f"{self.name}'s attempt with {what}",
            )
        except HandshakeRefused as refusal:
            self._note(f"was turned away with {what}: {refusal.status} {refusal.code}")
            return refusal
        await socket.close()
        raise AssertionError(f"{self.name} was let into the chat with {what}")

    def _note(self, detail: str, *, kind: str = "note") -> None:
        self.transcript.note(self.name, detail, kind=kind)

    def _transcript_tail(self, lines: int = 15) -> str:
        tail = self.transcript.render().splitlines()[-lines:]
        return "Transcript (latest lines):\n" + "\n".join(tail)
