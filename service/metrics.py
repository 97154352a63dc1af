"""What operators watch, in the Prometheus text format (prometheus-client), served on the
operators' own listener (service/http/operator.py).

One set of metrics per process (the default registry): a service process serves one app.
Gauges read the live state when scraped; counters and histograms are updated where things happen.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from service.delivery.chat.hub import Hub
from service.runs.admission import Admission

# Seconds: from a few milliseconds (one person) to the seed SLAs (5 s first progress, 60 s answer).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

OPEN_CHATS = Gauge("chat_open_connections", "Chat sockets open on this instance")
RUNS_IN_FLIGHT = Gauge("chat_runs_in_flight", "Agent runs executing on this instance")
RUNS_QUEUED = Gauge("chat_runs_queued", "Acknowledged questions waiting for a run slot")
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


def watch(hub: Hub, admission: Admission) -> None:
    """Bind the gauges to this instance's live state."""
    OPEN_CHATS.set_function(hub.count)
    RUNS_IN_FLIGHT.set_function(lambda: admission.running)
    RUNS_QUEUED.set_function(lambda: admission.queued)
