"""Passes (access tokens) an attacker or a clock could produce, for the refusal scenarios."""

from __future__ import annotations

import secrets
import time
import uuid

import jwt

ACCESS_TYPE = "at+jwt"


def signed_pass(
    secret: str, *, issuer: str, audience: str, lifetime_s: int = 900, issued_ago_s: int = 0
) -> str:
    """A pass with every claim the contract requires, signed with `secret`."""
    issued = int(time.time()) - issued_ago_s
    claims = {
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + lifetime_s,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": ACCESS_TYPE})


def expired_pass(secret: str, *, issuer: str, audience: str) -> str:
    """Correctly signed, but expired an hour ago (far beyond any clock leeway)."""
    return signed_pass(secret, issuer=issuer, audience=audience, issued_ago_s=2 * 3600)


def pass_signed_by_someone_else(*, issuer: str, audience: str) -> str:
    return signed_pass(secrets.token_urlsafe(48), issuer=issuer, audience=audience)


def made_up_pass() -> str:
    return "this-is-not-a-pass." + secrets.token_urlsafe(16)
