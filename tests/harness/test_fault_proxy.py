"""The TCP fault proxy against a real echo server and a real Redis: each fault does what it says,
and switching back to normal recovers without restarting anything."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness.fault_proxy import Fault, FaultProxy, address_of, with_address
from harness.redis import EmbeddedRedis

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

LATENCY_S = 0.2


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="module")
def echo() -> Iterator[tuple[str, int]]:
    server = _EchoServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[0], int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo: tuple[str, int]) -> Iterator[FaultProxy]:
    with FaultProxy("echo", echo) as started:
        yield started


def connect(proxy: FaultProxy, timeout: float = 2.0) -> socket.socket:
    return socket.create_connection(proxy.address, timeout=timeout)


def round_trip(conn: socket.socket, payload: bytes) -> bytes:
    conn.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = conn.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def is_reset(conn: socket.socket) -> bool:
    """True when the connection was reset (or closed) by the other end."""
    try:
        conn.sendall(b"ping")
        return conn.recv(16) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def new_connection_is_reset(proxy: FaultProxy) -> bool:
    """A fresh connection is reset, right at the handshake or at its first use."""
    try:
        conn = connect(proxy)
    except ConnectionResetError:
        return True
    with conn:
        return is_reset(conn)


def test_normal_forwards_both_ways_and_counts(proxy: FaultProxy) -> None:
    with connect(proxy) as conn:
        assert round_trip(conn, b"hello") == b"hello"
        payload = bytes(range(256)) * 2000  # several chunks
        assert round_trip(conn, payload) == payload
    stats = proxy.stats()
    assert stats.accepted == 1
    assert stats.bytes_up == stats.bytes_down == 5 + len(payload)


def test_latency_delays_each_direction_and_keeps_order(proxy: FaultProxy) -> None:
    with connect(proxy) as conn:
        round_trip(conn, b"warm")
        proxy.latency(LATENCY_S)
        started = time.monotonic()
        assert round_trip(conn, b"slow") == b"slow"
        elapsed = time.monotonic() - started
        assert 2 * LATENCY_S <= elapsed < 2 * LATENCY_S + 0.5, elapsed
        # Switching back while bytes are queued must not let later bytes overtake them.
        conn.sendall(b"first,")
        proxy.normal()
        conn.sendall(b"second")
        received = b""
        while len(received) < len(b"first,second"):
            received += conn.recv(64)
        assert received == b"first,second"


def test_latency_needs_a_positive_delay(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError, match="latency"):
        proxy.set_fault("latency")


def test_blackhole_accepts_but_never_answers_then_resets_what_it_swallowed(
    proxy: FaultProxy,
) -> None:
    with connect(proxy) as before:
        assert round_trip(before, b"ok") == b"ok"
        proxy.set_fault("blackhole")
        assert proxy.fault is Fault.BLACKHOLE
        with connect(proxy, timeout=0.3) as during:  # the handshake still succeeds
            during.sendall(b"anyone?")
            with pytest.raises(TimeoutError):
                during.recv(16)
            before.settimeout(0.3)
            before.sendall(b"still there?")
            with pytest.raises(TimeoutError):
                before.recv(16)
            proxy.normal()
            during.settimeout(2.0)
            before.settimeout(2.0)
            assert is_reset(during)
            assert is_reset(before)
    assert proxy.stats().dropped >= len(b"anyone?") + len(b"still there?")
    with connect(proxy) as after:
        assert round_trip(after, b"back") == b"back"


def test_reset_cuts_existing_and_new_connections(proxy: FaultProxy) -> None:
    with connect(proxy) as conn:
        assert round_trip(conn, b"ok") == b"ok"
        proxy.reset()
        with pytest.raises(ConnectionResetError):
            conn.sendall(b"x")
            conn.recv(16)
    assert new_connection_is_reset(proxy)
    proxy.normal()
    with connect(proxy) as conn:
        assert round_trip(conn, b"again") == b"again"


def test_down_refuses_on_the_same_port_until_normal(proxy: FaultProxy) -> None:
    port = proxy.port
    with connect(proxy) as conn:
        proxy.down()
        assert is_reset(conn)
    with pytest.raises(ConnectionRefusedError):
        connect(proxy)
    proxy.normal()
    assert proxy.port == port
    with connect(proxy) as conn:
        assert round_trip(conn, b"up") == b"up"


def test_an_unreachable_upstream_resets_the_client() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with FaultProxy("nowhere", ("127.0.0.1", closed_port)) as proxy:
        assert new_connection_is_reset(proxy)


def test_url_rewriting_keeps_user_path_and_query() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/golden_path?sslmode=disable"
    assert with_address(url, "127.0.0.1", 6000) == (
        "postgresql://postgres@127.0.0.1:6000/golden_path?sslmode=disable"
    )
    assert with_address("redis://127.0.0.1:6379/0", "127.0.0.1", 7000) == "redis://127.0.0.1:7000/0"
    assert address_of("redis://127.0.0.1:6379/0") == ("127.0.0.1", 6379)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


def test_a_real_redis_client_sees_each_fault(redis_server: EmbeddedRedis) -> None:
    with FaultProxy("redis", address_of(redis_server.url)) as proxy:
        client = redis.Redis.from_url(
            proxy.url_for(redis_server.url),
            socket_timeout=0.3,
            socket_connect_timeout=0.3,
            retry=Retry(NoBackoff(), 0),
        )
        assert client.ping()
        proxy.blackhole()
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            client.ping()
        assert time.monotonic() - started < 1.0
        proxy.down()
        with pytest.raises(redis.ConnectionError):
            client.ping()
        proxy.normal()
        assert client.ping()  # no restart of anything: the pool reconnects
        client.close()
