"""The page's sign-in (issue 18), against the real stack: the renewal pass in a cookie no page
script can read, accepted from allowed origins only, rotated, cleared on sign-out; every
sign-in's absolute end; programs' sign-in unchanged. And why an enterprise-only account's
refused sign-in costs the time of any other (a real hash, counted)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.cookies import Morsel, SimpleCookie
from typing import Any

import aiohttp
import argon2._password_hasher as argon2_hasher
import argon2.low_level
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from harness.services import ServiceProcess
from harness.stack import Stack, StackConfig
from service.auth import passwords
from service.http.renewal import COOKIE, COOKIE_PATH, set_renewal_cookie
from service.store.identities import NO_PASSWORD

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

PASSWORD = "a long enough password"
FOREIGN = "http://evil.example"
CONFIGURED = "http://localhost:3000"  # StackConfig's ALLOWED_ORIGINS
SHORT_SIGN_IN_S = 3


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env()) as running:
        yield running


@pytest.fixture(scope="module")
def short_sign_ins(stack: Stack) -> ServiceProcess:
    """An instance of the same stack whose sign-ins end 3 s after they began."""
    return stack.start_service({"SESSION_MAX_AGE_SECONDS": str(SHORT_SIGN_IN_S)})


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # No cookie jar: each test sends and reads the cookie itself, as a browser would.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


class Page:
    """What the chat page sends, from the origin it was served from (or another)."""

    def __init__(self, http: aiohttp.ClientSession, url: str, origin: str | None = None) -> None:
        self.http = http
        self.url = url
        self.origin = url if origin is None else origin

    def headers(self, cookie: str | None = None) -> dict[str, str]:
        headers = {"Origin": self.origin} if self.origin else {}
        if cookie is not None:
            headers["Cookie"] = f"{COOKIE}={cookie}"
        return headers

    async def post(
        self, path: str, body: dict[str, Any], *, cookie: str | None = None, pass_: str = ""
    ) -> tuple[int, dict[str, Any], Morsel[str] | None]:
        headers = self.headers(cookie)
        if pass_:
            headers["Authorization"] = f"Bearer {pass_}"
        async with self.http.post(self.url + path, json=body, headers=headers) as response:
            answer = await response.json() if response.status != 204 else {}
            return response.status, answer, renewal_cookie(response)

    async def sign_up_and_in(self) -> tuple[str, dict[str, Any], Morsel[str]]:
        email = f"page-{uuid.uuid4().hex[:10]}@example.com"
        async with self.http.post(
            self.url + "/api/auth/register",
            json={"email": email, "password": PASSWORD, "name": "P"},
        ) as response:
            assert response.status == 201
        status, body, cookie = await self.post(
            "/api/auth/login", {"email": email, "password": PASSWORD, "renewal": "cookie"}
        )
        assert status == 200, body
        assert cookie is not None, "signing in from the page set no renewal cookie"
        return email, body, cookie

    async def renew(self, cookie: str | None) -> tuple[int, dict[str, Any], Morsel[str] | None]:
        return await self.post("/api/auth/refresh", {"renewal": "cookie"}, cookie=cookie)

    async def me(self, access: str) -> int:
        headers = {"Authorization": f"Bearer {access}"}
        async with self.http.get(self.url + "/api/me", headers=headers) as response:
            return response.status


def renewal_cookie(response: aiohttp.ClientResponse) -> Morsel[str] | None:
    jar: SimpleCookie = SimpleCookie()
    for line in response.headers.getall("Set-Cookie", []):
        jar.load(line)
    return jar.get(COOKIE)


def kept_by_browser_only(cookie: Morsel[str]) -> None:
    assert cookie["httponly"] is True, "page scripts could read the renewal pass"
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == COOKIE_PATH, "the renewal pass is sent beyond its route"
    assert not cookie["secure"], "over plain http a Secure cookie would not be stored at all"


# --- signing in from the page -------------------------------------------------------------------


async def test_signing_in_from_the_page_keeps_the_renewal_pass_out_of_reach_of_scripts(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    page = Page(http, stack.service_urls[0])
    _, body, cookie = await page.sign_up_and_in()
    assert "refresh_token" not in body, "the renewal pass is in the answer the page reads"
    assert await page.me(body["access_token"]) == 200
    kept_by_browser_only(cookie)
    max_age = int(cookie["max-age"])
    assert 30 * 24 * 3600 - 60 <= max_age <= 30 * 24 * 3600, max_age


async def test_programs_still_get_both_passes_in_the_answer_and_no_cookie(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    page = Page(http, stack.service_urls[0])
    email, _, _ = await page.sign_up_and_in()
    status, body, cookie = await Page(http, page.url, origin="").post(
        "/api/auth/login", {"email": email, "password": PASSWORD}
    )
    assert status == 200 and "refresh_token" in body and cookie is None
    status, body, cookie = await Page(http, page.url, origin="").post(
        "/api/auth/refresh", {"refresh_token": body["refresh_token"]}
    )
    assert status == 200 and "refresh_token" in body and cookie is None


async def test_a_page_on_another_site_cannot_sign_in_for_a_cookie(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    page = Page(http, stack.service_urls[0])
    email, _, _ = await page.sign_up_and_in()
    status, body, cookie = await Page(http, page.url, origin=FOREIGN).post(
        "/api/auth/login", {"email": email, "password": PASSWORD, "renewal": "cookie"}
    )
    assert (status, body["error"], cookie) == (403, "origin_not_allowed", None)


@pytest.mark.parametrize("renewal", ["Cookie", "both", 1, None])
async def test_an_unknown_place_for_the_renewal_pass_is_refused(
    stack: Stack, http: aiohttp.ClientSession, renewal: object
) -> None:
    status, body, _ = await Page(http, stack.service_urls[0]).post(
        "/api/auth/login", {"email": "x@example.com", "password": PASSWORD, "renewal": renewal}
    )
    assert (status, body["error"]) == (400, "invalid_request")


# --- renewing with the cookie ---------------------------------------------------------------


@pytest.mark.parametrize("origin", ["own", CONFIGURED])
async def test_the_page_renews_with_its_cookie_and_gets_the_next_one(
    stack: Stack, http: aiohttp.ClientSession, origin: str
) -> None:
    own = Page(http, stack.service_urls[0])
    _, _, first = await own.sign_up_and_in()
    page = own if origin == "own" else Page(http, own.url, origin=origin)
    status, body, second = await page.renew(first.value)
    assert status == 200, body
    assert "refresh_token" not in body and await page.me(body["access_token"]) == 200
    assert second is not None and second.value != first.value, "the renewal pass was not rotated"
    kept_by_browser_only(second)
    # The spent one again is a theft or a replay: the whole sign-in ends, and its cookie goes.
    status, body, cleared = await page.renew(first.value)
    assert (status, body["error"]) == (401, "invalid_token")
    assert cleared is not None and cleared["max-age"] == "0" and cleared["path"] == COOKIE_PATH
    status, _, _ = await page.renew(second.value)
    assert status == 401, "a replayed renewal pass did not end the sign-in"


@pytest.mark.parametrize("origin", [FOREIGN, "", "null"])
async def test_a_renewal_with_the_cookie_from_elsewhere_is_refused_and_spends_nothing(
    stack: Stack, http: aiohttp.ClientSession, origin: str
) -> None:
    own = Page(http, stack.service_urls[0])
    _, _, cookie = await own.sign_up_and_in()
    status, body, set_cookie = await Page(http, own.url, origin=origin).renew(cookie.value)
    assert (status, body["error"], set_cookie) == (403, "origin_not_allowed", None)
    assert "access_token" not in body
    status, _, _ = await own.renew(cookie.value)
    assert status == 200, "a refused renewal spent the pass"


async def test_a_renewal_without_the_cookie_is_refused(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await Page(http, stack.service_urls[0]).renew(None)
    assert (status, body["error"]) == (401, "invalid_token")


# --- signing out ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/api/auth/logout", "/api/auth/logout-all"])
async def test_signing_out_clears_the_cookie_and_ends_its_renewal(
    stack: Stack, http: aiohttp.ClientSession, route: str
) -> None:
    page = Page(http, stack.service_urls[0])
    _, body, cookie = await page.sign_up_and_in()
    status, _, cleared = await page.post(route, {}, pass_=body["access_token"])
    assert status == 204
    assert cleared is not None, "signing out left the renewal cookie in the browser"
    assert cleared.value == "" and cleared["max-age"] == "0" and cleared["path"] == COOKIE_PATH
    status, _, _ = await page.renew(cookie.value)
    assert status == 401, "the renewal pass outlived signing out"


# --- the absolute end ---------------------------------------------------------------------------


async def test_renewing_never_carries_a_sign_in_past_its_end(
    short_sign_ins: ServiceProcess, http: aiohttp.ClientSession
) -> None:
    """Renewing every 0.3 s (the old sliding renewal would go on for 30 days), the sign-in
    still ends SESSION_MAX_AGE_SECONDS after it began, for the page and programs alike."""
    page = Page(http, short_sign_ins.url)
    program = Page(http, page.url, origin="")
    began = time.monotonic()
    email, _, cookie = await page.sign_up_and_in()
    status, answer, _ = await program.post(
        "/api/auth/login", {"email": email, "password": PASSWORD}
    )
    assert status == 200
    refresh, page_cookie = answer["refresh_token"], cookie.value
    ended: dict[str, tuple[float, str]] = {}
    while len(ended) < 2 and time.monotonic() - began < SHORT_SIGN_IN_S + 5:
        if "program" not in ended:
            status, answer, _ = await program.post("/api/auth/refresh", {"refresh_token": refresh})
            if status == 200:
                refresh = answer["refresh_token"]
            else:
                ended["program"] = (time.monotonic() - began, answer["error"])
        if "page" not in ended:
            status, answer, next_cookie = await page.renew(page_cookie)
            assert next_cookie is not None
            if status == 200:
                # The browser drops the cookie at the sign-in's end too.
                assert int(next_cookie["max-age"]) <= SHORT_SIGN_IN_S, next_cookie
                page_cookie = next_cookie.value
            else:
                assert next_cookie["max-age"] == "0", "the ended sign-in's cookie was kept"
                ended["page"] = (time.monotonic() - began, answer["error"])
        await asyncio.sleep(0.3)  # the pace of renewals: time passing is what is tested
    for who in ("program", "page"):
        assert who in ended, f"the {who} renewed past the sign-in's end"
        after, error = ended[who]
        assert error == "token_expired", (who, error)
        assert SHORT_SIGN_IN_S - 0.5 <= after <= SHORT_SIGN_IN_S + 2.5, f"{who}: {after:.1f} s"


# --- the cookie over https ------------------------------------------------------------------


@pytest.mark.parametrize(("scheme", "secure"), [("https", True), ("http", False)])
def test_the_cookie_is_secure_whenever_the_page_came_over_https(scheme: str, secure: bool) -> None:
    request = make_mocked_request("POST", "/api/auth/login").clone(scheme=scheme)
    response = web.Response()
    set_renewal_cookie(response, request, "r", datetime.now(UTC) + timedelta(hours=1))
    cookie = response.cookies[COOKIE]
    assert bool(cookie["secure"]) is secure
    assert cookie["httponly"] is True and cookie["samesite"] == "Strict"


# --- an enterprise-only account's refusal ---------------------------------------------------


def test_a_refused_sign_in_costs_one_real_hash_whatever_the_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unknown email, a wrong password and an account with no password (enterprise sign-in
    only) each run argon2 once, so none answers sooner than the others."""
    hashed: list[bytes] = []
    real = argon2.low_level.verify_secret

    def counted(hash_: bytes, secret: bytes, type_: Any) -> bool:
        hashed.append(hash_)
        return real(hash_, secret, type_)

    monkeypatch.setattr(argon2_hasher, "verify_secret", counted)
    stored = passwords.hash_password(PASSWORD)
    for account in (None, stored, NO_PASSWORD):
        hashed.clear()
        assert passwords.verify_password(account, "a wrong password") is False
        assert len(hashed) == 1, f"{account!r}: {len(hashed)} hashes"
    assert passwords.verify_password(NO_PASSWORD, "not-a-real-password") is False
    assert passwords.verify_password(stored, PASSWORD) is True
