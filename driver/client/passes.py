"""Passes (access tokens) an attacker or a clock could produce, for the refusal scenarios.

`PassFactory` knows what a genuine pass looks like (issuer, audience, whose account) and builds
forgeries of it; `forge(name, factory)` picks one by the business name a scenario uses.
Everything is built by hand where a library would refuse to (no signature, a public key used
as a shared secret, an empty key), because an attacker's tools do not refuse.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ACCESS_TYPE = "at+jwt"
HUGE_PASS_BYTES = 12 * 1024
# What a server that resolves `kid` as a file path would read: /dev/null is empty.
KID_PATH = "../../../../../../dev/null"
KID_SQL = "x' UNION SELECT 'mallory-key' -- "
MALLORY_SECRET = "mallory-key"


@functools.cache
def mallory_key() -> rsa.RSAPrivateKey:
    """Mallory's own RSA key pair (made once: generating one takes a noticeable moment)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: Mapping[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


def hs256(header: Mapping[str, Any], claims: Mapping[str, Any], key: bytes | str) -> str:
    """HS256 with any key at all (PyJWT rarely allows empty keys or PEM public keys)."""
    raw_key = key.encode() if isinstance(key, str) else key
    signing_input = f"{_segment({'alg': 'HS256', **header})}.{_segment(claims)}"
    mac = hmac.new(raw_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def rs256(header: Mapping[str, Any], claims: Mapping[str, Any], key: rsa.RSAPrivateKey) -> str:
    return jwt.encode(dict(claims), key, algorithm="RS256", headers=dict(header))


def unsigned(header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    """`alg: none`: a pass that says it needs no signature."""
    return f"{_segment({**header, 'alg': 'none'})}.{_segment(claims)}."


def tampered(token: str, **changes: Any) -> str:
    """The same pass with some claims changed and the original signature kept."""
    header, payload, signature = token.split(".")
    padded = payload + "=" * (-len(payload) % 4)
    claims = json.loads(base64.urlsafe_b64decode(padded))
    claims.update(changes)
    return f"{header}.{_segment(claims)}.{signature}"


@dataclass(frozen=True)
class PassFactory:
    """What genuine passes look like, and the material an attacker might have at hand."""

    issuer: str
    audience: str
    subject: str = field(default_factory=lambda: str(uuid.uuid4()))  # whose account
    secret: str | None = None  # the service's signing secret: only the embedded stack knows it
    own_pass: str | None = None  # Mallory's genuine pass, to tamper with
    refresh_token: str | None = None  # a renewal of the victim's, to misuse
    id_token: str | None = None  # the victim's sign-in provider token, to misuse
    provider_public_key: bytes | None = None  # PEM, published by the sign-in provider
    listener_url: str | None = None  # Mallory's server, which the service must never call

    def with_(self, **changes: Any) -> PassFactory:
        return replace(self, **changes)

    def claims(
        self, *, lifetime_s: int = 900, issued_ago_s: int = 0, **changes: Any
    ) -> dict[str, Any]:
        """Every claim the contract requires; `changes` replace claims (None removes one)."""
        issued = int(time.time()) - issued_ago_s
        claims: dict[str, Any] = {
            "sub": self.subject,
            "sid": str(uuid.uuid4()),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + lifetime_s,
            "jti": uuid.uuid4().hex,
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def genuine(self, *, header: Mapping[str, Any] | None = None, **changes: Any) -> str:
        """Signed with the service's own secret: valid unless `changes` break a claim."""
        return hs256({"typ": ACCESS_TYPE, **(header or {})}, self.claims(**changes), self._secret())

    def signed_with(self, key: bytes | str, *, header: Mapping[str, Any] | None = None) -> str:
        return hs256({"typ": ACCESS_TYPE, **(header or {})}, self.claims(), key)

    def signed_by_mallory(self, header: Mapping[str, Any]) -> str:
        """RS256 with Mallory's own RSA key, pointing the service at where to find it."""
        return rs256({"typ": ACCESS_TYPE, **header}, self.claims(), mallory_key())

    def mallory_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(mallory_key().public_key(), as_dict=True)
        return {**jwk, "kid": "mallory"}

    def _secret(self) -> str:
        if self.secret is None:
            raise AssertionError("this pass needs the service's signing secret (embedded stack)")
        return self.secret

    def need(self, value: Any, what: str) -> Any:
        if value is None:
            raise AssertionError(f"this forgery needs {what}, which the scenario did not provide")
        return value

    def listener(self, path: str) -> str:
        return str(self.need(self.listener_url, "Mallory's listening server")) + path


def _huge(factory: PassFactory) -> str:
    """About 12 KB once encoded (base64 adds a third), correctly signed: three times the
    longest pass the service reads, within what the service lets a header carry."""
    size = HUGE_PASS_BYTES * 3 // 4 - 300
    return factory.genuine(padding=secrets.token_urlsafe(size)[:size])


# Forgeries by the name a scenario gives them.
FORGERIES: dict[str, Callable[[PassFactory], str]] = {
    # forged
    "a pass that says it needs no signature": lambda f: unsigned({"typ": ACCESS_TYPE}, f.claims()),
    "a pass signed with the sign-in provider's public key": lambda f: f.signed_with(
        f.need(f.provider_public_key, "the provider's public key")
    ),
    "her own pass with Alice's account written in": lambda f: tampered(
        f.need(f.own_pass, "Mallory's own pass"), sub=f.subject
    ),
    "a pass signed with a key of her own": lambda f: f.signed_with(secrets.token_urlsafe(48)),
    "a pass cut short": lambda f: f.need(f.own_pass, "Mallory's own pass")[:-20],
    "random characters": lambda f: secrets.token_urlsafe(180),
    "a pass of 12 KB": _huge,
    # stale or misdirected (all correctly signed)
    "a pass that expired an hour ago": lambda f: f.genuine(issued_ago_s=7200),
    "a pass that never expires": lambda f: f.genuine(exp=None),
    "a pass that is only valid from tomorrow": lambda f: f.genuine(nbf=int(time.time()) + 86400),
    "a pass issued tomorrow": lambda f: f.genuine(
        iat=int(time.time()) + 86400, exp=int(time.time()) + 90000
    ),
    "a pass meant for another application": lambda f: f.genuine(aud="another-application"),
    "a pass from another issuer": lambda f: f.genuine(iss="someone-else"),
    "a pass whose issuer is only part of ours": lambda f: f.genuine(
        iss=f.issuer[: len(f.issuer) // 2]
    ),
    "a pass that is not an access pass": lambda f: f.genuine(header={"typ": "JWT"}),
    "Alice's renewal code": lambda f: f.need(f.refresh_token, "Alice's renewal"),
    "Alice's sign-in provider pass": lambda f: f.need(f.id_token, "Alice's provider pass"),
    # header tricks
    "a key label pointing to a file": lambda f: f.signed_with(b"", header={"kid": KID_PATH}),
    "a key label with a database command": lambda f: f.signed_with(
        MALLORY_SECRET, header={"kid": KID_SQL}
    ),
    "a key label pointing to her server": lambda f: f.signed_with(
        MALLORY_SECRET, header={"kid": f.listener("/key")}
    ),
    "a key-set link pointing to her server": lambda f: f.signed_by_mallory(
        {"kid": "mallory", "jku": f.listener("/jwks.json")}
    ),
    "a certificate link pointing to her server": lambda f: f.signed_by_mallory(
        {"kid": "mallory", "x5u": f.listener("/cert.pem")}
    ),
    "her own key embedded in the pass": lambda f: f.signed_by_mallory({"jwk": f.mallory_jwk()}),
}


def forge(name: str, factory: PassFactory) -> str:
    try:
        maker = FORGERIES[name]
    except KeyError:
        known = "\n  ".join(FORGERIES)
        raise AssertionError(f"no forgery called {name!r}; known:\n  {known}") from None
    return maker(factory)


# -- the original helpers, kept for the sign-in feature


def signed_pass(
    secret: str, *, issuer: str, audience: str, lifetime_s: int = 900, issued_ago_s: int = 0
) -> str:
    """A pass with every claim the contract requires, signed with `secret`."""
    return PassFactory(issuer, audience, secret=secret).genuine(
        lifetime_s=lifetime_s, issued_ago_s=issued_ago_s
    )


def expired_pass(secret: str, *, issuer: str, audience: str) -> str:
    """Correctly signed, but expired an hour ago (far beyond any clock leeway)."""
    return signed_pass(secret, issuer=issuer, audience=audience, issued_ago_s=2 * 3600)


def pass_signed_by_someone_else(*, issuer: str, audience: str) -> str:
    return signed_pass(secrets.token_urlsafe(48), issuer=issuer, audience=audience)


def made_up_pass() -> str:
    return "this-is-not-a-pass." + secrets.token_urlsafe(16)
