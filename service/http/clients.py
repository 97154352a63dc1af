"""Who one client is, for the rules that count per address (the password-hashing line).

`request.remote` is the TCP peer, or behind a trusted proxy the client it names
(service/http/proxies.py). One person is not one IPv6 address: a home or a server is given a
whole /64 and may pick any of its 2^64 addresses, so counting per address would give one person
as many shares as they care to use. An IPv6 client is its /64 (CLIENT_IPV6_PREFIX), an IPv4
client its address (CLIENT_IPV4_PREFIX 32), and an IPv4 client seen on a dual-stack socket
(`::ffff:192.0.2.7`) is that IPv4 client. What is not an address (a Unix socket) is one client.
"""

from __future__ import annotations

import ipaddress

IPV4_PREFIX = 32
IPV6_PREFIX = 64
UNKNOWN = "unknown"


def client_key(
    remote: str | None, *, ipv4_prefix: int = IPV4_PREFIX, ipv6_prefix: int = IPV6_PREFIX
) -> str:
    """The network one client is known by: `203.0.113.7/32`, `2001:db8:1:2::/64`."""
    try:
        address = ipaddress.ip_address((remote or "").strip())
    except ValueError:
        return UNKNOWN
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        else:
            # By its number: a scope (`fe80::1%eth0`) names the interface, not the client.
            network = ipaddress.IPv6Network((int(address), ipv6_prefix), strict=False)
            return str(network)
    return str(ipaddress.IPv4Network((int(address), ipv4_prefix), strict=False))
