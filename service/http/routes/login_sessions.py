"""Login sessions: renew a pass, sign out (one device or everywhere), change the password, and
the optional enterprise sign-in. Every way of ending a login session ends it on every instance.
(A bare "session" in the service is a database session: service/store/db.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from service import plan_cache
from service.auth.hashing import Line
from service.auth.oidc import MAX_TOKEN_CHARS as MAX_ID_TOKEN_CHARS
from service.auth.password_policy import check_new_password
from service.auth.passwords import hash_password, verify_password
from service.auth.tokens import hash_refresh_token, issue_access_token, new_refresh_token
from service.errors import (
    InvalidCredentials,
    InvalidToken,
    NotFound,
    TokenExpired,
)
from service.http.common import authenticate, error_response, read_json
from service.http.renewal import (
    Renewal,
    check_browser_origin,
    clear_renewal_cookie,
    presented_cookie,
    renewal_asked,
)
from service.http.routes.auth import Pair, hashed, issue_session, pair_response
from service.keys import LOCKOUT, OIDC, REDIS, REVOCATIONS, SESSIONS, SETTINGS
from service.plans import Plan
from service.store import identities, users
from service.store import login_sessions as store
from service.store.login_sessions import Outcome
from service.validation import clean_text

routes = web.RouteTableDef()
MAX_REFRESH_TOKEN_CHARS = 200


@routes.post("/api/auth/refresh")
async def refresh(request: web.Request) -> web.Response:
    """Rotate: spend the presented refresh token and answer a new pair. A spent one presented
    again (stolen, or replayed) ends its whole login.

    Programs present it in the body and get the successor there. The page asks with
    `"renewal": "cookie"` and presents its cookie (service/http/renewal.py), from an allowed
    origin only, and gets the successor as the new cookie; a refused cookie is cleared."""
    body = await read_json(request)
    if renewal_asked(request, body) is Renewal.BODY:
        token = clean_text(
            body.get("refresh_token"), field="refresh_token", max_chars=MAX_REFRESH_TOKEN_CHARS
        )
        return pair_response(request, await _rotate(request, token), Renewal.BODY)
    check_browser_origin(request, required=True)
    cookie = presented_cookie(request)
    if cookie is None:
        raise InvalidToken("No renewal was presented: sign in again")
    try:
        if len(cookie) > MAX_REFRESH_TOKEN_CHARS:
            raise InvalidToken("This renewal is not valid: sign in again")
        pair = await _rotate(request, cookie)
    except (InvalidToken, TokenExpired) as refused:
        response = error_response(refused)
        clear_renewal_cookie(response, request)
        return response
    return pair_response(request, pair, Renewal.COOKIE)


async def _rotate(request: web.Request, presented: str) -> Pair:
    settings = request.app[SETTINGS]
    successor, successor_hash = new_refresh_token()
    async with request.app[SESSIONS]() as session:
        rotation = await store.rotate_refresh_token(
            session,
            token_hash=hash_refresh_token(presented),
            successor_hash=successor_hash,
            expires_at=datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_s),
            max_age=timedelta(seconds=settings.session_max_age_s),
        )
    if rotation.outcome is Outcome.ROTATED:
        assert rotation.user_id is not None and rotation.session_id is not None
        assert rotation.expires_at is not None
        return Pair(
            access_token=issue_access_token(
                settings, user_id=rotation.user_id, session_id=rotation.session_id
            ),
            expires_in=settings.access_token_ttl_s,
            refresh_token=successor,
            refresh_expires_at=rotation.expires_at,
        )
    if rotation.outcome is Outcome.REUSED:
        assert rotation.session_id is not None
        await request.app[REVOCATIONS].revoke(
            reason="refresh_reused", session_ids=[rotation.session_id]
        )
        raise InvalidToken("This renewal was already used, so the sign-in was ended for safety")
    if rotation.outcome is Outcome.EXPIRED:
        raise TokenExpired("This sign-in has expired: sign in again")
    raise InvalidToken("This renewal is not valid: sign in again")


def _signed_out(request: web.Request) -> web.Response:
    """204, and the page's renewal cookie (if any) cleared."""
    response = web.Response(status=204)
    clear_renewal_cookie(response, request)
    return response


@routes.post("/api/auth/logout")
async def logout(request: web.Request) -> web.Response:
    claims = await authenticate(request)
    await request.app[REVOCATIONS].revoke(reason="logout", session_ids=[claims.session_id])
    return _signed_out(request)


@routes.post("/api/auth/logout-all")
async def logout_all(request: web.Request) -> web.Response:
    """Sign out everywhere: every session of the person ends, this one included."""
    claims = await authenticate(request)
    await request.app[REVOCATIONS].revoke(reason="logout_all", user_id=claims.user_id)
    return _signed_out(request)


@routes.post("/api/auth/password")
async def change_password(request: web.Request) -> web.Response:
    """Change the password (the current one is required) and end every session of the person."""
    claims = await authenticate(request)
    body = await read_json(request)
    current = clean_text(body.get("current_password"), field="current_password", max_chars=200)
    new = clean_text(body.get("new_password"), field="new_password", max_chars=200)
    async with request.app[SESSIONS]() as session:
        user = await users.get_user(session, user_id=claims.user_id)
    if user is None:
        raise InvalidToken("This account no longer exists")
    check_new_password(new, email=user.email, field="new_password")
    # A stolen pass must not become a way around the sign-in lockout.
    async with request.app[LOCKOUT].guard(user.email):
        # A signed-in person's: the sign-in line, which a sign-up flood cannot take.
        if not await hashed(request, Line.SIGN_IN, verify_password, user.password_hash, current):
            raise InvalidCredentials("The current password is not correct")
    new_hash = await hashed(request, Line.SIGN_IN, hash_password, new)
    async with request.app[SESSIONS]() as session:
        ended = await users.change_password(session, user_id=user.id, password_hash=new_hash)
    await request.app[REVOCATIONS].announce(set(ended), reason="password_changed", user_id=user.id)
    return _signed_out(request)


@routes.post("/api/auth/sso")
async def enterprise_sign_in(request: web.Request) -> web.Response:
    """Exchange an ID token of the configured OpenID Connect provider for our own pair."""
    verifier = request.app.get(OIDC)
    if verifier is None:
        raise NotFound("Enterprise sign-in is not configured for this deployment")
    body = await read_json(request)
    token = clean_text(body.get("id_token"), field="id_token", max_chars=MAX_ID_TOKEN_CHARS)
    renewal = renewal_asked(request, body)
    identity = await verifier.verify(token)
    async with request.app[SESSIONS]() as session:
        user_id = await identities.account_for(
            session,
            issuer=identity.issuer,
            subject=identity.subject,
            email=identity.email,
            name=identity.name,
        )
    # Enterprise sign-in admits Enterprise accounts only (service/store/identities.py).
    await plan_cache.remember(request.app[REDIS], user_id, Plan.ENTERPRISE)
    return pair_response(request, await issue_session(request, user_id=user_id), renewal)
