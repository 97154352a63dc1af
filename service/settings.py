"""Service settings, read once from the environment (documented in the README)."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from service.agents.llm import LlmSettings
from service.auth.secret_policy import secret_problem
from service.delivery_settings import DeliverySettings
from service.env import SettingsError as SettingsError
from service.env import env_number
from service.runs.admission import RUNS_IN_FLIGHT, RUNS_QUEUED

# Access passes live at most a day: revocation marks are kept that long
# (service/auth/revocation.py).
MAX_ACCESS_TOKEN_TTL_S = 24 * 3600
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def unique_instance_id() -> str:
    """An id no other instance has: two instances sharing one would ignore each other's events
    as their own (the bus skips its own publications), so none is a fixed default."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    jwt_secret: str
    jwt_issuer: str = "golden-path"
    jwt_audience: str = "golden-path-chat"
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 24 * 3600
    allowed_origins: frozenset[str] = frozenset()
    host: str = "127.0.0.1"
    port: int = 8080
    # Unique per process: each instance ignores its own publications by this id.
    instance_id: str = field(default_factory=unique_instance_id)
    run_deadline_s: float = 30.0
    drain_s: float = 10.0
    log_level: str = "INFO"
    # Brute force: this many failed logins for one email within the window lock it for the window.
    login_lockout_s: int = 15 * 60
    login_max_failures: int = 5
    # Optional enterprise sign-in (OpenID Connect): the issuer URL and our client id there.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    # At most one key-set refetch per this many seconds for an unknown key id.
    oidc_jwks_refetch_s: float = 60.0
    # Event delivery: socket buffers, run streams, the agent's tools (issue 4).
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    # Resilience (issue 5): the optional LLM provider, and how long a run's lease lasts before
    # another instance may end it as interrupted (its instance died).
    llm: LlmSettings = field(default_factory=LlmSettings)
    run_lease_s: float = 10.0
    # Capacity (issue 9): runs executing at once on this instance, and questions that may wait
    # for one of those slots; one more question is refused with `busy` (service/runs/admission.py).
    runs_in_flight: int = RUNS_IN_FLIGHT
    runs_queued: int = RUNS_QUEUED
    # Password hashing (service/auth/hashing.py): threads, and how many hashes one address may have
    # waiting (a steady stream queues; only a burst beyond this is refused with 429).
    password_hash_workers: int = field(default_factory=lambda: _default_workers())
    password_queue_per_address: int = 1000
    # Open chats one person may hold, all instances together (issue 10).
    max_chats_per_person: int = 20

    @property
    def async_database_url(self) -> str:
        """The libpq URL rewritten for SQLAlchemy's asyncpg dialect."""
        scheme, _, rest = self.database_url.partition("://")
        if scheme in ("postgres", "postgresql", "postgresql+asyncpg"):
            return f"postgresql+asyncpg://{rest}"
        raise SettingsError(f"DATABASE_URL must be a postgresql:// URL, not {scheme}://")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"{name} is required")
            return value

        def number(name: str, default: float, low: float, high: float) -> float:
            return env_number(env, name, default, low, high)

        secret = env.get("JWT_SECRET", "")
        if (problem := secret_problem(secret, env)) is not None:
            raise SettingsError(problem)
        oidc_issuer = env.get("OIDC_ISSUER", "").strip().rstrip("/") or None
        oidc_client_id = env.get("OIDC_CLIENT_ID", "").strip() or None
        if oidc_issuer and not oidc_client_id:
            raise SettingsError("OIDC_CLIENT_ID is required when OIDC_ISSUER is set")
        if oidc_issuer:
            issuer_url = urlsplit(oidc_issuer)
            # Plain http only for a provider on this machine (a test fixture).
            local = issuer_url.scheme == "http" and issuer_url.hostname in LOCAL_HOSTS
            if issuer_url.scheme != "https" and not local:
                raise SettingsError("OIDC_ISSUER must be an https:// URL")
        instance_id = env.get("INSTANCE_ID", "").strip() or unique_instance_id()
        if len(instance_id) > 64:
            raise SettingsError("INSTANCE_ID must be at most 64 characters")
        origins = frozenset(
            o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        return cls(
            database_url=required("DATABASE_URL"),
            redis_url=required("REDIS_URL"),
            jwt_secret=secret,
            jwt_issuer=env.get("JWT_ISSUER", cls.jwt_issuer),
            jwt_audience=env.get("JWT_AUDIENCE", cls.jwt_audience),
            access_token_ttl_s=int(
                number(
                    "ACCESS_TOKEN_TTL_SECONDS", cls.access_token_ttl_s, 1, MAX_ACCESS_TOKEN_TTL_S
                )
            ),
            allowed_origins=origins,
            host=env.get("HOST", cls.host),
            port=_whole("PORT", number("PORT", cls.port, 1, 65535)),
            instance_id=instance_id,
            run_deadline_s=number("RUN_DEADLINE_SECONDS", cls.run_deadline_s, 0.1, 24 * 3600),
            drain_s=number("DRAIN_SECONDS", cls.drain_s, 0.1, 3600),
            log_level=env.get("LOG_LEVEL", cls.log_level).upper(),
            login_lockout_s=int(number("LOGIN_LOCKOUT_SECONDS", cls.login_lockout_s, 1, 24 * 3600)),
            oidc_issuer=oidc_issuer,
            oidc_client_id=oidc_client_id,
            oidc_jwks_refetch_s=number(
                "OIDC_JWKS_REFETCH_SECONDS", cls.oidc_jwks_refetch_s, 0.1, 3600
            ),
            delivery=DeliverySettings.from_env(env),
            llm=LlmSettings.from_env(env),
            run_lease_s=number("RUN_LEASE_SECONDS", cls.run_lease_s, 0.3, 3600),
            runs_in_flight=_whole(
                "RUNS_IN_FLIGHT", number("RUNS_IN_FLIGHT", cls.runs_in_flight, 1, 10_000)
            ),
            runs_queued=_whole("RUNS_QUEUED", number("RUNS_QUEUED", cls.runs_queued, 0, 1_000_000)),
            password_hash_workers=_whole(
                "PASSWORD_HASH_WORKERS",
                number("PASSWORD_HASH_WORKERS", _default_workers(), 1, 64),
            ),
            password_queue_per_address=_whole(
                "PASSWORD_QUEUE_PER_ADDRESS",
                number("PASSWORD_QUEUE_PER_ADDRESS", cls.password_queue_per_address, 1, 100_000),
            ),
            max_chats_per_person=_whole(
                "MAX_CHATS_PER_PERSON",
                number("MAX_CHATS_PER_PERSON", cls.max_chats_per_person, 1, 10_000),
            ),
        )


def _default_workers() -> int:
    # One core stays with the event loop: hashing at full tilt must not slow everyone else.
    return max(1, min(8, (os.cpu_count() or 1) - 1))


def _whole(name: str, value: float) -> int:
    if not float(value).is_integer():
        raise SettingsError(f"{name} must be a whole number, not {value:g}")
    return int(value)
