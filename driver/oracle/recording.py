"""What a person's sockets saw, recorded for the oracle: a socket observer that keeps each run's
history (one log per run, one view per socket) and flags at once what is wrong the moment a frame
arrives (ordering, envelope, events after the final). Judging the whole story is
`judging.py`'s; `verifier.py` puts the two together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from driver.client.contract import (
    ACK_KEYS,
    CLOSE_CODES,
    EVENT_TYPES,
    FORBIDDEN_CLOSE_CODE,
    SOCKET_ERROR_CODES,
    TRANSPORT_CLOSE_CODES,
    Frame,
    TimedEvent,
    short_id,
)
from driver.oracle.rules import envelope_problems, is_int


class RunDirectory:
    """Who owns which run and thread, shared by a scenario's cast so a leak names its victim."""

    def __init__(self) -> None:
        self._runs: dict[str, str] = {}
        self._threads: dict[str, str] = {}

    def claim(self, owner: str, *, run_id: str | None = None, thread_id: str | None = None) -> None:
        if run_id is not None:
            self._runs.setdefault(run_id, owner)
        if thread_id is not None:
            self._threads.setdefault(thread_id, owner)

    def owner_of(self, *, run_id: str, thread_id: str | None) -> str | None:
        owner = self._runs.get(run_id)
        if owner is None and thread_id is not None:
            owner = self._threads.get(thread_id)
        return owner


Finding = tuple[str | None, str]  # (run_id it is about, the sentence)


@dataclass
class Segment:
    """A stretch of one socket's view of a run: live from the start, or after a `resumed`."""

    expected_first: int | None  # seq the stretch must start with, when the contract says so
    events: list[TimedEvent] = field(default_factory=list)
    final_seq: int | None = None
    promised_to: int | None = None  # the `to` of the `resumed` frame that opened the stretch


@dataclass
class View:
    socket: str
    run_id: str
    segments: list[Segment] = field(default_factory=lambda: [Segment(expected_first=None)])
    resume_after: int | None = None  # last_seq of a resume sent and not yet answered
    resync: bool = False

    @property
    def events(self) -> list[TimedEvent]:
        return [e for s in self.segments for e in s.events]

    @property
    def saw_final(self) -> bool:
        return any(s.final_seq is not None for s in self.segments)


@dataclass
class RunRecord:
    run_id: str
    thread_id: str | None = None
    log: dict[int, TimedEvent] = field(default_factory=dict)
    final: TimedEvent | None = None
    ack: Frame | None = None
    sender: str | None = None
    sent_at: float | None = None
    answer_checked: bool = False


@dataclass
class SocketRecord:
    opened_at: float
    closed: tuple[int, str] | None = None
    sent: dict[str, float] = field(default_factory=dict)


