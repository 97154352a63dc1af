"""Which signing secrets a deployment may start with: long, not a default, not shared.

A secret that is short, copied from an example, or also used for another credential lets anyone
who learns that other value mint passes for every account, so the service refuses to start.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

MIN_SECRET_BYTES = 32
MIN_DISTINCT_CHARS = 8
# Values that appear in docs, tutorials and examples (compared case-insensitively).
EXAMPLE_SECRETS = frozenset(
    {
        "secret",
        "changeme",
        "change-me",
        "dev-secret",
        "test-secret",
        "your-256-bit-secret",
        "your-secret-key",
        "supersecret",
        "please-change-me-to-a-long-random-secret",
        "change-me-to-a-long-random-secret-value",
        "this-is-a-very-long-secret-for-development-only",
        "golden-path-development-secret-do-not-use",
    }
)
# Settings whose names say they hold a credential; the signing secret must not equal one.
CREDENTIAL_SUFFIXES = ("SECRET", "_KEY", "PASSWORD", "_TOKEN")
URL_SETTINGS = ("DATABASE_URL", "REDIS_URL")


def _repeats_a_shorter_unit(secret: str) -> bool:
    """ "abcdabcd..." or "0123456789abcdef0123456789abcdef": a pattern, not a secret."""
    size = len(secret)
    return any(
        size % unit == 0 and secret == secret[:unit] * (size // unit)
        for unit in range(1, size // 2 + 1)
    )


def _shared_with(secret: str, env: Mapping[str, str], name: str) -> str | None:
    """The other setting that holds the same value, if any."""
    for other, value in env.items():
        if other == name or not value:
            continue
        if other.upper().endswith(CREDENTIAL_SUFFIXES) and value.strip() == secret:
            return other
    for other in URL_SETTINGS:
        url = env.get(other, "")
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password == secret or (url and secret in url):
            return other
    return None


def secret_problem(secret: str, env: Mapping[str, str], *, name: str = "JWT_SECRET") -> str | None:
    """Why `secret` must not sign passes, or None when it may."""
    if not secret:
        return f"{name} is required"
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"{name} must be at least {MIN_SECRET_BYTES} bytes"
    if secret.strip().lower() in EXAMPLE_SECRETS:
        return f"{name} is a default or example value"
    if len(set(secret)) < MIN_DISTINCT_CHARS or _repeats_a_shorter_unit(secret):
        return f"{name} is a default or low-entropy value"
    if (other := _shared_with(secret, env, name)) is not None:
        return f"{name} must not be shared: {other} holds the same secret"
    return None
