"""Service settings, read once from the environment (documented in docs/operations.md)."""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import secrets
import socket
from collections.abc import Mapping
from typing import Any, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator

from service.agents.llm_settings import LlmSettings
from service.auth.passwords import Cost
from service.auth.secret_policy import secret_problem
from service.auth.tokens import MAX_ACCESS_TOKEN_TTL_S
from service.delivery.settings import DeliverySettings
from service.env import (
    EnvSettings,
    SettingsError,
    Stripped,
    describe,
    with_secret_files,
)
from service.plans import PLANS, Plan, Quotas, with_overrides
from service.runs.admission import (
    RUN_QUEUE_WAIT_S,
    RUNS_IN_FLIGHT,
    RUNS_QUEUED,
    RUNS_QUEUED_PER_PERSON,
)
from service.runs.first_progress import HOLD_S as FIRST_PROGRESS_HOLD_S
from service.store.db import async_database_url

# The trusted proxies' addresses (service/http/proxies.py believes their forwarding headers).
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Networks = tuple[Network, ...]
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# A label value of chat_build_info: a commit id or a tag, nothing a scrape would mangle.
_COMMIT = re.compile(r"[0-9A-Za-z._+-]{1,64}")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

__all__ = ["MAX_ACCESS_TOKEN_TTL_S", "Settings", "SettingsError"]


def parse_networks(text: str) -> Networks:
    """`10.0.0.1, 10.1.0.0/16, ::1, fd00::/8` as networks; ValueError names a bad entry."""
    networks: list[Network] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"must be comma-separated IP addresses or networks (CIDR), not {entry!r}"
            ) from None
    return tuple(networks)


