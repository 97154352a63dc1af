"""Access tokens (JWT, HS256, pinned) and opaque refresh tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

import jwt
from pydantic import SecretStr

from service.errors import InvalidToken, TokenExpired

ALGORITHM = "HS256"  # pinned here: never taken from the token's header
ACCESS_TYPE = "at+jwt"
REQUIRED_CLAIMS = ["sub", "iss", "aud", "exp", "iat", "jti", "sid"]
LEEWAY_S = 5
MAX_TOKEN_CHARS = 4096
# Access passes live at most a day: revocation marks are kept that long
# (service/auth/revocation.py).
MAX_ACCESS_TOKEN_TTL_S = 24 * 3600


class PassSettings(Protocol):
    """What passes are made and checked with, of the service's settings (service/settings.py,
    above this room)."""

    @property
    def jwt_secret(self) -> SecretStr: ...
    @property
    def jwt_issuer(self) -> str: ...
    @property
    def jwt_audience(self) -> str: ...
    @property
    def access_token_ttl_s(self) -> int: ...


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    token_id: str
    expires_at: float


def issue_access_token(
    settings: PassSettings, *, user_id: uuid.UUID, session_id: uuid.UUID, now: float | None = None
) -> str:
    issued = int(time.time() if now is None else now)
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": issued + settings.access_token_ttl_s,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(
        claims,
        settings.jwt_secret.get_secret_value(),
        algorithm=ALGORITHM,
        headers={"typ": ACCESS_TYPE},
    )


def decode_access_token(settings: PassSettings, token: str) -> AccessClaims:
    """Verify signature, type and every required claim, or raise the contract's error."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidToken("The access token is missing or malformed")
    try:
        if jwt.get_unverified_header(token).get("typ") != ACCESS_TYPE:
            raise InvalidToken("This is not an access token")
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=LEEWAY_S,
            options={"require": REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
        )
        if claims["iat"] > time.time() + LEEWAY_S:
            raise InvalidToken("The access token was issued in the future")
        return AccessClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            session_id=uuid.UUID(str(claims["sid"])),
            token_id=str(claims["jti"]),
            expires_at=float(claims["exp"]),
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired("The access token has expired") from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise InvalidToken("The access token is not valid") from exc


def new_refresh_token() -> tuple[str, str]:
    """A random refresh token and the hash we store instead of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
