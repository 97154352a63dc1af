"""Whether a load run kept its promise (load/promises.py): one check per promised figure, each
kept or missed, as a table and one summary line. Pure: the figures come from Locust's stats
(load/locustfile.py reads them on the master) or from a file written by an earlier run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from load.fates import all_answered
from load.promises import Promise
from load.stream import ANSWERED

# Entries (request types) that fail the run besides the fates: contract violations, chats
# closed while no question was open.
FAILING_TYPES = ("contract", "closed while idle")


@dataclass(frozen=True)
class Measured:
    """What a run measured, seconds from what the person did; None: nothing was measured."""

    first_progress_p99_s: float | None
    answer_p99_s: float | None
    longest_silence_s: float | None
    chat_open_p99_s: float | None
    fates: Mapping[str, int]  # questions per fate (load/stream.py)
    # What fails a run besides the fates: contract violations, chats closed while idle.
    failing: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    figure: str  # "first progress p99"
    bound: str  # "<= 100 ms"
    measured: str  # "161 ms"
    kept: bool
    ms: float = 0.0  # the measured figure, for Locust's entry (0 when it is not a time)

    @property
    def label(self) -> str:
        return f"{self.figure} {self.bound}"

    @property
    def missed(self) -> str:
        return f"{self.figure} {self.measured}, promised {self.bound}"


@dataclass(frozen=True)
class Verdict:
    promise: Promise
    checks: tuple[Check, ...]

    @property
    def kept(self) -> bool:
        return all(c.kept for c in self.checks)

    @property
    def summary(self) -> str:
        """The one line a console ends with."""
        missed = [c for c in self.checks if not c.kept]
        if not missed:
            return f"promises: all {len(self.checks)} kept ({self.promise.described})"
        return (
            f"promises: {len(missed)} of {len(self.checks)} MISSED ({self.promise.described}): "
            + "; ".join(c.missed for c in missed)
        )

    def table(self) -> str:
        lines = [f"{'promise (' + self.promise.described + ')':<58} {'measured':>12}  verdict"]
        for c in self.checks:
            lines.append(f"{c.label:<58} {c.measured:>12}  {'kept' if c.kept else 'MISSED'}")
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        body = {"promise": asdict(self.promise), "checks": [asdict(c) for c in self.checks]}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Verdict:
        body = json.loads(path.read_text(encoding="utf-8"))
        return cls(Promise(**body["promise"]), tuple(Check(**c) for c in body["checks"]))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def _time(figure: str, measured: float | None, bound: float) -> Check:
    if measured is None:  # a gate never passes on nothing: no sample is a missed promise
        return Check(figure, f"<= {_ms(bound)}", "no sample", kept=False)
    return Check(figure, f"<= {_ms(bound)}", _ms(measured), measured <= bound, measured * 1000)


def _nothing_lost(fates: Mapping[str, int], failing: Mapping[str, int]) -> Check:
    asked = sum(fates.values())
    unanswered = asked - fates.get(ANSWERED, 0)
    kept = all_answered(fates) and not failing
    parts = [f"{unanswered:,} of {asked:,} unanswered"] if unanswered or not asked else []
    parts += [f"{count:,} {what}" for what, count in failing.items()]
    measured = f"{asked:,} answered" if kept else ", ".join(parts)
    return Check("nothing lost", "(every question answered)", measured, kept)


def judge(promise: Promise, measured: Measured) -> Verdict:
    checks = (
        _time("chat open p99", measured.chat_open_p99_s, promise.chat_open_p99_s),
        _time("first progress p99", measured.first_progress_p99_s, promise.first_progress_p99_s),
        _time("answer p99", measured.answer_p99_s, promise.answer_p99_s),
        _time("longest silence", measured.longest_silence_s, promise.longest_silence_s),
        _nothing_lost(measured.fates, measured.failing),
    )
    return Verdict(promise, checks)
