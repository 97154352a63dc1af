"""free_port hands out ports below the kernel's ephemeral range, so the port a server is given
cannot be taken meanwhile by an outgoing connection of another stack (tools/shards.py)."""

from __future__ import annotations

import socket

from harness.services import HOST, LOWEST_PORT, _below_ephemeral, free_port


def test_ports_are_below_the_ephemeral_range_distinct_and_free() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(LOWEST_PORT <= port < _below_ephemeral() for port in ports), ports
    for port in ports[:5]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, port))  # free: a server can take it
