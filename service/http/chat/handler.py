"""The `/ws` endpoint: authenticate at the handshake, then serve frames until the socket closes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import Any

from aiohttp import WSMsgType, hdrs, web

from service.auth.tokens import AccessClaims, decode_access_token
from service.contract import CloseCode, ControlType, ErrorCode, control_frame
from service.delivery.chat.arrivals import Turn
from service.delivery.chat.closing import finish, messages
from service.delivery.chat.flow import cap_send_buffer, writer_limit
from service.delivery.chat.frames import PingFrame, ResumeFrame, parse_frame
from service.delivery.chat.hub import Connection
from service.delivery.chat.outbox import Outbox
from service.delivery.chat.person_limits import over_the_rate
from service.delivery.chat.socket_limits import frame_budget
from service.delivery.chat.wire import SocketWriter
from service.delivery.replay import Replayer
from service.errors import (
    Busy,
    FrameError,
    InvalidFrame,
    InvalidRequest,
    InvalidToken,
    OriginNotAllowed,
    RateLimited,
    ServiceError,
    TemporarilyUnavailable,
)
from service.http.chat.asking import SEND_TIMEOUT_S, ask
from service.http.common import bearer_token, error_response
from service.http.origins import origin_allowed
from service.keys import ARRIVALS, CHAT_LIMITS, HUB, PLANS, REDIS, REVOCATIONS, SESSIONS, SETTINGS
from service.logs import note_user
from service.metrics import REFUSALS
from service.plans import Plan
from service.resilience.deadlines import within
from service.resilience.failures import as_service_error

log = logging.getLogger("service.ws")

MAX_FRAME_BYTES = 64 * 1024
BAD_FRAMES_PER_MINUTE = 10
BAD_FRAME_CODES = frozenset(
    {ErrorCode.INVALID_JSON, ErrorCode.INVALID_FRAME, ErrorCode.UNKNOWN_TYPE}
)
SUBPROTOCOL = "chat.v1"
BEARER_PREFIX = "bearer."
# How long a closing socket may take to send what is already queued (error frames first).
FLUSH_TIMEOUT_S = 1.0
# On shutdown, how long the closing handshakes may hold up the drain.
SHUTDOWN_CLOSE_S = 2.0
# How long a browser turned away with 1013 may take to answer the close.
BUSY_CLOSE_S = 2.0


def _offered(value: str) -> list[str]:
    return [p.strip() for p in value.split(",")]


def _check_subprotocols(request: web.Request) -> None:
    """An offer of subprotocols must name `chat.v1`, or it is refused before the upgrade.

    aiohttp upgrades an offer without overlap and logs every protocol offered at WARNING: a
    browser-form pass (`bearer.<jwt>`) would land in the log. aiohttp reads the first header
    line only, so the first line must name it."""
    if (first := request.headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL)) is None:
        return  # a program's handshake: the pass comes in the Authorization header
    if SUBPROTOCOL not in _offered(first):
        raise InvalidRequest(
            f"Offer the {SUBPROTOCOL} subprotocol: browsers offer "
            f'["{SUBPROTOCOL}", "{BEARER_PREFIX}<access token>"]'
        )


def _handshake_token(request: web.Request) -> str | None:
    """The pass from the Authorization header, or the browser's `bearer.<jwt>` subprotocol."""
    if (token := bearer_token(request)) is not None:
        return token
    offered = _offered_protocols(request)
    return next((p[len(BEARER_PREFIX) :] for p in offered if p.startswith(BEARER_PREFIX)), None)


def _offered_protocols(request: web.Request) -> list[str]:
    return [
        p
        for line in request.headers.getall(hdrs.SEC_WEBSOCKET_PROTOCOL, ())
        for p in _offered(line)
    ]


