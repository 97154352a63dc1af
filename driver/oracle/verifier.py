"""Checks every run stream a person's sockets see against the chat.v1 invariants.

It is a socket observer: it sees each frame as it arrives and flags what is wrong at once
(ordering, envelope, events after the final). What depends on knowing the whole story (whose run
it was, whether it finished, tool pairing) is judged in `violations` / `assert_clean`, so that a
frame racing its ack never causes a false alarm. Invariant 5 needs HTTP, so the actor fetches the
messages and hands them to `check_answer_visible`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from driver.client.contract import (
    ACK_KEYS,
    AGENT_COMPLETED,
    AGENT_STARTED,
    CLOSE_CODES,
    EVENT_TYPES,
    FORBIDDEN_CLOSE_CODE,
    SOCKET_ERROR_CODES,
    TRANSPORT_CLOSE_CODES,
    Frame,
    TimedEvent,
    short_id,
)
from driver.client.models import Message
from driver.oracle.rules import (
    envelope_problems,
    is_int,
    missing_types,
    pairing_problems,
    place_problems,
)


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


_Finding = tuple[str | None, str]  # (run_id it is about, the sentence)


@dataclass
class _Segment:
    """A stretch of one socket's view of a run: live from the start, or after a `resumed`."""

    expected_first: int | None  # seq the stretch must start with, when the contract says so
    events: list[TimedEvent] = field(default_factory=list)
    final_seq: int | None = None
    promised_to: int | None = None  # the `to` of the `resumed` frame that opened the stretch


@dataclass
class _View:
    socket: str
    run_id: str
    segments: list[_Segment] = field(default_factory=lambda: [_Segment(expected_first=None)])
    resume_after: int | None = None  # last_seq of a resume sent and not yet answered
    resync: bool = False

    @property
    def events(self) -> list[TimedEvent]:
        return [e for s in self.segments for e in s.events]

    @property
    def saw_final(self) -> bool:
        return any(s.final_seq is not None for s in self.segments)


@dataclass
class _Run:
    run_id: str
    thread_id: str | None = None
    log: dict[int, TimedEvent] = field(default_factory=dict)
    final: TimedEvent | None = None
    ack: Frame | None = None
    sender: str | None = None
    sent_at: float | None = None
    answer_checked: bool = False


@dataclass
class _Socket:
    opened_at: float
    closed: tuple[int, str] | None = None
    sent: dict[str, float] = field(default_factory=dict)


