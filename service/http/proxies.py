"""Who the client really is behind a trusted proxy (`TRUSTED_PROXIES`).

A proxy in front of the service connects from its own address; it says whom it serves in
`Forwarded` (RFC 7239) or `X-Forwarded-For`, and how the client reached it in
`X-Forwarded-Proto` / `X-Forwarded-Host`. Anyone can send those headers, so they are believed
only when the TCP peer is one of the trusted proxies; from anyone else they are ignored.

In a chain, each proxy appends the address it heard from: the client is the rightmost address
that is not itself a trusted proxy (whatever a client wrote further left is not read). A value
that does not parse is ignored as a whole (the peer stays the client): never an error.

aiohttp-remotes was considered: its `XForwardedFiltered` does not check the peer, answers a
malformed header with 400, and `Forwarded` is a separate middleware; these lines do just this.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import web

from service.settings import Networks

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = frozenset({"http", "https"})
# A host name or address with an optional port, as a Host header carries it.
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")
MAX_HOST_CHARS = 255


def _address(text: str) -> Address | None:
    """An address as a header or the socket gives it: `1.2.3.4`, `1.2.3.4:80`, `[::1]:80`,
    `"[::1]"`, `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket is that IPv4 client)."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class Client:
    """What the trusted proxy says about the client; None where it said nothing usable."""

    remote: str | None = None
    scheme: str | None = None
    host: str | None = None


@dataclass(frozen=True)
class TrustedProxies:
    networks: Networks

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def peer_is_trusted(self, request: web.Request) -> bool:
        return bool(self.networks) and self.trusts(_address(request.remote or ""))

    def client(self, request: web.Request) -> Client | None:
        """The real client of a request that came through a trusted proxy, else None."""
        if not self.peer_is_trusted(request):
            return None
        headers = request.headers
        if forwarded := headers.getall("Forwarded", []):
            return self._from_forwarded(",".join(forwarded))
        remote = self._rightmost_untrusted(",".join(headers.getall("X-Forwarded-For", [])))
        return Client(
            remote=remote,
            scheme=_scheme(_last(headers.getall("X-Forwarded-Proto", []))),
            host=_host(_last(headers.getall("X-Forwarded-Host", []))),
        )

    def _rightmost_untrusted(self, chain: str) -> str | None:
        addresses = [_address(hop) for hop in chain.split(",") if hop.strip()]
        return self._pick(addresses)

    def _pick(self, addresses: list[Address | None]) -> str | None:
        """The rightmost address that is not a trusted proxy (the leftmost when all are);
        None when an unparsable hop stands before it: the chain cannot be followed."""
        for address in reversed(addresses):
            if address is None:
                return None
            if not self.trusts(address):
                return str(address)
        return str(addresses[0]) if addresses and addresses[0] is not None else None

    def _from_forwarded(self, value: str) -> Client | None:
        elements = [_pairs(element) for element in value.split(",")]
        if any(element is None for element in elements):
            return None
        hops = [e for e in elements if e is not None]
        addresses = [_address(hop.get("for", "")) for hop in hops]
        remote = self._pick(addresses)
        if remote is None:
            return None
        # The proto and host of the hop that named the client: its proxy heard the client.
        hop = hops[[str(a) for a in addresses].index(remote)]
        return Client(remote=remote, scheme=_scheme(hop.get("proto")), host=_host(hop.get("host")))


def _pairs(element: str) -> dict[str, str] | None:
    """`for=1.2.3.4;proto=https` as a dict; None for a malformed element."""
    pairs: dict[str, str] = {}
    for pair in element.split(";"):
        if not pair.strip():
            continue
        name, sep, value = pair.partition("=")
        if not sep:
            return None
        pairs[name.strip().lower()] = value.strip().strip('"')
    return pairs


def _last(values: Iterable[str]) -> str | None:
    """The rightmost entry of a list header: added by the proxy nearest to us."""
    entries = [entry.strip() for value in values for entry in value.split(",") if entry.strip()]
    return entries[-1] if entries else None


def _scheme(value: str | None) -> str | None:
    return value.lower() if value is not None and value.lower() in SCHEMES else None


def _host(value: str | None) -> str | None:
    if value is None or len(value) > MAX_HOST_CHARS or not _HOST.match(value):
        return None
    return value


def resolve(request: web.Request, proxies: TrustedProxies) -> web.Request:
    """The request as the real client made it (the same request when not proxied by a trusted
    proxy, or when the proxy said nothing usable)."""
    client = proxies.client(request)
    if client is None:
        return request
    changes: dict[str, str] = {}
    if client.remote is not None:
        changes["remote"] = client.remote
    if client.scheme is not None:
        changes["scheme"] = client.scheme
    if client.host is not None:
        changes["host"] = client.host
    return request.clone(**changes) if changes else request  # type: ignore[arg-type]
