"""Everyone asks at the same moment: each person signs in and opens the chat, says so, and
waits; when every person of the test has (on every worker), the gate opens everywhere.

Workers tell the master (`load_ready`), the master counts against its target user count and
tells every worker to go (`load_go`); a local run counts by itself. The gate also opens, with
`cancelled` set, when the test stops first, so nobody waits for ever.
"""

from __future__ import annotations

from typing import Any

from gevent.event import Event
from locust.env import Environment
from locust.runners import LocalRunner, MasterRunner, WorkerRunner

READY, GO = "load_ready", "load_go"


class Gate:
    def __init__(self) -> None:
        self.event = Event()
        self.cancelled = False
        self.ready = 0
        self.environment: Environment | None = None

    def install(self, environment: Environment) -> None:
        """Called once per process from Locust's `init` event."""
        self.environment = environment
        runner = environment.runner
        if isinstance(runner, MasterRunner):
            runner.register_message(READY, self._counted)
        elif isinstance(runner, WorkerRunner):
            runner.register_message(GO, self._go)
        elif isinstance(runner, LocalRunner):
            runner.register_message(READY, self._counted)
            runner.register_message(GO, self._go)
        environment.events.test_start.add_listener(self._reset)
        environment.events.test_stopping.add_listener(self._cancel)

    def _reset(self, **_: Any) -> None:
        self.event.clear()
        self.cancelled, self.ready = False, 0

    def _cancel(self, **_: Any) -> None:
        if not self.event.is_set():
            self.cancelled = True
            self.event.set()

    def _go(self, **_: Any) -> None:
        self.event.set()

    def _counted(self, msg: Any, **_: Any) -> None:
        """Master (or local runner): one more person is ready."""
        assert self.environment is not None and self.environment.runner is not None
        runner = self.environment.runner
        self.ready += int(msg.data)
        if self.ready >= runner.target_user_count and not self.event.is_set():
            runner.send_message(GO)
            self.event.set()

    def arrive(self) -> None:
        """This person is ready (or will never be: their sign-in failed): count them."""
        assert self.environment is not None and self.environment.runner is not None
        self.environment.runner.send_message(READY, 1)

    def wait(self) -> bool:
        """Until everyone has arrived; False when the test stopped first."""
        self.event.wait()
        return not self.cancelled
