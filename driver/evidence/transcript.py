"""What everyone in a scenario said and saw, with times, for the report (a socket observer)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field

from driver.client.contract import AGENT_COMPLETED, EVENT_TYPES, Frame, TimedEvent, short_id
from driver.client.stream import describe_close

KINDS = ("said", "event", "answer", "error", "close", "note")


@dataclass(frozen=True)
class Entry:
    t: float  # seconds since the question it belongs to (else the latest one) was asked
    who: str
    kind: str  # one of KINDS
    detail: str
    run_id: str | None = None
    at: float = 0.0  # monotonic clock, for ordering


@dataclass
class _Question:
    who: str
    text: str
    at: float
    run_id: str | None = None
    milestones: dict[str, float] = field(default_factory=dict)


class Transcript:
    def __init__(self, title: str = "") -> None:
        self.title = title
        self.started_at = time.monotonic()
        self.entries: list[Entry] = []
        self._questions: dict[str, _Question] = {}  # by client_msg_id
        self._by_run: dict[str, _Question] = {}
        self._latest_question_at: float | None = None

    def note(self, who: str, detail: str, *, kind: str = "note", at: float | None = None) -> None:
        self._add(who, kind, detail, None, time.monotonic() if at is None else at)

    # -- SocketObserver
    def socket_opened(self, socket: str, at: float) -> None:
        self._add(socket, "note", "connected", None, at)

    def frame_sent(self, socket: str, text: str, frame: Frame | None, at: float) -> None:
        kind = frame.get("type") if frame is not None else None
        if frame is not None and kind == "send" and isinstance(frame.get("client_msg_id"), str):
            question = str(frame.get("text"))
            self._questions.setdefault(frame["client_msg_id"], _Question(socket, question, at))
            self._latest_question_at = at
            self._add(socket, "said", question, None, at)
        elif kind == "resume" and frame is not None:
            runs = frame["runs"] if isinstance(frame.get("runs"), list) else []
            wanted = ", ".join(
                f"{short_id(r.get('run_id'))} after seq {r.get('last_seq')}"
                for r in runs
                if isinstance(r, dict)
            )
            self._add(socket, "note", f"asked to resume {wanted}", None, at)
        elif kind != "ping":
            self._add(socket, "said", f"(raw frame) {_clip(text)}", None, at)

    def frame_received(self, socket: str, frame: Frame, at: float) -> None:
        kind = frame.get("type")
        run_id = frame.get("run_id") if isinstance(frame.get("run_id"), str) else None
        if kind in EVENT_TYPES:
            self._on_event(socket, TimedEvent(at, frame), run_id)
        elif kind == "ack":
            self._on_ack(socket, frame, at)
        elif kind == "error":
            detail = f"{frame.get('error')}: {frame.get('message')}"
            self._add(socket, "error", detail, None, at)
        elif kind in ("resumed", "resync_required"):
            span = f" from {frame.get('from')} to {frame.get('to')}" if kind == "resumed" else ""
            self._add(socket, "note", f"{kind} {short_id(run_id)}{span}", run_id, at)
        elif kind != "pong":
            self._add(socket, "error", f"unknown frame {_clip(frame)}", run_id, at)

    def frame_unreadable(self, socket: str, raw: str | bytes, at: float) -> None:
        self._add(socket, "error", f"unreadable frame {_clip(raw)}", None, at)

    def socket_closed(self, socket: str, code: int, reason: str, at: float) -> None:
        self._add(socket, "close", describe_close(code, reason), None, at)

    # -- for the report
    def timings(self) -> list[dict[str, object]]:
        """One row per question and milestone: ack, first event, first of each event type,
        final; seconds since the question was asked, as the asking socket saw them."""
        rows: list[dict[str, object]] = []
        for question in self._questions.values():
            for milestone, at in sorted(question.milestones.items(), key=lambda item: item[1]):
                rows.append(
                    {
                        "who": question.who,
                        "question": question.text,
                        "run_id": question.run_id,
                        "milestone": milestone,
                        "seconds": round(at - question.at, 4),
                    }
                )
        return rows

    def timings_table(self) -> str:
        lines = [f"{'who':<24} {'milestone':<18} {'seconds':>8}  question"]
        for row in self.timings():
            lines.append(
                f"{row['who']!s:<24} {row['milestone']!s:<18} {row['seconds']!s:>8}  "
                f"{_clip(row['question'], 60)}"
            )
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {
                "title": self.title,
                "entries": [asdict(e) for e in sorted(self.entries, key=lambda e: e.at)],
                "timings": self.timings(),
            },
            indent=2,
            ensure_ascii=False,
        )

    def render(self) -> str:
        """The transcript as a reader would want it in a failure message."""
        return "\n".join(
            f"{e.t:+8.3f} s  {e.who}  {e.kind}: {_clip(' '.join(e.detail.split()), 160)}"
            for e in sorted(self.entries, key=lambda e: e.at)
        )

    # -- internals
    def _on_ack(self, socket: str, frame: Frame, at: float) -> None:
        question = self._questions.get(str(frame.get("client_msg_id")))
        run_id = frame.get("run_id") if isinstance(frame.get("run_id"), str) else None
        duplicate = " (duplicate)" if frame.get("duplicate") is True else ""
        if question is not None and run_id is not None and question.run_id is None:
            question.run_id = run_id
            question.milestones.setdefault("ack", at)
            self._by_run[run_id] = question
        self._add(socket, "note", f"question stored{duplicate}, run {short_id(run_id)}", run_id, at)

    def _on_event(self, socket: str, event: TimedEvent, run_id: str | None) -> None:
        question = self._by_run.get(run_id) if run_id is not None else None
        if question is not None and socket == question.who:
            question.milestones.setdefault("first event", event.at)
            question.milestones.setdefault(event.type, event.at)
            if event.is_final:
                question.milestones.setdefault("final", event.at)
        payload = event.payload
        if event.type == AGENT_COMPLETED:
            self._add(socket, "answer", str(payload.get("text")), run_id, event.at)
            return
        detail = f"{event.describe()} (seq {event.seq})"
        extra = payload.get("text") or payload.get("summary") or payload.get("message")
        if extra:
            detail += f": {_clip(extra, 160)}"
        self._add(socket, "event", detail, run_id, event.at)

    def _add(self, who: str, kind: str, detail: str, run_id: str | None, at: float) -> None:
        question = self._by_run.get(run_id) if run_id is not None else None
        origin = question.at if question is not None else self._latest_question_at
        t = at - (origin if origin is not None else self.started_at)
        self.entries.append(Entry(round(t, 4), who, kind, detail, run_id, at))


def _clip(value: object, limit: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
