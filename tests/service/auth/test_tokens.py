"""Token handling: access passes, enterprise sign-in tokens, signing-secret policy, limits."""

from __future__ import annotations

import secrets
import time
import uuid

import aiohttp
import pytest
from redis.asyncio import Redis

from driver.client import passes
from driver.client.passes import PassFactory
from harness.listener import SilentListener
from harness.oidc_issuer import OidcIssuer, SigningKey
from service.auth.lockout import LoginLockout
from service.auth.oidc import OidcVerifier
from service.auth.secret_policy import secret_problem
from service.auth.tokens import decode_access_token, issue_access_token
from service.delivery.chat.socket_limits import SendRateLimit
from service.errors import InvalidToken, RateLimited, ServiceError, TokenExpired
from service.settings import Settings, SettingsError

SECRET = secrets.token_urlsafe(48)
SETTINGS = Settings(
    database_url="postgresql://x@127.0.0.1/db", redis_url="redis://x", jwt_secret=SECRET
)


def factory(**kw: object) -> PassFactory:
    return PassFactory(SETTINGS.jwt_issuer, SETTINGS.jwt_audience, secret=SECRET).with_(**kw)


def refusal(token: str) -> str:
    with pytest.raises(ServiceError) as caught:
        decode_access_token(SETTINGS, token)
    return caught.value.code


# -- access passes ---------------------------------------------------------------------------


def test_a_pass_we_issued_is_accepted() -> None:
    user, session = uuid.uuid4(), uuid.uuid4()
    claims = decode_access_token(
        SETTINGS, issue_access_token(SETTINGS, user_id=user, session_id=session)
    )
    assert (claims.user_id, claims.session_id) == (user, session)


def test_a_genuine_forgery_factory_pass_is_accepted() -> None:
    # The factory's baseline must be valid, or every refusal below proves nothing.
    decode_access_token(SETTINGS, factory().genuine())


@pytest.fixture(scope="module")
def listener() -> object:
    with SilentListener() as mallory_server:
        yield mallory_server


@pytest.fixture(scope="module")
def provider_key() -> SigningKey:
    return SigningKey.generate()


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("a pass that says it needs no signature", "invalid_token"),
        ("a pass signed with the sign-in provider's public key", "invalid_token"),
        ("her own pass with Alice's account written in", "invalid_token"),
        ("a pass signed with a key of her own", "invalid_token"),
        ("a pass cut short", "invalid_token"),
        ("random characters", "invalid_token"),
        ("a pass of 12 KB", "invalid_token"),
        ("a pass that expired an hour ago", "token_expired"),
        ("a pass that never expires", "invalid_token"),
        ("a pass that is only valid from tomorrow", "invalid_token"),
        ("a pass issued tomorrow", "invalid_token"),
        ("a pass meant for another application", "invalid_token"),
        ("a pass from another issuer", "invalid_token"),
        ("a pass whose issuer is only part of ours", "invalid_token"),
        ("a pass that is not an access pass", "invalid_token"),
        ("Alice's renewal code", "invalid_token"),
        ("a key label pointing to a file", "invalid_token"),
        ("a key label with a database command", "invalid_token"),
        ("a key label pointing to her server", "invalid_token"),
        ("a key-set link pointing to her server", "invalid_token"),
        ("a certificate link pointing to her server", "invalid_token"),
        ("her own key embedded in the pass", "invalid_token"),
    ],
)
def test_forged_and_stale_passes_are_refused(
    name: str, code: str, listener: SilentListener, provider_key: SigningKey
) -> None:
    made = factory(
        own_pass=factory(subject=str(uuid.uuid4())).genuine(),
        refresh_token=secrets.token_urlsafe(32),
        provider_public_key=provider_key.public_pem(),
        listener_url=listener.url,
    )
    assert refusal(passes.forge(name, made)) == code
    assert listener.contacts == []


def test_a_pass_inside_the_leeway_is_still_accepted() -> None:
    decode_access_token(SETTINGS, factory().genuine(lifetime_s=1, issued_ago_s=3))