def unique_instance_id() -> str:
    """An id no other instance has: two instances sharing one would ignore each other's events
    as their own (the bus skips its own publications), so none is a fixed default."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


def _default_workers() -> int:
    # One core stays with the event loop: hashing at full tilt must not slow everyone else.
    return max(1, min(8, (os.cpu_count() or 1) - 1))


class Settings(EnvSettings):
    database_url: Stripped = Field(alias="DATABASE_URL")
    redis_url: Stripped = Field(alias="REDIS_URL")
    # Checked against the whole environment by `from_env` (service/auth/secret_policy.py).
    jwt_secret: SecretStr = Field(alias="JWT_SECRET")
    jwt_issuer: Stripped = Field(default="golden-path", max_length=256, alias="JWT_ISSUER")
    jwt_audience: Stripped = Field(default="golden-path-chat", max_length=256, alias="JWT_AUDIENCE")
    access_token_ttl_s: int = Field(
        default=900, ge=1, le=MAX_ACCESS_TOKEN_TTL_S, alias="ACCESS_TOKEN_TTL_SECONDS"
    )
    refresh_token_ttl_s: int = 30 * 24 * 3600
    # A sign-in's absolute end: renewing slides the refresh token's expiry, never past this long
    # after the sign-in itself (issue 18).
    session_max_age_s: int = Field(
        default=30 * 24 * 3600, ge=1, le=366 * 24 * 3600, alias="SESSION_MAX_AGE_SECONDS"
    )
    # Comma-separated in ALLOWED_ORIGINS.
    allowed_origins: frozenset[str] = Field(default=frozenset(), alias="ALLOWED_ORIGINS")
    host: Stripped = Field(default="127.0.0.1", max_length=253, alias="HOST")
    port: int = Field(default=8080, ge=1, le=65535, alias="PORT")
    # The operators' listener: metrics, readiness and the redeploy controls (no authentication,
    # so a private address).
    metrics_host: Stripped = Field(default="127.0.0.1", max_length=253, alias="METRICS_HOST")
    metrics_port: int = Field(default=9464, ge=1, le=65535, alias="METRICS_PORT")
    # The commit the running build was made from, set by the deploy (chat_build_info's
    # `commit` label); nothing is asked of git at run time.
    build_commit: Stripped = Field(default="unknown", alias="BUILD_COMMIT")
    # Unique per process: each instance ignores its own publications by this id.
    instance_id: Stripped = Field(
        default_factory=unique_instance_id, max_length=64, alias="INSTANCE_ID"
    )
    run_deadline_s: float = Field(
        default=30.0, ge=0.1, le=24 * 3600, allow_inf_nan=False, alias="RUN_DEADLINE_SECONDS"
    )
    drain_s: float = Field(
        default=10.0, ge=0.1, le=3600, allow_inf_nan=False, alias="DRAIN_SECONDS"
    )
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    # Brute force: this many failed logins for one email within the window lock it for the window.
    login_lockout_s: int = Field(default=15 * 60, ge=1, le=24 * 3600, alias="LOGIN_LOCKOUT_SECONDS")
    login_max_failures: int = 5
    # Each person's budget for the signed-in HTTP API, all instances together: this many calls
    # at once, then this many a second (service/auth/api_budget.py). Far above a page's needs.
    api_burst: int = Field(default=300, ge=1, le=1_000_000, alias="API_BURST")
    api_per_second: float = Field(
        default=20.0, ge=0.001, le=100_000, allow_inf_nan=False, alias="API_PER_SECOND"
    )
    # Optional enterprise sign-in (OpenID Connect): the issuer URL and our client id there.
    oidc_issuer: str | None = Field(default=None, alias="OIDC_ISSUER")
    oidc_client_id: Stripped | None = Field(default=None, alias="OIDC_CLIENT_ID")
    # At most one key-set refetch per this many seconds for an unknown key id.
    oidc_jwks_refetch_s: float = Field(
        default=60.0, ge=0.1, le=3600, allow_inf_nan=False, alias="OIDC_JWKS_REFETCH_SECONDS"
    )
    # Event delivery: socket buffers, run streams, the agent's tools.
    delivery: DeliverySettings = DeliverySettings()
    # The optional LLM provider.
    llm: LlmSettings = LlmSettings()
    # How long a run's lease lasts before another instance may end it as interrupted (its
    # instance died).
    run_lease_s: float = Field(
        default=10.0, ge=0.3, le=3600, allow_inf_nan=False, alias="RUN_LEASE_SECONDS"
    )
    # Capacity: runs executing at once on this instance, and questions that may wait for one of
    # those slots; one more question is refused with `busy` (service/runs/admission.py).
    runs_in_flight: int = Field(default=RUNS_IN_FLIGHT, ge=1, le=10_000, alias="RUNS_IN_FLIGHT")
    runs_queued: int = Field(default=RUNS_QUEUED, ge=0, le=1_000_000, alias="RUNS_QUEUED")
    # One person's share of that line (their questions beyond it are refused with `busy`), and
    # how long a question may wait in it before it ends with `agent_error` `timeout`.
    runs_queued_per_person: int = Field(
        default=RUNS_QUEUED_PER_PERSON, ge=1, le=1_000_000, alias="RUNS_QUEUED_PER_PERSON"
    )
    run_queue_wait_s: float = Field(
        default=RUN_QUEUE_WAIT_S,
        ge=0.1,
        le=24 * 3600,
        allow_inf_nan=False,
        alias="RUN_QUEUE_WAIT_SECONDS",
    )
    # How long a started run holds its further steps while questions are arriving, so theirs
    # come first (service/runs/first_progress.py).
    first_progress_hold_s: float = Field(
        default=FIRST_PROGRESS_HOLD_S,
        ge=0,
        le=60,
        allow_inf_nan=False,
        alias="FIRST_PROGRESS_HOLD_SECONDS",
    )
    # Password hashing (service/auth/hashing.py): threads, and how many hashes one client may
    # have waiting in each line, sign-ins and sign-ups (a steady stream queues; only a burst
    # beyond this is refused with 429); each line holds at most ten times that.
    password_hash_workers: int = Field(
        default_factory=_default_workers, ge=1, le=64, alias="PASSWORD_HASH_WORKERS"
    )
    password_queue_per_address: int = Field(
        default=1000, ge=1, le=100_000, alias="PASSWORD_QUEUE_PER_ADDRESS"
    )
    # The work of a new password hash (service/auth/passwords.py); `fast-for-tests` for test
    # stacks only.
    password_hash_cost: Cost = Field(default=Cost.OWASP, alias="PASSWORD_HASH_COST")
    # Who one client is for the rules per address (service/http/clients.py): an IPv4 address,
    # an IPv6 /64.
    client_ipv4_prefix: int = Field(default=32, ge=8, le=32, alias="CLIENT_IPV4_PREFIX")
    client_ipv6_prefix: int = Field(default=64, ge=16, le=128, alias="CLIENT_IPV6_PREFIX")
    # Open chats one person on the Free plan may hold, all instances together (the other plans'
    # figures: service/plans.py). RUNS_QUEUED_PER_PERSON above is the Free plan's line places.
    max_chats_per_person: int = Field(default=20, ge=1, le=10_000, alias="MAX_CHATS_PER_PERSON")
    # Any plan's figure overridden: `free.questions_per_day=3,mid.open_chats=4` (service/plans.py).
    plan_quotas: str = Field(default="", max_length=2000, alias="PLAN_QUOTAS")
    # The proxies (addresses or networks, comma-separated) whose X-Forwarded-*/Forwarded headers
    # name the real client (service/http/proxies.py); nobody's by default.
    trusted_proxies: Networks = Field(default=(), alias="TRUSTED_PROXIES")
    # Connections this instance may open (checked against the server at start:
    # service/store/budget.py). PostgreSQL: SQLAlchemy's pool and its overflow (HTTP calls,
    # handshakes, runs' bookkeeping), asyncpg's pool (questions and run events). Redis: each
    # client's pool (commands; the two channel listeners hold one each).
    database_pool_size: int = Field(default=10, ge=1, le=1000, alias="DATABASE_POOL_SIZE")
    database_pool_overflow: int = Field(default=10, ge=0, le=1000, alias="DATABASE_POOL_OVERFLOW")
    hot_path_pool_size: int = Field(default=24, ge=1, le=1000, alias="HOT_PATH_POOL_SIZE")
    redis_max_connections: int = Field(default=64, ge=1, le=100_000, alias="REDIS_MAX_CONNECTIONS")

    @property
    def async_database_url(self) -> str:
        """The libpq URL rewritten for SQLAlchemy's asyncpg dialect."""
        return async_database_url(self.database_url)

    @functools.cached_property
    def plans(self) -> dict[Plan, Quotas]:
        """Each plan's quotas: the table, the Free plan's two legacy settings, PLAN_QUOTAS."""
        free = PLANS[Plan.FREE]
        base = {
            **PLANS,
            Plan.FREE: Quotas(
                questions_per_day=free.questions_per_day,
                usage_records=free.usage_records,
                open_chats=self.max_chats_per_person,
                line_places=self.runs_queued_per_person,
                line_reach=free.line_reach,
            ),
        }
        return with_overrides(self.plan_quotas, base)

    @field_validator("plan_quotas")
    @classmethod
    def _quotas_readable(cls, value: str) -> str:
        with_overrides(value)  # ValueError says which item is wrong
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(o.strip() for o in value.split(",") if o.strip())
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        return parse_networks(value) if isinstance(value, str) else value

    @field_validator("build_commit")
    @classmethod
    def _a_commit_id(cls, value: str) -> str:
        if not _COMMIT.fullmatch(value):
            raise ValueError("must be 1 to 64 letters, digits or ._+- (a commit id or a tag)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _a_level(cls, value: str) -> str:
        if value not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _a_redis_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: frozenset[str]) -> frozenset[str]:
        # An origin as a browser sends it: scheme, host and port, nothing after.
        for origin in value:
            url = urlsplit(origin)
            if url.scheme not in ("http", "https") or not url.netloc or url.path or url.query:
                raise ValueError(f"must list origins like https://chat.example.com, not {origin!r}")
        return value

    @field_validator("oidc_issuer", mode="before")
    @classmethod
    def _an_https_issuer(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        issuer = value.strip().rstrip("/")
        if not issuer:
            return None
        url = urlsplit(issuer)
        # Plain http only for a provider on this machine (a test fixture).
        local = url.scheme == "http" and url.hostname in LOCAL_HOSTS
        if url.scheme != "https" and not local:
            raise ValueError("must be an https:// URL")
        return issuer

    @model_validator(mode="after")
    def _two_listeners(self) -> Self:
        if self.metrics_port == self.port:
            raise ValueError("METRICS_PORT must differ from PORT: metrics are not served publicly")
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> Self:
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("OIDC_CLIENT_ID is required when OIDC_ISSUER is set")
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Every setting of `env` (os.environ when None), or one SettingsError naming every bad
        variable: of the service, of delivery and of the LLM provider together."""
        # `<NAME>_FILE` read first: every check below sees the file's value.
        env, file_problems = with_secret_files(os.environ if env is None else env)
        problems = list(file_problems.values())
        if (problem := secret_problem(env.get("JWT_SECRET", ""), env)) is not None:
            problems.append(problem)
        parts: dict[str, Any] = {}
        for name, part in (("delivery", DeliverySettings), ("llm", LlmSettings)):
            try:
                parts[name] = part.from_env(env)
            except SettingsError as exc:
                problems.append(str(exc))
        try:
            settings = cls.read_env(env, **parts)
        except ValidationError as exc:
            problems[:0] = describe(cls, exc)
        # A secret whose file was refused is not also said to be missing.
        problems = [p for p in problems if p not in {f"{n} is required" for n in file_problems}]
        if problems:
            # A missing JWT_SECRET is said once, though both the model and the policy noticed.
            raise SettingsError("; ".join(dict.fromkeys(problems)))
        return settings