async def _admit(request: web.Request) -> AccessClaims:
    """Every check that must pass before the upgrade, raising the contract's error."""
    settings = request.app[SETTINGS]
    if not origin_allowed(request, request.headers.get("Origin"), settings.allowed_origins):
        raise OriginNotAllowed("This site is not allowed to open the chat")
    _check_subprotocols(request)
    token = _handshake_token(request)
    if token is None:
        raise InvalidToken("Sign in first: no access token was given")
    claims = decode_access_token(settings, token)
    note_user(claims.user_id)
    # The check may need PostgreSQL: a frozen one answers 503 before the upgrade, not never.
    revocations = request.app[REVOCATIONS]
    await within(SEND_TIMEOUT_S, revocations.ensure_active(claims), what="the revocation check")
    return claims


class BadFrameBudget:
    """Counts refused frames in a sliding minute; past the budget the socket is closed."""

    def __init__(self) -> None:
        self._times: list[float] = []

    def spend(self) -> bool:
        now = time.monotonic()
        self._times = [t for t in self._times if now - t < 60.0]
        self._times.append(now)
        return len(self._times) <= BAD_FRAMES_PER_MINUTE


async def websocket(request: web.Request) -> web.StreamResponse:
    # A crowd arriving at once takes turns (service/delivery/chat/arrivals.py): the turn is held
    # from the checks to the upgrade.
    turn = request.app[ARRIVALS].turn()
    try:
        try:
            await turn.take()
        except Busy as busy:
            return await _busy(request, busy)
        try:
            claims = await _admit(request)
            plan = await request.app[PLANS].of(claims.user_id)
            quotas = request.app[SETTINGS].plans[plan]
            ticket = await request.app[CHAT_LIMITS].open(
                claims.user_id, max_chats=quotas.open_chats, plan=plan
            )
        except ServiceError as error:
            return error_response(error)
        try:
            return await _serve(request, claims, plan, turn)
        finally:
            await request.app[CHAT_LIMITS].close(ticket)
    finally:
        turn.give_back()


async def _busy(request: web.Request, busy: Busy) -> web.StreamResponse:
    """Turned away by the line: 503 `busy` with Retry-After. A browser cannot read a refused
    handshake's answer (its WebSocket reports 1006 and nothing else), so a browser's handshake
    (its pass in the subprotocols) is upgraded and closed at once with 1013 and the seconds in
    the reason, which the page honours."""
    if not any(p.startswith(BEARER_PREFIX) for p in _offered_protocols(request)):
        return error_response(busy)
    REFUSALS.labels(busy.code).inc()
    ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,), timeout=BUSY_CLOSE_S, compress=False)
    await ws.prepare(request)
    await ws.close(
        code=CloseCode.TRY_LATER, message=f"busy; retry after {busy.retry_after} s".encode()
    )
    return ws


async def _serve(
    request: web.Request, claims: AccessClaims, plan: Plan, turn: Turn
) -> web.WebSocketResponse:
    delivery = request.app[SETTINGS].delivery
    send_buffer = delivery.socket_send_buffer_bytes
    ws = web.WebSocketResponse(
        protocols=(SUBPROTOCOL,),
        heartbeat=delivery.heartbeat_s,
        max_msg_size=MAX_FRAME_BYTES,
        writer_limit=writer_limit(send_buffer),
        # No permessage-deflate: frames are small, and a zlib context per socket cost more CPU
        # and memory than it saved at a thousand open chats.
        compress=False,
    )
    await ws.prepare(request)
    turn.give_back()
    cap_send_buffer(request, send_buffer)
    connection = Connection(
        ws,
        claims.user_id,
        claims.session_id,
        claims.expires_at,
        outbox=Outbox(request.app[HUB].outbox_frames),
        plan=plan,
    )
    hub = request.app[HUB]
    hub.add(connection)
    # A logout that landed between the check above and joining the hub still closes it.
    request.app[REVOCATIONS].close_if_revoked(connection)
    # An idle chat holds no task of its own but this handler's (10,000 open: issue 19): the
    # outbox writes while it has frames, and the pass's expiry is a timer.
    connection.outbox.start(SocketWriter(ws))
    expiry = asyncio.get_running_loop().call_later(
        max(0.0, connection.expires_at - time.time()),
        connection.closer.request,
        CloseCode.PASS_ENDED,
        b"pass expired",
    )
    try:
        await _read(request, connection)
    finally:
        hub.remove(connection)
        expiry.cancel()
        await connection.outbox.stop()
        await finish(ws, connection.closer)
    return ws


