"""Settings of event delivery: per-socket buffers, the per-run Redis streams, and the agent's tools.

Kept apart from `service.settings` so the delivery knobs live next to their documentation; they
are read from the same environment, once, by `Settings.from_env`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.env import env_number


@dataclass(frozen=True)
class DeliverySettings:
    # A socket may have this many frames waiting in the service; one more and it is closed
    # with 4409 (too slow), so a stalled client cannot make the service's memory grow.
    socket_outbox_frames: int = 1000
    # Caps what each socket may hold below the outbox (kernel send buffer and the transport's
    # write buffer); 0 keeps the operating system's defaults (which can grow to megabytes).
    socket_send_buffer_bytes: int = 0
    # Each run's events are also kept in a Redis stream for replay on any instance: this long
    # after its last event, and at most this many events (PostgreSQL keeps them all).
    run_stream_ttl_s: int = 3600
    run_stream_maxlen: int = 1000
    # How long one of the agent's tools may wait for the usage data before it gives up
    # (the run then ends with `agent_error` `tool_failed`).
    tool_timeout_s: float = 10.0
    # TEST ONLY: the usage data answers each of the agent's tools this much later (a slow data
    # source), so a scenario can have a run in flight. Always 0 in a deployment.
    tool_delay_s: float = 0.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DeliverySettings:
        def number(name: str, default: float, low: float, high: float) -> float:
            return env_number(env, name, default, low, high)

        return cls(
            socket_outbox_frames=int(
                number("SOCKET_OUTBOX_FRAMES", cls.socket_outbox_frames, 1, 100_000)
            ),
            socket_send_buffer_bytes=int(
                number("SOCKET_SEND_BUFFER_BYTES", cls.socket_send_buffer_bytes, 0, 2**26)
            ),
            run_stream_ttl_s=int(
                number("RUN_STREAM_TTL_SECONDS", cls.run_stream_ttl_s, 1, 7 * 86400)
            ),
            run_stream_maxlen=int(number("RUN_STREAM_MAXLEN", cls.run_stream_maxlen, 1, 100_000)),
            tool_timeout_s=number("AGENT_TOOL_TIMEOUT_SECONDS", cls.tool_timeout_s, 0.01, 3600),
            tool_delay_s=number("AGENT_TOOL_DELAY_SECONDS", cls.tool_delay_s, 0, 60),
        )
