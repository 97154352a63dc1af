"""Locust load test of the chat service: every Locust user is one person who signs up, signs in,
uploads a month of usage, opens the chat (chat.v1 over a plain WebSocket) and asks.

    locust -f load/locustfile.py -H http://127.0.0.1:8080 [-- options below]
    make load USERS=1000 SPAWN_RATE=50 DURATION=3m        (see tools/load.py)

What Locust reports, as request types (times in ms FROM THE MOMENT THE PERSON ASKED):
  connect         the chat's handshake (name `chat`; failures name the refusal)
  ack             send -> ack
  first progress  send -> agent_started (name says when the question was queued)
  agent_thinking / tool_executing / tool_completed   send -> that step (name: tool or step)
  step gap        time since the run's previous event (name: the step's kind)
  longest silence per question, the longest time between two events of its run, places in line
                  included (name says when the question was queued)
  answer          send -> agent_completed
  fate            one per question, name = how it ended: answered, agent_error: <code>,
                  refused: <code>, connect refused: HTTP <status> <code>, closed <code>,
                  never acked, never ended (no final event within --answer-timeout),
                  contract broken (the stream broke the contract's invariants), wrong answer,
                  not asked: <why>
  busy            a `busy` refusal that was resent (same client_msg_id) after its retry_after
  contract        each invariant violation seen (also events after a run's final event)
  closed while idle   the chat closed while no question was open (name: the close code)
  promise         at the end, one per promised figure (load/promises.py), its time the figure
                  measured: a failure when the run missed it (load/verdict.py). The master (or a
                  local run) then exits 1, rewrites the HTML report with them and prints a
                  `promises: ...` line; --verdict-file keeps the verdict for tools/load.py.

By default every person asks ONE question, all at the same moment (once everyone is signed in
and has the chat open), then stays connected and idle. `--questions 0 --think-time 60
--spread-questions` makes a steady stream instead (the soak).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import random
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import gevent
from gevent.lock import BoundedSemaphore
from locust import argument_parser, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.html import get_html_report
from locust.runners import WorkerRunner
from locust.stats import CSV_STATS_INTERVAL_SEC, RequestStats, StatsEntry

from load.chat import Chat, ConnectRefused
from load.fates import fate_table
from load.gate import Gate
from load.promises import promise_for
from load.stream import ANSWERED, Question
from load.usage import spent, usage_records
from load.verdict import FAILING_TYPES, Measured, Verdict, judge

# Locust 2.47's worker rebuilds its whole argument parser once per option of every spawn message
# (runners.py: `k not in argument_parser.default_args_dict()` inside a comprehension). With a
# spawn message a second during the ramp that blocked each worker for seconds on this machine, the
# master missed their heartbeats and stopped the test. The defaults never change in a process.
argument_parser.default_args_dict = functools.cache(argument_parser.default_args_dict)

QUESTION = "How can we cut our model spend?"
PASSWORD = "load-test-password-1"
# Sign-up, sign-in and upload refused with 429/503 are retried after Retry-After (capped).
SETUP_ATTEMPTS = 5
MAX_RETRY_AFTER_S = 10.0
IDLE_S = 24 * 3600.0  # "stays connected": the socket's reader keeps answering pings meanwhile
RUN_TAG = secrets.token_hex(4)  # emails stay unique across runs against one deployment
GATE = Gate()
_numbers = itertools.count()


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    group = parser.add_argument_group("chat load (load/locustfile.py)")
    group.add_argument(
        "--questions", type=int, default=1, help="questions per person; 0: ask until the end"
    )
    group.add_argument(
        "--think-time", type=float, default=60.0, help="seconds between a person's questions"
    )
    group.add_argument(
        "--usage-size", type=int, default=3, help="usage records each person uploads (3: Alice's)"
    )
    group.add_argument(
        "--answer-timeout",
        type=float,
        default=90.0,
        help="seconds a person waits for the final event before the fate is 'never ended'",
    )
    group.add_argument(
        "--busy-retries",
        type=int,
        default=1,
        help="resends (same client_msg_id, after retry_after) of a question refused as busy",
    )
    group.add_argument(
        "--spread-questions",
        action="store_true",
        help="each person asks first at a random moment within --think-time, not all at once",
    )
    group.add_argument(
        "--sign-up-concurrency",
        type=int,
        default=2,
        help="sign-ups and sign-ins in flight per worker (each hashes a password)",
    )
    group.add_argument(
        "--instance-urls",
        default="",
        help="comma-separated service URLs; person N uses URL N mod count (default: --host)",
    )
    group.add_argument(
        "--promise-crowd",
        type=int,
        default=0,
        help="hold the run to the promise for this many people at once (default: the users)",
    )
    group.add_argument(
        "--verdict-file", default="", help="where the master writes the promises' verdict (JSON)"
    )
    group.add_argument(
        "--record-acks",
        default="",
        help="folder where each process appends every ack (JSON lines) for a database check",
    )


class Hashing:
    """At most N sign-ups and sign-ins in flight per process. Each one hashes a password
    (argon2, 25 ms or more); more at once only queue inside the service until its request
    deadline turns them into 503s, and their retries into a storm."""

    def __init__(self) -> None:
        self.slots: BoundedSemaphore | None = None

    def slot(self, options: Any) -> BoundedSemaphore:
        # Made on first use: a worker receives the master's options with its first spawn.
        if self.slots is None:
            self.slots = BoundedSemaphore(max(1, options.sign_up_concurrency))
        return self.slots


HASHING = Hashing()


@events.init.add_listener
def _install(environment: Environment, **_: Any) -> None:
    GATE.install(environment)


VERDICT: list[Verdict] = []  # the master's, once judged


@events.quitting.add_listener
def _judge(environment: Environment, **_: Any) -> None:
    """On the master (or a local run), once every worker's stats are in: the run against its
    promise. Each promised figure becomes a `promise` entry (a failure when missed), the exit
    code says whether all were kept, and the HTML report (written just before) is rewritten
    with them."""
    if isinstance(environment.runner, WorkerRunner) or environment.parsed_options is None:
        return
    options = environment.parsed_options
    verdict = judge(
        promise_for(options.promise_crowd or options.num_users or 1), measured(environment.stats)
    )
    for check in verdict.checks:
        environment.stats.log_request("promise", check.label, check.ms, 0)
        if not check.kept:
            environment.stats.log_error("promise", check.label, f"MISSED: {check.missed}")
    environment.process_exit_code = 0 if verdict.kept else 1
    if options.verdict_file:
        verdict.write(Path(options.verdict_file))
    if options.html_file:
        Path(options.html_file).write_text(
            get_html_report(environment, show_download_link=False), encoding="utf-8"
        )
    if options.csv_prefix:  # Locust's writer rewrites the CSV files every interval until exit
        gevent.sleep(1.5 * CSV_STATS_INTERVAL_SEC)
    VERDICT.append(verdict)


def measured(stats: RequestStats) -> Measured:
    """The promised figures from Locust's aggregated stats (its percentiles, as its report
    shows them), every entry of a request type merged."""
    merged: dict[str, StatsEntry] = {}
    for entry in stats.entries.values():
        kind = str(entry.method)
        if kind not in merged:
            merged[kind] = StatsEntry(stats, kind, kind, use_response_times_cache=False)
        merged[kind].extend(entry)

    def p99_s(kind: str) -> float | None:
        entry = merged.get(kind)
        return entry.get_response_time_percentile(0.99) / 1000 if entry else None

    silence = merged.get("longest silence")
    entries = stats.entries.values()
    return Measured(
        first_progress_p99_s=p99_s("first progress"),
        answer_p99_s=p99_s("answer"),
        longest_silence_s=silence.max_response_time / 1000 if silence else None,
        chat_open_p99_s=p99_s("connect"),
        fates={e.name: e.num_requests for e in entries if e.method == "fate"},
        failing={
            f"{e.method}: {e.name}": e.num_requests for e in entries if e.method in FAILING_TYPES
        },
    )


@events.quit.add_listener
def _print_fates(**_: Any) -> None:
    """On the master (or a local run): the fate table from the aggregated stats, then the
    verdict, ending with its one line."""
    environment = GATE.environment
    if environment is None or isinstance(environment.runner, WorkerRunner):
        return
    stats = environment.stats.entries.values()
    fates = {s.name: s.num_requests for s in stats if s.method == "fate"}
    busy = sum(s.num_requests for s in stats if s.method == "busy")
    print("\nHow every question ended:\n" + fate_table(fates, busy), flush=True)
    for verdict in VERDICT:
        print("\n" + verdict.table() + "\n" + verdict.summary, flush=True)


class ContractBroken(Exception):
    pass


class NotAnswered(Exception):
    pass


class Person(FastHttpUser):
    def __init__(self, environment: Environment) -> None:
        self.number = next(_numbers)
        options = environment.parsed_options
        urls = [u.strip() for u in str(getattr(options, "instance_urls", "")).split(",")]
        urls = [u for u in urls if u]
        if urls:
            self.host = urls[self.number % len(urls)]
        super().__init__(environment)
        self.options = options
        self.questions: int = options.questions if options else 1
        self.asked = 0
        self.delay: float | None = None
        self.chat: Chat | None = None
        self.user_id = ""
        self.email = ""
        self.expected_total = ""
        self.not_asked = ""  # why this person cannot ask at all

    # --- Locust's life cycle --------------------------------------------------------------------
    def wait_time(self) -> float:
        if self.delay is not None:  # once: the first question's random moment
            delay, self.delay = self.delay, None
            return delay
        if self.not_asked or (self.questions and self.asked >= self.questions):
            return IDLE_S
        return float(self.options.think_time)

    def on_start(self) -> None:
        at_once = not self.options.spread_questions
        try:
            self._sign_up_and_open_chat()
        except Exception as error:  # an answer outside the contract: still one fate
            self._cannot_ask(f"signing up failed: {type(error).__name__}")
        finally:
            if at_once:
                GATE.arrive()
        if at_once:
            if not GATE.wait() and not self.not_asked:
                self._cannot_ask("the run ended before everyone had the chat open")
        else:
            self.delay = random.uniform(0, float(self.options.think_time))

    def on_stop(self) -> None:
        if self.chat is not None:
            self.chat.close()

    @task
    def live(self) -> None:
        if self.delay is not None:
            return  # wait_time now waits the first question's moment
        if self.not_asked:
            return
        if self.questions and self.asked >= self.questions:
            return
        self.asked += 1
        self._ask()

    # --- what the person does -------------------------------------------------------------------
    def _sign_up_and_open_chat(self) -> None:
        worker = getattr(self.environment.runner, "worker_index", 0)
        self.email = f"load-{RUN_TAG}-w{worker}-{self.number}@example.test"
        records = usage_records(self.options.usage_size)
        self.expected_total = spent(records)
        body = {"email": self.email, "password": PASSWORD, "name": f"Person {self.number}"}
        # 409: an earlier attempt was stored although its answer was a refusal.
        created = self._call("/api/auth/register", body, (201, 409), "sign-up", hashes=True)
        if created is None:
            return
        login = {"email": self.email, "password": PASSWORD}
        if (tokens := self._call("/api/auth/login", login, (200,), "sign-in", hashes=True)) is None:
            return
        token = str(tokens["access_token"])
        bearer = {"Authorization": f"Bearer {token}"}
        self.user_id = str(created.get("user_id") or "")
        if not self.user_id:
            me = self.client.get("/api/me", headers=bearer, name="/api/me")
            self.user_id = str(me.json()["user_id"]) if me.status_code == 200 else ""
        upload = {"records": records}
        # Not retried: an upload refused after its commit would be stored twice.
        if self._call("/api/usage", upload, (202,), "the usage upload", bearer, 1) is None:
            return
        self._record_ack(None)
        self.chat = Chat(self.host or "", token, self._stray)
        self._open_chat()

    def _call(
        self,
        path: str,
        body: dict[str, Any],
        expected: tuple[int, ...],
        what: str,
        headers: dict[str, str] | None = None,
        attempts: int = SETUP_ATTEMPTS,
        *,
        hashes: bool = False,
    ) -> dict[str, Any] | None:
        """POST as a person would: told to retry later (429, 503), they wait Retry-After and
        retry, a few times. Every refusal still counts as a failed request in the stats.
        `hashes`: the call hashes a password, so it waits for a sign-up slot (see _install)."""
        status = 0
        for _ in range(attempts):
            with (
                HASHING.slot(self.options) if hashes else contextlib.nullcontext(),
                self.client.post(path, json=body, headers=headers, catch_response=True) as reply,
            ):
                status = reply.status_code
                if status in expected:
                    reply.success()
                    answer = reply.json() if reply.text else {}
                    return answer if isinstance(answer, dict) else {}
                reply.failure(f"HTTP {status}")
                retry_after = reply.headers.get("Retry-After") if reply.headers else None
            if status not in (429, 503):
                break
            gevent.sleep(min(float(retry_after or 1), MAX_RETRY_AFTER_S))
        self._cannot_ask(f"{what} answered HTTP {status}")
        return None

    def _cannot_ask(self, why: str) -> None:
        """This person will ask nothing: their one fate, reported now (the run may end before
        their first task)."""
        if self.not_asked:
            return
        self.not_asked = why
        self._fire("fate", f"not asked: {why}", 0, NotAnswered(why))

    def _open_chat(self) -> str | None:
        """Open (or reopen) the chat; the refusal as a fate, or None."""
        assert self.chat is not None
        began = time.perf_counter()
        try:
            self.chat.open()
        except ConnectRefused as refused:
            self._fire("connect", "chat", _ms(time.perf_counter() - began), refused)
            return refused.fate
        self._fire("connect", "chat", _ms(time.perf_counter() - began))
        return None

    def _ask(self) -> None:
        assert self.chat is not None
        if not self.chat.is_open and (refused := self._open_chat()):
            self._fire("fate", refused, 0, NotAnswered(refused))
            return
        question = Question(str(uuid.uuid4()))
        asked_at = time.perf_counter()
        timeout = float(self.options.answer_timeout)
        for attempt in itertools.count():
            self.chat.ask(question, QUESTION, timeout, asked_at=asked_at)
            busy = question.fate == "refused: busy" and question.retry_after is not None
            if not busy or attempt >= self.options.busy_retries:
                break
            assert question.retry_after is not None and question.ended_at is not None
            self._fire("busy", "resent after retry_after", _ms(question.ended_at))
            gevent.sleep(question.retry_after)
            question = Question(question.client_msg_id)  # nothing was stored: ask again
            if not self.chat.is_open and (refused := self._open_chat()):
                self._fire("fate", refused, 0, NotAnswered(refused))
                return
        self._report(question)

    def _report(self, q: Question) -> None:
        if q.ack is not None:
            self._record_ack(q.ack)
        if q.acked_at is not None:
            self._fire("ack", "question", _ms(q.acked_at))
        if q.started_at is not None:
            queued = " (queued)" if q.queued_position else ""
            self._fire("first progress", f"agent_started{queued}", _ms(q.started_at))
        for step in q.steps:
            self._fire(step.kind, step.name, _ms(step.at))
            self._fire("step gap", step.kind, _ms(step.gap))
        if q.longest_silence is not None:
            queued = " (queued)" if q.queued_position else ""
            self._fire("longest silence", f"between two events{queued}", _ms(q.longest_silence))
        if q.answered_at is not None:
            self._fire("answer", "agent_completed", _ms(q.answered_at), length=len(q.answer))
        for violation in q.violations:
            self._fire("contract", violation, 0, ContractBroken(violation))
        fate = q.fate or "never ended"
        if fate == ANSWERED and self.expected_total not in q.answer:
            fate = "wrong answer"
        error = None if fate == ANSWERED else NotAnswered(fate)
        self._fire("fate", fate, _ms(q.ended_at or 0.0), error)

    def _stray(self, what: str) -> None:
        """Something arrived while no question was open (from the chat's reader)."""
        if what.startswith("closed "):
            self._fire("closed while idle", what, 0, NotAnswered(what))
        else:
            self._fire("contract", what, 0, ContractBroken(what))

    def _record_ack(self, ack: dict[str, Any] | None) -> None:
        """One line per ack, and one without an ack per person signed up (so the database
        check also covers the runs of people who were never acked)."""
        folder = self.options.record_acks
        if not folder or not self.user_id:
            return
        line = {"user_id": self.user_id, "email": self.email, **(ack or {})}
        path = Path(folder) / f"acks-{os.getpid()}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)  # a worker on another machine
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    def _fire(
        self,
        kind: str,
        name: str,
        ms: float,
        exception: Exception | None = None,
        length: int = 0,
    ) -> None:
        self.environment.events.request.fire(
            request_type=kind,
            name=name,
            response_time=ms,
            response_length=length,
            exception=exception,
            context={},
        )


def _ms(seconds: float) -> float:
    return seconds * 1000.0
