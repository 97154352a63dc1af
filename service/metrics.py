"""What operators watch, in the Prometheus formats (prometheus-client), served on the
operators' own listener (service/http/operator.py). Every name and what it means is listed in
docs/operations.md; deploy/prometheus/ and deploy/grafana/ use them (tests/test_metric_names.py
fails when either names one that is not exported).

One set of metrics per process (the default registry): a service process serves one app.
Gauges read the live state when scraped; counters and histograms are updated where things happen.
Names follow Prometheus' conventions: base units as suffixes (`_seconds`), `_total` for counters.
Every label has a bounded set of values (error codes, outcomes, route patterns, status codes).

This module imports no other room of the service, so every room may count here.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

from prometheus_client import Counter, Gauge, Histogram

# Seconds: from a few milliseconds (one person) to the seed SLAs (5 s first progress, 60 s answer).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
# HTTP requests answer in milliseconds; the request deadline is 10 s.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
PACKAGE = "golden-path"

BUILD_INFO = Gauge(
    "chat_build_info",
    "Always 1: the running build's version and commit, and this instance's id",
    ["version", "commit", "instance_id"],
)
READY = Gauge(
    "chat_ready", "1 while this instance should be sent new people (its /readyz answers 200)"
)
OPEN_CHATS = Gauge("chat_open_connections", "Chat sockets open on this instance")
RUNS_IN_FLIGHT = Gauge("chat_runs_in_flight", "Agent runs executing on this instance")
RUNS_QUEUED = Gauge("chat_runs_queued", "Acknowledged questions waiting for a run slot")
# Issue 21, cleanup over time: what an instance holds for people, back to 0 when they leave.
OPEN_CHAT_PLACES = Gauge(
    "chat_open_chat_places",
    "Open-chat places this instance holds for people in Redis (one per open chat; renewed "
    "while it is open, given back when it closes)",
)
DATABASE_CONNECTIONS = Gauge(
    "chat_database_connections",
    "PostgreSQL connections of this instance by pool (sessions, hot_path) and state "
    "(in_use: lent out now; open: held, in use or idle)",
    ["pool", "state"],
)
DATABASE_CONNECTIONS_KEPT = Gauge(
    "chat_database_connections_kept",
    "The most PostgreSQL connections a pool of this instance keeps open when idle (its size; "
    "those opened beyond it under load are closed once given back)",
    ["pool"],
)
RUNS_IN_FLIGHT_LIMIT = Gauge(
    "chat_runs_in_flight_limit", "Runs this instance executes at once at most (RUNS_IN_FLIGHT)"
)
RUNS_QUEUED_LIMIT = Gauge(
    "chat_runs_queued_limit",
    "Questions that may wait for a run slot (RUNS_QUEUED); one more is refused as busy",
)
RUN_SECONDS = Histogram(
    "chat_run_duration_seconds",
    "From the question's acknowledgement to the run's final event, by how the run ended",
    ["outcome"],
    buckets=LATENCY_BUCKETS,
)
FIRST_EVENT_SECONDS = Histogram(
    "chat_first_event_seconds",
    "From the question's arrival to its first progress event being sent",
    buckets=LATENCY_BUCKETS,
)
EVENTS_SENT = Counter("chat_events_sent_total", "Run events stored and published", ["type"])
REFUSALS = Counter(
    "chat_refusals_total",
    "Requests and frames refused with a contract error, by error code",
    ["reason"],
)
DEPENDENCY_ERRORS = Counter(
    "chat_dependency_errors_total", "Failed calls to PostgreSQL or Redis", ["dependency"]
)
HTTP_SECONDS = Histogram(
    "chat_http_request_duration_seconds",
    "Public HTTP requests, from arrival to the answer's headers (a chat: its handshake), "
    "by route pattern, method and status",
    ["route", "method", "status"],
    buckets=HTTP_BUCKETS,
)
LLM_ATTEMPTS = Counter(
    "chat_llm_attempts_total",
    "Calls of the language model, by outcome (ok, timeout, connection_error, rate_limited, "
    "server_error, client_error, unreadable)",
    ["outcome"],
)
LLM_FALLBACKS = Counter(
    "chat_llm_fallbacks_total",
    "Answers written without the model's words, by reason (unavailable, unusable_answer)",
    ["reason"],
)
BREAKER_OPEN = Gauge(
    "chat_circuit_breaker_open",
    "1 from a failed call of the dependency until a call succeeds again (calls are skipped "
    "meanwhile, a probe after each cooldown), else 0",
    ["dependency"],
)
BREAKER_OPENED = Counter(
    "chat_circuit_breaker_opened_total",
    "Times the dependency's circuit breaker opened (a closed breaker saw a call fail)",
    ["dependency"],
)


def version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:  # run from a tree that was never installed
        return "unknown"


def describe_build(*, commit: str, instance_id: str) -> None:
    BUILD_INFO.labels(version(), commit, instance_id).set(1)


def watch(
    *,
    open_chats: Callable[[], int],
    running: Callable[[], int],
    queued: Callable[[], int],
    max_in_flight: int,
    max_queued: int,
) -> None:
    """Bind the gauges to this instance's live state."""
    OPEN_CHATS.set_function(open_chats)
    RUNS_IN_FLIGHT.set_function(running)
    RUNS_QUEUED.set_function(queued)
    RUNS_IN_FLIGHT_LIMIT.set(max_in_flight)
    RUNS_QUEUED_LIMIT.set(max_queued)


def watch_held(*, chat_places: Callable[[], int]) -> None:
    """Bind the figure of the open-chat places this instance holds for people."""
    OPEN_CHAT_PLACES.set_function(chat_places)


def watch_database(
    pool: str, *, in_use: Callable[[], int], open_: Callable[[], int], kept: int
) -> None:
    """Bind one connection pool's figures (in use now, open in all, kept when idle)."""
    DATABASE_CONNECTIONS.labels(pool, "in_use").set_function(in_use)
    DATABASE_CONNECTIONS.labels(pool, "open").set_function(open_)
    DATABASE_CONNECTIONS_KEPT.labels(pool).set(kept)


def watch_breaker(dependency: str, is_open: Callable[[], bool]) -> None:
    BREAKER_OPEN.labels(dependency).set_function(lambda: float(is_open()))
