"""Enterprise sign-in: verify an OpenID Connect ID token from the one configured issuer.

- RS256 only, pinned here; the token's `alg` must say so before anything else is looked at.
- Keys come from the issuer's own key set: its discovery document's `jwks_uri`, which must be on
  the issuer's origin. `kid` only picks a key out of that set. `jku`, `x5u`, `jwk` and `x5c`
  headers are never read, so a token cannot make us fetch or trust anything else.
- Key rotation: an unknown `kid` refetches the key set, at most once per `refetch_s` per
  instance, so a flood of made-up key ids cannot turn us into a traffic source against the issuer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jwt
from jwt import PyJWK

from service.errors import InvalidRequest, InvalidToken, TemporarilyUnavailable, TokenExpired
from service.validation import clean_text

log = logging.getLogger("service.oidc")

ALGORITHM = "RS256"
LEEWAY_S = 5
MAX_TOKEN_CHARS = 16 * 1024
MAX_KID_CHARS = 200
FETCH_TIMEOUT_S = 3.0
# Keys are refetched on use after this long even when every kid is known (removed keys go away).
MAX_KEYS_AGE_S = 3600.0
REQUIRED = ["iss", "sub", "aud", "exp", "iat"]


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    email: str
    name: str


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


class OidcVerifier:
    def __init__(
        self, *, issuer: str, client_id: str, refetch_s: float, http: aiohttp.ClientSession
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._refetch_s = refetch_s
        self._http = http
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> Identity:
        """The person an ID token names, or the contract's error."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken("The sign-in token is missing or malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("The sign-in token is malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("The sign-in token is not signed the way the provider signs")
        kid = header.get("kid")
        if kid is not None and (not isinstance(kid, str) or len(kid) > MAX_KID_CHARS):
            raise InvalidToken("The sign-in token names no usable key")
        key = await self._key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=self.client_id,
                issuer=self.issuer,
                leeway=LEEWAY_S,
                options={"require": REQUIRED, "enforce_minimum_key_length": True},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("The sign-in token has expired") from exc
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            raise InvalidToken("The sign-in token is not valid") from exc
        if not isinstance(claims["iat"], int | float) or claims["iat"] > time.time() + LEEWAY_S:
            raise InvalidToken("The sign-in token was issued in the future")
        self._check_party(claims)
        return _identity(self.issuer, claims)

    def _check_party(self, claims: dict[str, Any]) -> None:
        """OpenID Connect Core 3.1.3.7: a token for several audiences must name us as its
        authorized party (`azp`), and an `azp` that names another client is refused."""
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        azp = claims.get("azp")
        if azp is None and len(audiences) > 1:
            raise InvalidToken("The sign-in token names no authorized party")
        if azp is not None and azp != self.client_id:
            raise InvalidToken("The sign-in token was issued to another application")

    async def _key(self, kid: str | None) -> PyJWK:
        async with self._lock:
            stale = self._fetched_at is None or time.monotonic() - self._fetched_at > MAX_KEYS_AGE_S
            if stale or (self._lookup(kid) is None and self._may_refetch()):
                await self._fetch()
            key = self._lookup(kid)
        if key is None:
            raise InvalidToken("The sign-in token names a key the provider does not publish")
        return key

    def _lookup(self, kid: str | None) -> PyJWK | None:
        if kid is None:
            # Without a kid, only an unambiguous key set will do.
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or time.monotonic() - self._fetched_at >= self._refetch_s

    async def _fetch(self) -> None:
        self._fetched_at = time.monotonic()  # a failed fetch counts too: no hammering
        try:
            discovery = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            jwks_uri = discovery.get("jwks_uri")
            if not isinstance(jwks_uri, str) or _origin(jwks_uri) != _origin(self.issuer):
                raise ValueError(f"jwks_uri {jwks_uri!r} is not on the issuer's origin")
            key_set = await self._get_json(jwks_uri)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("could not fetch the sign-in provider's keys: %r", exc)
            if not self._keys:
                raise TemporarilyUnavailable(
                    "The sign-in provider cannot be reached; try again shortly", retry_after=5
                ) from exc
            return
        self._keys = _usable_keys(key_set)
        log.info("sign-in provider keys loaded: %s", ", ".join(sorted(self._keys)) or "none")

    async def _get_json(self, url: str) -> dict[str, Any]:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
        async with self._http.get(url, timeout=timeout, allow_redirects=False) as response:
            if response.status != 200:
                raise ValueError(f"{url} answered {response.status}")
            body = await response.json(content_type=None)
        if not isinstance(body, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return body


def _usable_keys(key_set: dict[str, Any]) -> dict[str, PyJWK]:
    """RSA signing keys for RS256, by kid; anything else in the set is skipped."""
    keys: dict[str, PyJWK] = {}
    raw = key_set.get("keys")
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or item.get("kty") != "RSA":
            continue
        if item.get("use", "sig") != "sig" or item.get("alg", ALGORITHM) != ALGORITHM:
            continue
        kid = item.get("kid")
        try:
            key = PyJWK(item, algorithm=ALGORITHM)
        except (jwt.PyJWKError, ValueError, TypeError):
            continue
        keys[kid if isinstance(kid, str) else ""] = key
    return keys


def _identity(issuer: str, claims: dict[str, Any]) -> Identity:
    try:
        subject = clean_text(claims.get("sub"), field="sub", max_chars=255)
        email = clean_text(claims.get("email"), field="email", max_chars=320).strip().lower()
        name = claims.get("name")
        shown = clean_text(name, field="name", max_chars=200) if name else email
    except InvalidRequest as exc:
        raise InvalidToken(f"The sign-in token is incomplete: {exc.message}") from exc
    if "@" not in email:
        raise InvalidToken("The sign-in token carries no email address")
    # Accounts are created with this email: only one the provider says it verified will do
    # (a missing claim is not a yes).
    if claims.get("email_verified") is not True:
        raise InvalidToken("The provider has not verified this email address")
    return Identity(issuer=issuer, subject=subject, email=email, name=shown.strip() or email)