def test_expired_beyond_the_leeway_is_token_expired() -> None:
    with pytest.raises(TokenExpired):
        decode_access_token(SETTINGS, factory().genuine(lifetime_s=1, issued_ago_s=10))


@pytest.mark.parametrize("claim", ["sub", "iss", "aud", "exp", "iat", "jti", "sid"])
def test_every_required_claim_is_required(claim: str) -> None:
    with pytest.raises(InvalidToken):
        decode_access_token(SETTINGS, factory().genuine(**{claim: None}))


# -- enterprise sign-in tokens (a real local issuer over HTTP) ------------------------------


@pytest.fixture
def issuer() -> object:
    with OidcIssuer() as provider:
        yield provider


async def verify(issuer: OidcIssuer, token: str, refetch_s: float = 60.0) -> object:
    async with aiohttp.ClientSession() as http:
        verifier = OidcVerifier(
            issuer=issuer.url, client_id=issuer.client_id, refetch_s=refetch_s, http=http
        )
        return await verifier.verify(token)


async def test_a_provider_token_is_accepted(issuer: OidcIssuer) -> None:
    identity = await verify(issuer, issuer.id_token("carol-1", "Carol@Example.com", "Carol"))
    assert (identity.subject, identity.email, identity.name) == (  # type: ignore[attr-defined]
        "carol-1",
        "carol@example.com",
        "Carol",
    )


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda i: i.id_token("c", "c@x.io", aud="another-client"), id="wrong audience"
        ),
        pytest.param(lambda i: i.id_token("c", "c@x.io", iss=i.url + "/other"), id="wrong issuer"),
        pytest.param(lambda i: i.id_token("c", "c@x.io", iss=i.url[:-2]), id="partial issuer"),
        pytest.param(lambda i: i.id_token("c", "c@x.io", exp=None), id="no expiry"),
        pytest.param(lambda i: i.id_token("c", "c@x.io", issued_ago_s=3600), id="expired"),
        pytest.param(
            lambda i: i.id_token("c", "c@x.io", iat=int(time.time()) + 3600), id="future iat"
        ),
        pytest.param(
            lambda i: i.id_token("c", "c@x.io", key=SigningKey.generate("key-unknown")),
            id="unpublished key",
        ),
        pytest.param(
            lambda i: passes.hs256(
                {"kid": i.signing_key.kid}, i.claims("c", "c@x.io"), i.signing_key.public_pem()
            ),
            id="HS256 with the public key",
        ),
        pytest.param(
            lambda i: passes.unsigned({"kid": i.signing_key.kid}, i.claims("c", "c@x.io")),
            id="alg none",
        ),
        pytest.param(
            lambda i: i.signing_key.sign(
                {k: v for k, v in i.claims("c", "c@x.io").items() if k != "email"}
            ),
            id="no email",
        ),
        pytest.param(
            lambda i: i.id_token("c", "c@x.io", email_verified=False), id="unverified email"
        ),
    ],
)
async def test_bad_provider_tokens_are_refused(issuer: OidcIssuer, forge: object) -> None:
    with pytest.raises((InvalidToken, TokenExpired)):
        await verify(issuer, forge(issuer))  # type: ignore[operator]


async def test_header_pointers_are_never_followed(issuer: OidcIssuer) -> None:
    with SilentListener() as mallory_server:
        own = passes.mallory_key()
        claims = issuer.claims("c", "c@x.io")
        for header in (
            {"kid": "mallory", "jku": mallory_server.url + "/jwks.json"},
            {"kid": "mallory", "x5u": mallory_server.url + "/cert.pem"},
            {"kid": mallory_server.url + "/key"},
            {"jwk": PassFactory("i", "a").mallory_jwk()},
        ):
            with pytest.raises(InvalidToken):
                await verify(issuer, passes.rs256(header, claims, own))
        assert mallory_server.contacts == []


