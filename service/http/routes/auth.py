"""Accounts: register, login, me."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from aiohttp import web

from service import plan_cache
from service.auth.hashing import Line
from service.auth.password_policy import check_new_password
from service.auth.passwords import hash_password, verify_password
from service.auth.tokens import issue_access_token, new_refresh_token
from service.errors import InvalidCredentials, InvalidRequest, InvalidToken
from service.http.clients import client_key
from service.http.common import authenticate, read_json, token_response
from service.http.renewal import Renewal, renewal_asked, set_renewal_cookie
from service.keys import HASHING, LOCKOUT, REDIS, SESSIONS, SETTINGS
from service.plans import Plan
from service.store import login_sessions, users
from service.validation import clean_text

routes = web.RouteTableDef()
T = TypeVar("T")


# Sign-in and sign-up bodies are a few hundred bytes: anything much larger is refused before
# the strict parser (slow, on the event loop) sees it.
AUTH_BODY_BYTES = 8 * 1024


def client(request: web.Request) -> str:
    """Who the caller is for the per-address rules: their address, or their IPv6 /64."""
    settings = request.app[SETTINGS]
    return client_key(
        request.remote,
        ipv4_prefix=settings.client_ipv4_prefix,
        ipv6_prefix=settings.client_ipv6_prefix,
    )


async def hashed(request: web.Request, line: Line, work: Callable[..., T], *args: object) -> T:
    """argon2 work (deliberately slow) off the event loop, in this caller's turn of `line`."""
    return await request.app[HASHING].run(line, client(request), work, *args)


def _email(value: object) -> str:
    email = clean_text(value, field="email", max_chars=320).strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise InvalidRequest("email must be an email address")
    return email


@routes.post("/api/auth/register")
async def register(request: web.Request) -> web.Response:
    body = await read_json(request, max_bytes=AUTH_BODY_BYTES)
    email = _email(body.get("email"))
    password = clean_text(body.get("password"), field="password", max_chars=200)
    name = clean_text(body.get("name"), field="name", max_chars=200).strip()
    check_new_password(password, email=email)
    password_hash = await hashed(request, Line.SIGN_UP, hash_password, password)
    async with request.app[SESSIONS]() as session:
        user = await users.create_user(session, email=email, name=name, password_hash=password_hash)
    return web.json_response({"user_id": str(user.id)}, status=201)


@dataclass(frozen=True)
class Pair:
    """A fresh access pass and the renewal pass that goes with it."""

    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime


def pair_response(request: web.Request, pair: Pair, renewal: Renewal) -> web.Response:
    """The contract's pair in the body; for the page, the renewal pass in its cookie instead."""
    body: dict[str, object] = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
    }
    if renewal is Renewal.BODY:
        body["refresh_token"] = pair.refresh_token
    response = token_response(body)
    if renewal is Renewal.COOKIE:
        set_renewal_cookie(response, request, pair.refresh_token, pair.refresh_expires_at)
    return response


async def issue_session(request: web.Request, *, user_id: uuid.UUID) -> Pair:
    """A new login session: an access token and the first refresh token of its family (which
    expires no later than the login's absolute end)."""
    settings = request.app[SETTINGS]
    session_id = uuid.uuid4()
    refresh, refresh_hash = new_refresh_token()
    lifetime = min(settings.refresh_token_ttl_s, settings.session_max_age_s)
    expires_at = datetime.now(UTC) + timedelta(seconds=lifetime)
    async with request.app[SESSIONS]() as session:
        await login_sessions.start_session(
            session,
            user_id=user_id,
            session_id=session_id,
            token_hash=refresh_hash,
            expires_at=expires_at,
        )
    return Pair(
        access_token=issue_access_token(settings, user_id=user_id, session_id=session_id),
        expires_in=settings.access_token_ttl_s,
        refresh_token=refresh,
        refresh_expires_at=expires_at,
    )


@routes.post("/api/auth/login")
async def login(request: web.Request) -> web.Response:
    body = await read_json(request, max_bytes=AUTH_BODY_BYTES)
    email = clean_text(body.get("email"), field="email", max_chars=320).strip().lower()
    password = clean_text(body.get("password"), field="password", max_chars=200)
    renewal = renewal_asked(request, body)
    # Counted before the slow hash; refused while locked, even with the right password.
    async with request.app[LOCKOUT].guard(email):
        async with request.app[SESSIONS]() as session:
            user = await users.find_user_by_email(session, email=email)
        # Same answer for an unknown email and a wrong password (no account oracle).
        known_hash = user.password_hash if user else None
        matches = await hashed(request, Line.SIGN_IN, verify_password, known_hash, password)
        if not matches or user is None:
            raise InvalidCredentials("The email or password is not correct")
    await plan_cache.remember(request.app[REDIS], user.id, Plan(user.plan))
    return pair_response(request, await issue_session(request, user_id=user.id), renewal)


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    claims = await authenticate(request)
    async with request.app[SESSIONS]() as session:
        user = await users.get_user(session, user_id=claims.user_id)
    if user is None:
        raise InvalidToken("This account no longer exists")
    return web.json_response({"user_id": str(user.id), "email": user.email, "name": user.name})
