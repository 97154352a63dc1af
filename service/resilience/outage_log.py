"""Log a failing dependency once per outage, not once per request.

While Redis is down every sign-in, event and check falls back, and each fallback used to write a
warning: thousands of identical lines a minute that hid everything else. An `OutageNotice` writes
its warning when the failing starts, at most once more every `every_s` while it lasts (saying how
many failures it kept quiet), and one line when the thing works again (when the caller sees
a success; a notice that never hears of one takes a quiet `every_s` as the end of the outage).
"""

from __future__ import annotations

import logging
import time
from typing import Any

REMIND_EVERY_S = 60.0


class OutageNotice:
    def __init__(self, log: logging.Logger, what: str, *, every_s: float = REMIND_EVERY_S) -> None:
        self._log = log
        self.what = what
        self.every_s = every_s
        self.failing = False
        self._since = 0.0
        self._last_logged = 0.0
        self._last_failure = 0.0
        self._quiet = 0  # failures not logged since the last line

    def failed(self, exc: BaseException | None = None, **extra: Any) -> None:
        """One more failure: logged if it starts an outage or the last line is `every_s` old."""
        now = time.monotonic()
        reason = f": {exc!r}" if exc is not None else ""
        quiet_since = now - self._last_failure
        self._last_failure = now
        if not self.failing or quiet_since > self.every_s:
            self.failing, self._since, self._last_logged, self._quiet = True, now, now, 0
            self._log.warning("%s failing%s", self.what, reason, extra=extra or None)
            return
        if now - self._last_logged < self.every_s:
            self._quiet += 1
            return
        self._log.warning(
            "%s still failing (for %.0f s; %d more failures not logged)%s",
            self.what,
            now - self._since,
            self._quiet,
            reason,
            extra=extra or None,
        )
        self._last_logged, self._quiet = now, 0

    def ok(self) -> None:
        """It worked: if it was failing, say once that it works again."""
        if not self.failing:
            return
        self.failing = False
        self._log.info(
            "%s works again after %.1f s (%d failures not logged)",
            self.what,
            time.monotonic() - self._since,
            self._quiet,
        )