async def test_rotation_refetches_and_unknown_kids_are_rate_limited(issuer: OidcIssuer) -> None:
    async with aiohttp.ClientSession() as http:
        verifier = OidcVerifier(
            issuer=issuer.url, client_id=issuer.client_id, refetch_s=60, http=http
        )
        await verifier.verify(issuer.id_token("c", "c@x.io"))
        assert issuer.jwks_fetches == 1
        for _ in range(20):
            with pytest.raises(InvalidToken):
                await verifier.verify(issuer.id_token("c", "c@x.io", key=SigningKey.generate("k")))
        assert issuer.jwks_fetches == 1  # fetched moments ago: unknown kids wait their turn
        fresh = OidcVerifier(
            issuer=issuer.url, client_id=issuer.client_id, refetch_s=0.1, http=http
        )
        await fresh.verify(issuer.id_token("c", "c@x.io"))
        issuer.rotate()
        started = time.monotonic()
        while True:  # rotation is picked up once the refetch interval has passed
            try:
                await fresh.verify(issuer.id_token("c", "c@x.io"))
                break
            except InvalidToken:
                assert time.monotonic() - started < 2, "the rotated key was never picked up"


# -- the signing secret ----------------------------------------------------------------------

GOOD = secrets.token_urlsafe(48)


# Named by why each is refused: GOOD is new in every process, and pytest-xdist's workers must
# collect the same test names.
BAD_SECRETS = [
    ("", {}, "required"),
    ("short-secret", {}, "at least 32 bytes"),
    ("please-change-me-to-a-long-random-secret", {}, "default or example"),
    ("ab" * 20, {}, "low-entropy"),
    ("0123456789abcdef" * 2, {}, "low-entropy"),
    (GOOD, {"DATABASE_URL": f"postgresql://app:{GOOD}@db/x"}, "DATABASE_URL"),
    (GOOD, {"REDIS_URL": f"redis://:{GOOD}@cache:6379/0"}, "REDIS_URL"),
    (GOOD, {"LLM_API_KEY": GOOD}, "LLM_API_KEY"),
    (GOOD, {"OIDC_CLIENT_SECRET": GOOD}, "OIDC_CLIENT_SECRET"),
]


@pytest.mark.parametrize(
    ("secret", "env", "why"), BAD_SECRETS, ids=[why for *_, why in BAD_SECRETS]
)
def test_secret_policy(secret: str, env: dict[str, str], why: str) -> None:
    problem = secret_problem(secret, {"JWT_SECRET": secret, **env})
    assert problem is not None and why in problem


def test_a_random_secret_passes() -> None:
    assert secret_problem(GOOD, {"JWT_SECRET": GOOD, "LLM_API_KEY": "sk-other"}) is None


def test_settings_refuse_a_bad_lifetime() -> None:
    env = {"DATABASE_URL": "postgresql://a@b/c", "REDIS_URL": "redis://x", "JWT_SECRET": GOOD}
    with pytest.raises(SettingsError, match="ACCESS_TOKEN_TTL_SECONDS"):
        Settings.from_env({**env, "ACCESS_TOKEN_TTL_SECONDS": "0"})
    with pytest.raises(SettingsError, match="OIDC_ISSUER"):
        Settings.from_env({**env, "OIDC_ISSUER": "http://idp.example", "OIDC_CLIENT_ID": "x"})


# -- limits ----------------------------------------------------------------------------------


def test_a_socket_is_exhausted_past_its_tolerated_refusals() -> None:
    limit = SendRateLimit(refusals_before_close=2)
    limit.refused()
    assert not limit.exhausted
    limit.refused()
    assert not limit.exhausted
    limit.refused()
    assert limit.exhausted


async def test_lockout_falls_back_to_local_counters_without_redis() -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    lockout = LoginLockout(unreachable, window_s=60, max_failures=2)
    for _ in range(2):
        attempt = await lockout.begin("alice@example.com")
        await lockout.failed(attempt)
    with pytest.raises(RateLimited) as caught:
        await lockout.begin("Alice@Example.com ")
    assert caught.value.retry_after is not None and caught.value.retry_after > 0
    await lockout.begin("bob@example.com")  # others are unaffected
    await unreachable.aclose()