class StreamRecord:
    """Everything one person's sockets saw, run by run and socket by socket, with what was
    wrong the moment it arrived (the frame-by-frame checks need the order of arrival)."""

    def __init__(self, person: str, *, directory: RunDirectory | None = None) -> None:
        self.person = person
        self.directory = directory or RunDirectory()
        self.found: list[Finding] = []
        self.sockets: dict[str, SocketRecord] = {}
        self.runs: dict[str, RunRecord] = {}
        self.views: dict[tuple[str, str], View] = {}
        self.own_runs: set[str] = set()
        self.own_threads: set[str] = set()
        self.acks: dict[str, Frame] = {}

    # -- what the person knows is theirs
    def learn_run(self, run_id: str, thread_id: str | None = None) -> None:
        self.own_runs.add(run_id)
        self.directory.claim(self.person, run_id=run_id, thread_id=thread_id)
        if thread_id is not None:
            self.learn_thread(thread_id)

    def learn_thread(self, thread_id: str) -> None:
        owner = self.directory.owner_of(run_id="", thread_id=thread_id)
        if owner is not None and owner != self.person:
            self.flag(f"{self.person} was shown {owner}'s conversation {short_id(thread_id)}")
            return
        self.own_threads.add(thread_id)
        self.directory.claim(self.person, thread_id=thread_id)

    def learn_threads(self, thread_ids: Iterable[str]) -> None:
        for thread_id in thread_ids:
            self.learn_thread(thread_id)

    # -- SocketObserver
    def socket_opened(self, socket: str, at: float) -> None:
        self.sockets[socket] = SocketRecord(opened_at=at)

    def frame_sent(self, socket: str, text: str, frame: Frame | None, at: float) -> None:
        if frame is None:
            return
        state = self.socket(socket, at)
        if frame.get("type") == "send" and isinstance(frame.get("client_msg_id"), str):
            state.sent.setdefault(frame["client_msg_id"], at)
        if frame.get("type") == "resume" and isinstance(frame.get("runs"), list):
            for item in frame["runs"]:
                if isinstance(item, dict) and isinstance(item.get("run_id"), str):
                    last_seq = item.get("last_seq")
                    view = self.view(socket, item["run_id"])
                    view.resume_after = last_seq if is_int(last_seq) else None

    def frame_received(self, socket: str, frame: Frame, at: float) -> None:
        self.socket(socket, at)
        kind = frame.get("type")
        if kind in EVENT_TYPES:
            self._on_event(socket, TimedEvent(at, frame))
        elif kind == "ack":
            self._on_ack(socket, frame)
        elif kind in ("resumed", "resync_required"):
            self._on_resume_answer(socket, frame)
        elif kind == "error":
            code, message = frame.get("error"), frame.get("message")
            if code not in SOCKET_ERROR_CODES or not isinstance(message, str):
                self.flag(f"{socket} got an error frame chat.v1 does not define: {clip(frame)}")
        elif kind != "pong":
            self.flag(f"{socket} got a frame of unknown type {kind!r}: {clip(frame)}")

    def frame_unreadable(self, socket: str, raw: str | bytes, at: float) -> None:
        self.flag(f"{socket} got a frame that is not a JSON object: {clip(raw)}")

    def socket_closed(self, socket: str, code: int, reason: str, at: float) -> None:
        self.socket(socket, at).closed = (code, reason)
        if code == FORBIDDEN_CLOSE_CODE:
            self.flag(f"{socket} was closed with {code} (internal error), which chat.v1 forbids")
        elif code not in CLOSE_CODES and code not in TRANSPORT_CLOSE_CODES:
            self.flag(f"{socket} was closed with {code}, a code chat.v1 does not define")

    # -- eager checks, frame by frame
    def _on_event(self, socket: str, event: TimedEvent) -> None:
        frame, seq = event.frame, event.seq
        run_id = frame.get("run_id")
        problems = envelope_problems(frame)
        if not isinstance(run_id, str) or seq is None:
            self.flag(f"{socket} got an agent event it cannot place: {'; '.join(problems)}")
            return
        run = self.runs.setdefault(run_id, RunRecord(run_id))
        name = f"{self.run_name(run)} (seen by {socket})"
        for problem in problems:
            self.flag(f"{name}: {event.describe()} seq {seq} {problem}", run_id)
        thread_id = frame.get("thread_id")
        if isinstance(thread_id, str):
            if run.thread_id is None:
                run.thread_id = thread_id
            elif thread_id != run.thread_id:
                moved = f"from thread {short_id(run.thread_id)} to {short_id(thread_id)}"
                self.flag(f"{name} moved {moved}", run_id)
        self._log(run, event, name)
        self._append(self.view(socket, run_id), event, name)

    def _log(self, run: RunRecord, event: TimedEvent, name: str) -> None:
        """One run has one history: every socket must see the same event at a given seq."""
        seq = event.seq
        assert seq is not None
        known = run.log.setdefault(seq, event)
        if known is not event and (
            known.type != event.type
            or known.frame.get("tool_call_id") != event.frame.get("tool_call_id")
        ):
            self.flag(
                f"{name} has two different events with seq {seq}: "
                f"{known.describe()} and {event.describe()}",
                run.run_id,
            )
        if event.is_final:
            if run.final is None:
                run.final = event
            elif run.final.seq != seq:
                self.flag(
                    f"{name} ended twice: {run.final.describe()} at seq {run.final.seq} "
                    f"and {event.describe()} at seq {seq}",
                    run.run_id,
                )

    def _append(self, view: View, event: TimedEvent, name: str) -> None:
        segment, seq, run_id = view.segments[-1], event.seq, view.run_id
        assert seq is not None
        what = f"{event.describe()} (seq {seq})"
        if segment.final_seq is not None:
            self.flag(f"{name} emitted {what} after its final event", run_id)
        elif segment.events:
            previous = segment.events[-1].seq or 0
            if seq > previous + 1:
                self.flag(f"{name} skipped from seq {previous} to {what}", run_id)
            elif seq <= previous:
                self.flag(f"{name} repeated or went back: {what} after seq {previous}", run_id)
        elif segment.expected_first is not None and seq != segment.expected_first:
            after = segment.expected_first - 1
            self.flag(f"{name} resumed after seq {after} but the replay began at {what}", run_id)
        segment.events.append(event)
        if event.is_final and segment.final_seq is None:
            segment.final_seq = seq

    def _on_ack(self, socket: str, frame: Frame) -> None:
        missing = [k for k in ACK_KEYS if k not in frame]
        msg_id, run_id, thread_id = (
            frame.get("client_msg_id"),
            frame.get("run_id"),
            frame.get("thread_id"),
        )
        if missing or not all(isinstance(v, str) for v in (msg_id, run_id, thread_id)):
            self.flag(f"{socket} got an ack chat.v1 does not define: {clip(frame)}")
            return
        assert isinstance(msg_id, str) and isinstance(run_id, str) and isinstance(thread_id, str)
        self.learn_run(run_id, thread_id)
        first = self.acks.setdefault(msg_id, frame)
        if first is not frame:
            same = all(first.get(k) == frame.get(k) for k in ACK_KEYS if k != "duplicate")
            if not same or frame.get("duplicate") is not True:
                self.flag(
                    f"{self.person} asked the same question twice and the second ack was "
                    f"not the identical duplicate: {clip(first)} then {clip(frame)}",
                    run_id,
                )
            return
        run = self.runs.setdefault(run_id, RunRecord(run_id))
        run.ack, run.sender = frame, socket
        run.sent_at = self.socket(socket, 0.0).sent.get(msg_id)
        if run.thread_id is None:
            run.thread_id = thread_id

    def _on_resume_answer(self, socket: str, frame: Frame) -> None:
        run_id, kind = frame.get("run_id"), frame.get("type")
        if not isinstance(run_id, str):
            self.flag(f"{socket} got a {kind} frame without a run id: {clip(frame)}")
            return
        view = self.view(socket, run_id)
        asked_after = view.resume_after
        view.resume_after = None
        name = (
            f"{self.run_name(self.runs.setdefault(run_id, RunRecord(run_id)))} (seen by {socket})"
        )
        if asked_after is None:
            self.flag(f"{name}: {kind} came though {socket} did not ask to resume it", run_id)
            return
        if kind == "resync_required":
            view.resync = True
            view.segments.append(Segment(expected_first=None))
            return
        start, to = frame.get("from"), frame.get("to")
        if start != asked_after + 1:
            said = f"`resumed` says from {start}"
            self.flag(f"{name} resumed after seq {asked_after} but {said}", run_id)
        if not is_int(to) or to < asked_after:
            self.flag(f"{name} resumed after seq {asked_after} but `resumed` says to {to}", run_id)
            to = None
        view.segments.append(Segment(expected_first=asked_after + 1, promised_to=to))

    # -- helpers
    def is_own(self, run: RunRecord) -> bool:
        owner = self.directory.owner_of(run_id=run.run_id, thread_id=run.thread_id)
        if owner is not None and owner != self.person:
            return False
        return run.run_id in self.own_runs or run.thread_id in self.own_threads

    def run_name(self, run: RunRecord) -> str:
        if self.is_own(run):
            return f"{self.person}'s run {short_id(run.run_id)}"
        return f"run {short_id(run.run_id)}"

    def socket(self, socket: str, at: float) -> SocketRecord:
        return self.sockets.setdefault(socket, SocketRecord(opened_at=at))

    def view(self, socket: str, run_id: str) -> View:
        self.runs.setdefault(run_id, RunRecord(run_id))
        return self.views.setdefault((socket, run_id), View(socket, run_id))

    def flag(self, violation: str, run_id: str | None = None) -> None:
        if (run_id, violation) not in self.found:
            self.found.append((run_id, violation))


def clip(value: object, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
