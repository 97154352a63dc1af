"""Settings of event delivery: per-socket buffers, the per-run Redis streams, and the agent's tools.

Kept apart from `service.settings` so the delivery knobs live next to their documentation; they
are read from the same environment, once, by `Settings.from_env`.
"""

from __future__ import annotations

from pydantic import Field

from service.env import EnvSettings


class DeliverySettings(EnvSettings):
    # The chat's heartbeat: a ping this often; a device that has not answered half a beat later
    # (a frozen or dropped network sends no close) is let go, and its open-chat place freed.
    heartbeat_s: float = Field(
        default=20.0, ge=0.1, le=300, allow_inf_nan=False, alias="CHAT_HEARTBEAT_SECONDS"
    )
    # A socket may have this many frames waiting in the service; one more and it is closed
    # with 4409 (too slow), so a stalled client cannot make the service's memory grow.
    socket_outbox_frames: int = Field(default=1000, ge=1, le=100_000, alias="SOCKET_OUTBOX_FRAMES")
    # Caps what each socket may hold below the outbox (kernel send buffer and the transport's
    # write buffer); 0 keeps the operating system's defaults (which can grow to megabytes).
    socket_send_buffer_bytes: int = Field(
        default=0, ge=0, le=2**26, alias="SOCKET_SEND_BUFFER_BYTES"
    )
    # A crowd opening the chat at once (service/delivery/chat/arrivals.py): this many handshakes
    # do their checks at a time, the others wait in line; more than HANDSHAKES_WAITING in line,
    # or a wait past HANDSHAKE_WAIT_SECONDS, is refused with 503 and Retry-After.
    handshakes_at_once: int = Field(default=32, ge=1, le=10_000, alias="HANDSHAKES_AT_ONCE")
    handshakes_waiting: int = Field(default=20_000, ge=0, le=1_000_000, alias="HANDSHAKES_WAITING")
    handshake_wait_s: float = Field(
        default=15.0, ge=0.1, le=300, allow_inf_nan=False, alias="HANDSHAKE_WAIT_SECONDS"
    )
    # Each run's events are also kept in a Redis stream for replay on any instance: this long
    # after its last event, and at most this many events (PostgreSQL keeps them all).
    run_stream_ttl_s: int = Field(default=3600, ge=1, le=7 * 86400, alias="RUN_STREAM_TTL_SECONDS")
    run_stream_maxlen: int = Field(default=1000, ge=1, le=100_000, alias="RUN_STREAM_MAXLEN")
    # How long one of the agent's tools may wait for the usage data before it gives up
    # (the run then ends with `agent_error` `tool_failed`).
    tool_timeout_s: float = Field(
        default=10.0, ge=0.01, le=3600, allow_inf_nan=False, alias="AGENT_TOOL_TIMEOUT_SECONDS"
    )
    # TEST ONLY: the usage data answers each of the agent's tools this much later (a slow data
    # source), so a scenario can have a run in flight. Always 0 in a deployment.
    tool_delay_s: float = Field(
        default=0.0, ge=0, le=60, allow_inf_nan=False, alias="AGENT_TOOL_DELAY_SECONDS"
    )
    # TEST ONLY: in each run, the first N reads of the usage records fail (a dropped connection),
    # and the first N tries of the savings analysis. Always 0 in a deployment.
    usage_read_failures: int = Field(default=0, ge=0, le=10, alias="AGENT_USAGE_READ_FAILURES")
    savings_analysis_failures: int = Field(
        default=0, ge=0, le=10, alias="AGENT_SAVINGS_ANALYSIS_FAILURES"
    )
