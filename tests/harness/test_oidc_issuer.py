"""The suite's sign-in provider at the address a deployment was told to trust (-D oidc_issuer),
and a rotation undone at a scenario's end."""

from __future__ import annotations

import aiohttp
import pytest

from harness.oidc_issuer import OidcIssuer
from harness.services import free_port


async def test_the_provider_listens_at_the_address_a_deployment_trusts() -> None:
    address = f"http://127.0.0.1:{free_port()}"
    with OidcIssuer(issuer=address, client_id="qa-web") as provider:
        assert provider.url == address
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{address}/.well-known/openid-configuration") as answer:
                discovery = await answer.json()
            async with http.get(discovery["jwks_uri"]) as answer:
                keys = await answer.json()
        assert discovery["issuer"] == address
        assert [key["kid"] for key in keys["keys"]] == [provider.signing_key.kid]
        assert provider.claims("carol", "carol@example.com")["aud"] == "qa-web"


@pytest.mark.parametrize(
    "address", ["https://127.0.0.1:8800", "http://127.0.0.1", "http://127.0.0.1:8800/idp"]
)
def test_an_address_the_provider_cannot_serve_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="expected http://HOST:PORT"):
        OidcIssuer(issuer=address)


def test_a_rotation_is_undone_with_the_old_key_still_published() -> None:
    provider = OidcIssuer()
    old = provider.signing_key
    new = provider.rotate()
    provider.sign_with(old)
    assert provider.signing_key is old and provider.published == [old, new]
    with pytest.raises(ValueError, match="never published"):
        provider.sign_with(provider.made_up_key("k1"))
