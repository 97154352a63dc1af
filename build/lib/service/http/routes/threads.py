"""Conversation history: threads, messages, run event logs and search, each the caller's own."""

from __future__ import annotations

import uuid

from aiohttp import web

from service.errors import NotFound
from service.http.common import authenticate
from service.http.paging import (
    DEFAULT_LIMIT,
    DEFAULT_MESSAGE_LIMIT,
    MAX_LIMIT,
    MAX_MESSAGE_LIMIT,
    page_of,
)
from service.keys import SESSIONS
from service.store import conversations, pages
from service.store.models import Message
from service.validation import clean_text

routes = web.RouteTableDef()


def _path_uuid(request: web.Request, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError as exc:
        raise NotFound("No such resource") from exc


def _message(message: Message) -> dict[str, object]:
    return {
        "message_id": str(message.id),
        "thread_id": str(message.thread_id),
        "role": message.role,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        "run_id": str(message.run_id) if message.run_id else None,
    }


@routes.get("/api/threads")
async def threads(request: web.Request) -> web.Response:
    claims = await authenticate(request)
    page = page_of(request, default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
    async with request.app[SESSIONS]() as session:
        rows = await pages.thread_page(
            session, user_id=claims.user_id, limit=page.limit, before=page.before
        )
    return web.json_response(
        [
            {
                "thread_id": str(t.id),
                "title": t.title,
                "created_at": t.created_at.isoformat(),
                "updated_at": t.updated_at.isoformat(),
            }
            for t in rows
        ]
    )


@routes.get("/api/threads/{thread_id}/messages")
async def messages(request: web.Request) -> web.Response:
    claims = await authenticate(request)
    thread_id = _path_uuid(request, "thread_id")
    page = page_of(request, default=DEFAULT_MESSAGE_LIMIT, maximum=MAX_MESSAGE_LIMIT)
    async with request.app[SESSIONS]() as session:
        rows = await pages.message_page(
            session,
            user_id=claims.user_id,
            thread_id=thread_id,
            limit=page.limit,
            before=page.before,
        )
    return web.json_response([_message(m) for m in rows])


@routes.get("/api/threads/{thread_id}/runs/{run_id}/events")
async def run_events(request: web.Request) -> web.Response:
    claims = await authenticate(request)
    async with request.app[SESSIONS]() as session:
        events = await conversations.run_events(
            session,
            user_id=claims.user_id,
            thread_id=_path_uuid(request, "thread_id"),
            run_id=_path_uuid(request, "run_id"),
        )
    return web.json_response(events)


@routes.get("/api/search")
async def search(request: web.Request) -> web.Response:
    claims = await authenticate(request)
    query = clean_text(request.query.get("q", ""), field="q", max_chars=200)
    async with request.app[SESSIONS]() as session:
        rows = await conversations.search_messages(session, user_id=claims.user_id, query=query)
    return web.json_response([_message(m) for m in rows])
