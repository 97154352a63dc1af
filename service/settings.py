"""Service settings, read once from the environment (documented in the README)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

MIN_SECRET_BYTES = 32
# Secrets that appear in docs and examples; a deployment using one of them is misconfigured.
KNOWN_WEAK_SECRETS = frozenset({"secret", "changeme", "change-me", "dev-secret", "test-secret"})


class SettingsError(ValueError):
    """The environment does not describe a service that is safe to start."""


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
    instance_id: str = "svc"
    run_deadline_s: float = 30.0
    drain_s: float = 10.0
    log_level: str = "INFO"

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

        secret = env.get("JWT_SECRET", "")
        if not secret:
            raise SettingsError("JWT_SECRET is required")
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        if secret.lower() in KNOWN_WEAK_SECRETS or len(set(secret)) < 8:
            raise SettingsError("JWT_SECRET is a default or low-entropy value")
        origins = frozenset(
            o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        return cls(
            database_url=required("DATABASE_URL"),
            redis_url=required("REDIS_URL"),
            jwt_secret=secret,
            jwt_issuer=env.get("JWT_ISSUER", cls.jwt_issuer),
            jwt_audience=env.get("JWT_AUDIENCE", cls.jwt_audience),
            access_token_ttl_s=int(env.get("ACCESS_TOKEN_TTL_SECONDS", cls.access_token_ttl_s)),
            allowed_origins=origins,
            host=env.get("HOST", cls.host),
            port=int(env.get("PORT", cls.port)),
            instance_id=env.get("INSTANCE_ID", cls.instance_id),
            run_deadline_s=float(env.get("RUN_DEADLINE_SECONDS", cls.run_deadline_s)),
            drain_s=float(env.get("DRAIN_SECONDS", cls.drain_s)),
            log_level=env.get("LOG_LEVEL", cls.log_level).upper(),
        )