async def _flush_then_close(connection: Connection, code: CloseCode, reason: bytes) -> None:
    """Close after the frames already queued (the error that explains the close) are sent."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(FLUSH_TIMEOUT_S):
            await connection.outbox.join()
    connection.closer.request(code, reason)


async def _read(request: web.Request, connection: Connection) -> None:
    ws = connection.ws
    bad_frames = BadFrameBudget()
    frames = frame_budget()
    async for message in messages(ws, connection.closer):
        if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            continue  # aiohttp has already answered close, ping and oversize frames
        reply: dict[str, Any] | None
        if (wait := frames.take(1)) > 0:
            # Dropped unread: a flood of any kind costs the instance no parsing.
            connection.sends.refused()
            reply = _over_budget(wait)
        elif message.type == WSMsgType.TEXT:
            reply = await _handle(request, connection, message.data)
        else:
            reply = InvalidFrame("Frames must be JSON text").frame()
        if reply is None:
            continue
        if reply["type"] == ControlType.ERROR:
            REFUSALS.labels(reply["error"]).inc()
        connection.offer(reply)
        if reply.get("error") in BAD_FRAME_CODES and not bad_frames.spend():
            await _flush_then_close(connection, CloseCode.POLICY, b"too many bad frames")
            return
        if reply.get("error") == ErrorCode.RATE_LIMITED and connection.sends.exhausted:
            await _flush_then_close(connection, CloseCode.RATE_LIMITED, b"rate limited")
            return


def _over_budget(wait: float) -> dict[str, Any]:
    seconds = max(1, math.ceil(wait))
    message = f"Too many messages at once; wait {seconds} s"
    return RateLimited(message, retry_after=seconds).frame()


async def _handle(request: web.Request, connection: Connection, raw: str) -> dict[str, Any] | None:
    try:
        frame = parse_frame(raw)
    except FrameError as exc:
        return exc.frame(exc.ref)
    if isinstance(frame, PingFrame):
        return control_frame(ControlType.PONG)
    limits = request.app[CHAT_LIMITS]
    if isinstance(frame, ResumeFrame):
        wait = await limits.resume_wait(connection.user_id, len(frame.runs))
        if (refusal := over_the_rate(connection, frame, wait)) is not None:
            return refusal
        app = request.app
        await Replayer(app[SESSIONS], app[REDIS], app[HUB]).resume(connection, frame.runs)
        return None
    per_day = request.app[SETTINGS].plans[connection.plan].questions_per_day
    taken = await limits.take_question(connection.user_id, per_day)
    if (refusal := over_the_rate(connection, frame, taken.wait)) is not None:
        return refusal
    try:
        await ask(request, connection, frame, taken)
        return None
    except Exception as exc:
        error = as_service_error(exc)
        if error is None:
            log.exception("send failed", extra={"user_id": connection.user_id})
            message = "Could not take the question; resend it"
            return TemporarilyUnavailable(message).frame(str(frame.client_msg_id))
        return error.frame(str(frame.client_msg_id))


async def close_all(connections: list[Connection]) -> None:
    """On shutdown: tell every client to reconnect elsewhere and resume. The handshakes get
    a moment (each socket's handler finishes its own), then the drain goes on."""
    closing = [
        asyncio.ensure_future(c.closer.close(CloseCode.GOING_AWAY, b"server shutting down"))
        for c in connections
    ]
    if closing:
        await asyncio.wait(closing, timeout=SHUTDOWN_CLOSE_S)
