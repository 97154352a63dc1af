"""Checks every run stream a person's sockets see against the chat.v1 invariants.

A StreamVerifier is the person's StreamRecord (`recording.py`: a socket observer that keeps what
arrived and flags at once what is wrong frame by frame) with the verdict of `judging.py` on the
whole story (whose run it was, whether it finished, tool pairing), so that a frame racing its ack
never causes a false alarm. Invariant 5 needs HTTP, so the actor fetches the messages and hands
them to `check_answer_visible`.
"""

from __future__ import annotations

from collections.abc import Sequence

from driver.client.models import Message
from driver.oracle import judging
from driver.oracle.recording import RunDirectory, StreamRecord

__all__ = ["RunDirectory", "StreamVerifier"]


class StreamVerifier(StreamRecord):
    # -- invariant 5, fed by the person over HTTP
    def answers_to_check(self) -> list[tuple[str, str]]:
        """(run_id, thread_id) of the person's completed runs whose answer was not yet looked up."""
        return judging.answers_to_check(self)

    def check_answer_visible(
        self, run_id: str, messages: Sequence[Message], *, on_arrival: bool = False
    ) -> None:
        judging.check_answer_visible(self, run_id, messages, on_arrival=on_arrival)

    # -- the verdict
    @property
    def violations(self) -> list[str]:
        return self.findings(require_finished=True)

    def findings(self, *, require_finished: bool, run_id: str | None = None) -> list[str]:
        return judging.findings(self, require_finished=require_finished, run_id=run_id)

    def assert_clean(self, *, require_finished: bool = True) -> None:
        found = self.findings(require_finished=require_finished)
        if found:
            lines = "\n".join(f"  - {v}" for v in found)
            raise AssertionError(f"What {self.person} saw broke the chat.v1 contract:\n{lines}")