class StreamVerifier:
    def __init__(self, person: str, *, directory: RunDirectory | None = None) -> None:
        self.person = person
        self.directory = directory or RunDirectory()
        self._found: list[_Finding] = []
        self._sockets: dict[str, _Socket] = {}
        self._runs: dict[str, _Run] = {}
        self._views: dict[tuple[str, str], _View] = {}
        self._own_runs: set[str] = set()
        self._own_threads: set[str] = set()
        self._acks: dict[str, Frame] = {}

    # -- what the person knows is theirs
    def learn_run(self, run_id: str, thread_id: str | None = None) -> None:
        self._own_runs.add(run_id)
        self.directory.claim(self.person, run_id=run_id, thread_id=thread_id)
        if thread_id is not None:
            self.learn_thread(thread_id)

    def learn_thread(self, thread_id: str) -> None:
        owner = self.directory.owner_of(run_id="", thread_id=thread_id)
        if owner is not None and owner != self.person:
            self._flag(f"{self.person} was shown {owner}'s conversation {short_id(thread_id)}")
            return
        self._own_threads.add(thread_id)
        self.directory.claim(self.person, thread_id=thread_id)

    def learn_threads(self, thread_ids: Iterable[str]) -> None:
        for thread_id in thread_ids:
            self.learn_thread(thread_id)

    # -- SocketObserver
    def socket_opened(self, socket: str, at: float) -> None:
        self._sockets[socket] = _Socket(opened_at=at)

    def frame_sent(self, socket: str, text: str, frame: Frame | None, at: float) -> None:
        if frame is None:
            return
        state = self._socket(socket, at)
        if frame.get("type") == "send" and isinstance(frame.get("client_msg_id"), str):
            state.sent.setdefault(frame["client_msg_id"], at)
        if frame.get("type") == "resume" and isinstance(frame.get("runs"), list):
            for item in frame["runs"]:
                if isinstance(item, dict) and isinstance(item.get("run_id"), str):
                    last_seq = item.get("last_seq")
                    view = self._view(socket, item["run_id"])
                    view.resume_after = last_seq if is_int(last_seq) else None

    def frame_received(self, socket: str, frame: Frame, at: float) -> None:
        self._socket(socket, at)
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
                self._flag(f"{socket} got an error frame chat.v1 does not define: {_clip(frame)}")
        elif kind != "pong":
            self._flag(f"{socket} got a frame of unknown type {kind!r}: {_clip(frame)}")

    def frame_unreadable(self, socket: str, raw: str | bytes, at: float) -> None:
        self._flag(f"{socket} got a frame that is not a JSON object: {_clip(raw)}")

    def socket_closed(self, socket: str, code: int, reason: str, at: float) -> None:
        self._socket(socket, at).closed = (code, reason)
        if code == FORBIDDEN_CLOSE_CODE:
            self._flag(f"{socket} was closed with {code} (internal error), which chat.v1 forbids")
        elif code not in CLOSE_CODES and code not in TRANSPORT_CLOSE_CODES:
            self._flag(f"{socket} was closed with {code}, a code chat.v1 does not define")

    # -- invariant 5, fed by the person over HTTP
    def answers_to_check(self) -> list[tuple[str, str]]:
        """(run_id, thread_id) of the person's completed runs whose answer was not yet looked up."""
        due = []
        for run in self._runs.values():
            completed = run.final is not None and run.final.type == AGENT_COMPLETED
            if completed and run.thread_id and not run.answer_checked and self._is_own(run):
                due.append((run.run_id, run.thread_id))
        return due

    def check_answer_visible(self, run_id: str, messages: Sequence[Message]) -> None:
        """Invariant 5: the thread's messages show the answer agent_completed announced."""
        run = self._runs.get(run_id)
        if run is None or run.final is None or run.final.type != AGENT_COMPLETED:
            return
        run.answer_checked = True
        message_id, text = run.final.payload.get("final_message_id"), run.final.payload.get("text")
        name = self._run_name(run)
        found = next((m for m in messages if m.message_id == message_id), None)
        if found is None:
            self._flag(
                f"{name} finished, but the thread's messages do not show its answer "
                f"(message {short_id(message_id)})",
                run_id,
            )
        elif found.role != "assistant" or found.text != text:
            self._flag(
                f"{name} finished with {_clip(text)}, but the thread shows "
                f"{found.role} message {_clip(found.text)}",
                run_id,
            )
        elif found.run_id not in (None, run.run_id):
            self._flag(f"{name}'s answer is filed under run {short_id(found.run_id)}", run_id)

    # -- the verdict
    @property
    def violations(self) -> list[str]:
        return self.findings(require_finished=True)

    def findings(self, *, require_finished: bool, run_id: str | None = None) -> list[str]:
        """Everything wrong so far (only about that run, if given); `require_finished` also
        flags runs a still-open socket saw start but never saw end."""
        late = self._isolation() + self._starts() + self._whole_runs() + self._same_question()
        late += self._resumes_of_others() + self._replays(require_finished)
        if require_finished:
            late += self._unfinished()
        found: list[str] = []
        for about, sentence in self._found + late:
            if (run_id is None or about == run_id) and sentence not in found:
                found.append(sentence)
        return found

    def assert_clean(self, *, require_finished: bool = True) -> None:
        found = self.findings(require_finished=require_finished)
        if found:
            lines = "\n".join(f"  - {v}" for v in found)
            raise AssertionError(f"What {self.person} saw broke the chat.v1 contract:\n{lines}")

    # -- eager checks, frame by frame
    def _on_event(self, socket: str, event: TimedEvent) -> None:
        frame, seq = event.frame, event.seq
        run_id = frame.get("run_id")
        problems = envelope_problems(frame)
        if not isinstance(run_id, str) or seq is None:
            self._flag(f"{socket} got an agent event it cannot place: {'; '.join(problems)}")
            return
        run = self._runs.setdefault(run_id, _Run(run_id))
        name = f"{self._run_name(run)} (seen by {socket})"
        for problem in problems:
            self._flag(f"{name}: {event.describe()} seq {seq} {problem}", run_id)
        thread_id = frame.get("thread_id")
        if isinstance(thread_id, str):
            if run.thread_id is None:
                run.thread_id = thread_id
            elif thread_id != run.thread_id:
                moved = f"from thread {short_id(run.thread_id)} to {short_id(thread_id)}"
                self._flag(f"{name} moved {moved}", run_id)
        self._log(run, event, name)
        self._append(self._view(socket, run_id), event, name)

    def _log(self, run: _Run, event: TimedEvent, name: str) -> None:
        """One run has one history: every socket must see the same event at a given seq."""
        seq = event.seq
        assert seq is not None
        known = run.log.setdefault(seq, event)
        if known is not event and (
            known.type != event.type
            or known.frame.get("tool_call_id") != event.frame.get("tool_call_id")
        ):
            self._flag(
                f"{name} has two different events with seq {seq}: "
                f"{known.describe()} and {event.describe()}",
                run.run_id,
            )
        if event.is_final:
            if run.final is None:
                run.final = event
            elif run.final.seq != seq:
                self._flag(
                    f"{name} ended twice: {run.final.describe()} at seq {run.final.seq} "
                    f"and {event.describe()} at seq {seq}",
                    run.run_id,
                )

    def _append(self, view: _View, event: TimedEvent, name: str) -> None:
        segment, seq, run_id = view.segments[-1], event.seq, view.run_id
        assert seq is not None
        what = f"{event.describe()} (seq {seq})"
        if segment.final_seq is not None:
            self._flag(f"{name} emitted {what} after its final event", run_id)
        elif segment.events:
            previous = segment.events[-1].seq or 0
            if seq > previous + 1:
                self._flag(f"{name} skipped from seq {previous} to {what}", run_id)
            elif seq <= previous:
                self._flag(f"{name} repeated or went back: {what} after seq {previous}", run_id)
        elif segment.expected_first is not None and seq != segment.expected_first:
            after = segment.expected_first - 1
            self._flag(f"{name} resumed after seq {after} but the replay began at {what}", run_id)
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
            self._flag(f"{socket} got an ack chat.v1 does not define: {_clip(frame)}")
            return
        assert isinstance(msg_id, str) and isinstance(run_id, str) and isinstance(thread_id, str)
        self.learn_run(run_id, thread_id)
        first = self._acks.setdefault(msg_id, frame)
        if first is not frame:
            same = all(first.get(k) == frame.get(k) for k in ACK_KEYS if k != "duplicate")
            if not same or frame.get("duplicate") is not True:
                self._flag(
                    f"{self.person} asked the same question twice and the second ack was "
                    f"not the identical duplicate: {_clip(first)} then {_clip(frame)}",
                    run_id,
                )
            return
        run = self._runs.setdefault(run_id, _Run(run_id))
        run.ack, run.sender = frame, socket
        run.sent_at = self._socket(socket, 0.0).sent.get(msg_id)
        if run.thread_id is None:
            run.thread_id = thread_id

    def _on_resume_answer(self, socket: str, frame: Frame) -> None:
        run_id, kind = frame.get("run_id"), frame.get("type")
        if not isinstance(run_id, str):
            self._flag(f"{socket} got a {kind} frame without a run id: {_clip(frame)}")
            return
        view = self._view(socket, run_id)
        asked_after = view.resume_after
        view.resume_after = None
        name = f"{self._run_name(self._runs.setdefault(run_id, _Run(run_id)))} (seen by {socket})"
        if asked_after is None:
            self._flag(f"{name}: {kind} came though {socket} did not ask to resume it", run_id)
            return
        if kind == "resync_required":
            view.resync = True
            view.segments.append(_Segment(expected_first=None))
            return
        start, to = frame.get("from"), frame.get("to")
        if start != asked_after + 1:
            said = f"`resumed` says from {start}"
            self._flag(f"{name} resumed after seq {asked_after} but {said}", run_id)
        if not is_int(to) or to < asked_after:
            self._flag(f"{name} resumed after seq {asked_after} but `resumed` says to {to}", run_id)
            to = None
        view.segments.append(_Segment(expected_first=asked_after + 1, promised_to=to))

    # -- late checks, on the whole story
    def _isolation(self) -> list[_Finding]:
        """Invariant 4: only the person's own runs reach the person's sockets."""
        found: list[_Finding] = []
        for run in self._runs.values():
            if not run.log or self._is_own(run):
                continue
            sockets = sorted({socket for (socket, run_id) in self._views if run_id == run.run_id})
            owner = self.directory.owner_of(run_id=run.run_id, thread_id=run.thread_id)
            whose = f"{owner}'s" if owner and owner != self.person else "someone else's"
            found.append(
                (
                    run.run_id,
                    f"{' and '.join(sockets)} received {len(run.log)} event(s) of {whose} run "
                    f"{short_id(run.run_id)} (thread {short_id(run.thread_id)}), "
                    f"which is not {self.person}'s",
                )
            )
        return found

    def _starts(self) -> list[_Finding]:
        """Invariant 1 at the start: a socket open before the question sees it from seq 1."""
        found: list[_Finding] = []
        for (socket, run_id), view in self._views.items():
            first = view.segments[0]
            run = self._runs[run_id]
            if not first.events or first.events[0].seq == 1 or not self._is_own(run):
                continue
            opened_at = self._sockets[socket].opened_at
            sent_at = run.sent_at
            was_there = socket == run.sender or (sent_at is not None and opened_at < sent_at)
            if was_there:
                event = first.events[0]
                found.append(
                    (
                        run_id,
                        f"{self._run_name(run)} began on {socket} at seq {event.seq} "
                        f"({event.describe()}) instead of agent_started seq 1",
                    )
                )
        return found

    def _unfinished(self) -> list[_Finding]:
        """Invariant 2: a socket still open that saw a run start, or resumed it, sees it end."""
        found: list[_Finding] = []
        for (socket, run_id), view in self._views.items():
            events = view.events
            run = self._runs[run_id]
            if view.saw_final or view.resync or self._sockets[socket].closed:
                continue
            if not events:
                if not self._resumed_unfinished(view, run):
                    continue
                found.append(
                    (run_id, f"{socket} resumed {self._run_name(run)} but never saw it finish")
                )
                continue
            if not self._is_own(run):
                continue  # someone else's run: the isolation finding says all there is to say
            last = events[-1]
            found.append(
                (
                    run_id,
                    f"{socket} never saw {self._run_name(run)} finish "
                    f"(last event: {last.describe()}, seq {last.seq})",
                )
            )
        return found

    @staticmethod
    def _resumed_unfinished(view: _View, run: _Run) -> bool:
        """The socket resumed the run after a seq before its end (as far as anyone saw)."""
        last = view.segments[-1]
        if last.expected_first is None:
            return False
        final_seq = run.final.seq if run.final is not None else None
        return final_seq is None or final_seq >= last.expected_first

    def _resumes_of_others(self) -> list[_Finding]:
        """Invariant 4 for resumes: nobody is told anything about a run that is not theirs."""
        found: list[_Finding] = []
        for (socket, run_id), view in self._views.items():
            run = self._runs[run_id]
            answered = view.resync or any(s.expected_first is not None for s in view.segments)
            owner = self.directory.owner_of(run_id=run_id, thread_id=run.thread_id)
            if answered and owner is not None and owner != self.person:
                found.append(
                    (run_id, f"{socket} was answered about {owner}'s run {short_id(run_id)}")
                )
        return found

    def _replays(self, require_finished: bool) -> list[_Finding]:
        """Invariant 6: a replay delivers every event it announced (`from`..`to`)."""
        found: list[_Finding] = []
        for (socket, run_id), view in self._views.items():
            closed = self._sockets[socket].closed is not None
            for segment in view.segments:
                if segment.expected_first is None or segment.promised_to is None:
                    continue
                reached = segment.events[-1].seq if segment.events else None
                reached = reached or segment.expected_first - 1
                ended_early = segment.final_seq is not None and segment.final_seq < (
                    segment.promised_to
                )
                if reached >= segment.promised_to and not ended_early:
                    continue
                if ended_early or (require_finished and not closed):
                    name = self._run_name(self._runs[run_id])
                    found.append(
                        (
                            run_id,
                            f"{socket} was promised {name}'s events {segment.expected_first} to "
                            f"{segment.promised_to} but the replay stopped at seq {reached}",
                        )
                    )
        return found

    def _whole_runs(self) -> list[_Finding]:
        """Invariants 3 and 7 on each run whose events from seq 1 to the final are all known."""
        found: list[_Finding] = []
        for run in self._runs.values():
            if run.final is None or run.final.seq is None:
                continue
            seqs = range(1, run.final.seq + 1)
            if any(s not in run.log for s in seqs):
                continue
            name, events = self._run_name(run), [run.log[s] for s in seqs]
            sentences = pairing_problems(name, events) + place_problems(name, events)
            if run.final.type == AGENT_COMPLETED:
                sentences += missing_types(name, events)
            started, ack = events[0], run.ack
            if ack is not None and started.type == AGENT_STARTED:
                said = (
                    started.payload.get("client_msg_id"),
                    started.payload.get("input_message_id"),
                )
                if said != (ack.get("client_msg_id"), ack.get("message_id")):
                    sentences.append(
                        f"{name} started for message {short_id(said[1])} but the ack named "
                        f"message {short_id(ack.get('message_id'))}"
                    )
            found += [(run.run_id, sentence) for sentence in sentences]
        return found

    def _same_question(self) -> list[_Finding]:
        """One question (client_msg_id) starts at most one run, however often it is sent."""
        runs_by_question: dict[str, set[str]] = {}
        for run in self._runs.values():
            started = run.log.get(1)
            if started is not None and started.type == AGENT_STARTED and self._is_own(run):
                question = str(started.payload.get("client_msg_id"))
                runs_by_question.setdefault(question, set()).add(run.run_id)
        found: list[_Finding] = []
        for question, runs in runs_by_question.items():
            if len(runs) > 1:
                listed = ", ".join(short_id(r) for r in sorted(runs))
                sentence = (
                    f"{self.person} asked one question ({short_id(question)}) and it started "
                    f"{len(runs)} runs: {listed}"
                )
                found += [(run_id, sentence) for run_id in sorted(runs)]
        return found

    # -- helpers
    def _is_own(self, run: _Run) -> bool:
        owner = self.directory.owner_of(run_id=run.run_id, thread_id=run.thread_id)
        if owner is not None and owner != self.person:
            return False
        return run.run_id in self._own_runs or run.thread_id in self._own_threads

    def _run_name(self, run: _Run) -> str:
        if self._is_own(run):
            return f"{self.person}'s run {short_id(run.run_id)}"
        return f"run {short_id(run.run_id)}"

    def _socket(self, socket: str, at: float) -> _Socket:
        return self._sockets.setdefault(socket, _Socket(opened_at=at))

    def _view(self, socket: str, run_id: str) -> _View:
        self._runs.setdefault(run_id, _Run(run_id))
        return self._views.setdefault((socket, run_id), _View(socket, run_id))

    def _flag(self, violation: str, run_id: str | None = None) -> None:
        if (run_id, violation) not in self._found:
            self._found.append((run_id, violation))


def _clip(value: object, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
