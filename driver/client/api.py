"""The HTTP half of chat.v1: one typed method per call; every non-2xx answer raises ApiError."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDict

from driver.client.errors import ApiError, ContractViolation, error_fields
from driver.client.models import Message, Profile, Thread, Tokens, as_list, as_object, field


@dataclass(frozen=True)
class RawResponse:
    """Any answer, kept whole, for scenarios that probe the service with odd input."""

    status: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class ChatApi:
    def __init__(
        self, base_url: str, session: aiohttp.ClientSession, *, timeout: float = 10.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = timeout

    # -- accounts and tokens
    async def register(self, email: str, password: str, name: str) -> str:
        body = await self._call(
            "POST", "/api/auth/register", {"email": email, "password": password, "name": name}
        )
        return field(as_object(body, "the registration answer"), "user_id", str, "registration")

    async def login(self, email: str, password: str) -> Tokens:
        body = await self._call("POST", "/api/auth/login", {"email": email, "password": password})
        return Tokens.parse(body, "the login answer")

    async def refresh(self, refresh_token: str) -> Tokens:
        body = await self._call("POST", "/api/auth/refresh", {"refresh_token": refresh_token})
        return Tokens.parse(body, "the refresh answer")

    async def logout(self, access: str) -> None:
        await self._call("POST", "/api/auth/logout", access=access)

    async def logout_all(self, access: str) -> None:
        await self._call("POST", "/api/auth/logout-all", access=access)

    async def change_password(self, access: str, current: str, new: str) -> None:
        body = {"current_password": current, "new_password": new}
        await self._call("POST", "/api/auth/password", body, access=access)

    async def enterprise_sign_in(self, id_token: str) -> Tokens:
        body = await self._call("POST", "/api/auth/sso", {"id_token": id_token})
        return Tokens.parse(body, "the enterprise sign-in answer")

    async def me(self, access: str) -> Profile:
        return Profile.parse(await self._call("GET", "/api/me", access=access), "GET /api/me")

    # -- usage data
    async def post_usage(self, access: str, records: Sequence[Mapping[str, Any]]) -> int:
        body = await self._call("POST", "/api/usage", {"records": list(records)}, access=access)
        return field(as_object(body, "the usage answer"), "accepted", int, "the usage answer")

    async def usage_summary(self, access: str) -> dict[str, Any]:
        body = await self._call("GET", "/api/usage/summary", access=access)
        return dict(as_object(body, "the usage summary"))

    # -- conversations
    async def threads(self, access: str, *, limit: int | None = None) -> list[Thread]:
        params = None if limit is None else {"limit": str(limit)}
        body = await self._call("GET", "/api/threads", access=access, params=params)
        return [Thread.parse(item, "a thread") for item in as_list(body, "GET /api/threads")]

    async def messages(self, access: str, thread_id: str) -> list[Message]:
        path = f"/api/threads/{thread_id}/messages"
        body = await self._call("GET", path, access=access)
        return [Message.parse(item, "a message") for item in as_list(body, f"GET {path}")]

    async def run_events(self, access: str, thread_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/api/threads/{thread_id}/runs/{run_id}/events"
        body = await self._call("GET", path, access=access)
        return [dict(as_object(e, "a logged event")) for e in as_list(body, f"GET {path}")]

    async def search(self, access: str, q: str) -> list[dict[str, Any]]:
        body = await self._call("GET", "/api/search", access=access, params={"q": q})
        return [dict(as_object(hit, "a search hit")) for hit in as_list(body, "GET /api/search")]

    # -- health and operations (answers, never raises on status)
    async def healthz(self) -> tuple[int, Any]:
        raw = await self.raw("GET", "/healthz")
        return raw.status, _maybe_json(raw.text)

    async def readyz(self) -> tuple[int, Any]:
        raw = await self.raw("GET", "/readyz")
        return raw.status, _maybe_json(raw.text)

    async def raw(
        self,
        method: str,
        path: str,
        *,
        access: str | None = None,
        json_body: Any = None,
        data: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> RawResponse:
        """Send anything and keep the whole answer; for probing, not for the happy path."""
        sent_headers = dict(headers or {})
        if access is not None:
            sent_headers["Authorization"] = f"Bearer {access}"
        async with self.session.request(
            method,
            self.base_url + path,
            json=json_body,
            data=data,
            headers=sent_headers,
            params=params,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            allow_redirects=False,
        ) as response:
            text = await response.text(errors="replace")
            return RawResponse(response.status, CIMultiDict(response.headers), text)

    async def _call(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        access: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        raw = await self.raw(method, path, access=access, json_body=json_body, params=params)
        request = f"{method} {path}"
        if not 200 <= raw.status < 300:
            code, message, retry_after = error_fields(raw.status, raw.text, raw.headers)
            raise ApiError(raw.status, code, message, retry_after, request=request)
        if raw.status == 204 or not raw.text:
            return None
        try:
            return raw.json()
        except ValueError as exc:
            raise ContractViolation(f"{request} answered {raw.status} with no JSON body") from exc


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
