"""The embedded stack's real processes: PostgreSQL, Redis, and `python -m harness.stack`."""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import asyncpg
import psutil  # type: ignore[import-untyped]
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness.nginx import MISSING, NGINX_VARIABLE, nginx_available
from harness.postgres import SYSTEM_USER, EmbeddedPostgres
from harness.readiness import readiness
from harness.redis import EmbeddedRedis
from harness.services import PROJECT_ROOT, StartError, free_port
from harness.stack import Stack, StackConfig, stop_spawned

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def gone(pid: int) -> bool:
    """True when no live process has this pid (a zombie holds nothing and counts as gone)."""
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def shared_memory_ids() -> set[str]:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {line.split()[1] for line in lines}


@pytest.fixture(scope="module")
def postgres() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        yield server


@pytest.fixture
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


def redis_client(server: EmbeddedRedis) -> redis.Redis:
    return redis.Redis.from_url(server.url, socket_timeout=0.3, retry=Retry(NoBackoff(), 0))


async def test_postgres_answers_on_tcp_with_the_golden_path_database(
    postgres: EmbeddedPostgres,
) -> None:
    assert postgres.url == f"postgresql://postgres@127.0.0.1:{postgres.port}/golden_path"
    conn = await asyncpg.connect(postgres.url)
    try:
        assert await conn.fetchval("SELECT current_database()") == "golden_path"
        # Unicode-aware case mapping, whatever locales the host has.
        assert await conn.fetchval("SELECT lower('ÉCOLE')") == "école"
    finally:
        await conn.close()
    expected_user = SYSTEM_USER if os.geteuid() == 0 else psutil.Process().username()
    assert psutil.Process(postgres.pid).username() == expected_user


async def test_postgres_restart_keeps_data_and_port(postgres: EmbeddedPostgres) -> None:
    conn = await asyncpg.connect(postgres.url)
    await conn.execute("CREATE TABLE kept (note text)")
    await conn.execute("INSERT INTO kept VALUES ('before restart')")
    await conn.close()
    port, pid = postgres.port, postgres.pid

    postgres.restart()

    assert (postgres.port, gone(pid)) == (port, True)
    conn = await asyncpg.connect(postgres.url)
    try:
        assert await conn.fetchval("SELECT note FROM kept") == "before restart"
    finally:
        await conn.close()


async def test_postgres_killed_keeps_committed_data_and_leaves_no_backend(
    postgres: EmbeddedPostgres,
) -> None:
    conn = await asyncpg.connect(postgres.url)
    await conn.execute("CREATE TABLE crashed (n int)")
    await conn.execute("INSERT INTO crashed VALUES (1)")
    backends = psutil.Process(postgres.pid).children(recursive=True)
    assert backends

    postgres.kill()

    assert gone(postgres.pid)
    assert all(gone(backend.pid) for backend in backends)
    with pytest.raises((ConnectionError, asyncpg.PostgresConnectionError, OSError)):
        await conn.fetchval("SELECT 1")
    conn.terminate()
    postgres.start()
    conn = await asyncpg.connect(postgres.url)
    try:
        assert await conn.fetchval("SELECT n FROM crashed") == 1
    finally:
        await conn.close()


async def test_postgres_freeze_hangs_open_connections_until_thaw(
    postgres: EmbeddedPostgres,
) -> None:
    conn = await asyncpg.connect(postgres.url)
    try:
        postgres.freeze()
        try:
            query = asyncio.ensure_future(conn.fetchval("SELECT 41 + 1"))
            done, _ = await asyncio.wait({query}, timeout=0.5)
            assert not done, "a frozen server answered"
        finally:
            postgres.thaw()
        assert await asyncio.wait_for(query, timeout=5) == 42
    finally:
        await conn.close()


def test_postgres_cleanup_after_kill_leaves_nothing() -> None:
    server = EmbeddedPostgres()
    server.start()
    pid_file = (server.data_dir / "postmaster.pid").read_text().splitlines()
    segment = pid_file[6].split()[1]  # "key id" of the server's SysV segment
    server.kill()
    assert segment in shared_memory_ids()  # a killed server leaves it behind

    server.cleanup()

    assert not server.workdir.exists()
    assert segment not in shared_memory_ids()


def test_redis_set_get_then_kill_and_restart_on_the_same_port(redis_server: EmbeddedRedis) -> None:
    client = redis_client(redis_server)
    client.set("greeting", "hello")
    assert client.get("greeting") == b"hello"
    port, pid = redis_server.port, redis_server.pid

    redis_server.kill()
    assert gone(pid)
    redis_server.restart()

    assert redis_server.port == port
    client = redis_client(redis_server)
    assert client.get("greeting") is None  # no persistence, like a crash without AOF
    client.set("greeting", "again")
    assert client.get("greeting") == b"again"


def test_redis_freeze_times_out_clients_until_thaw(redis_server: EmbeddedRedis) -> None:
    client = redis_client(redis_server)
    client.set("k", "v")
    redis_server.freeze()
    try:
        with pytest.raises(redis.TimeoutError):
            client.get("k")
    finally:
        redis_server.thaw()
    assert redis_client(redis_server).get("k") == b"v"


def test_describe_with_external_servers_has_null_pids() -> None:
    config = StackConfig.from_env(
        {"DATABASE_URL": "postgresql://u@db:5432/x", "REDIS_URL": "redis://cache:6379/0"},
        instances=2,
    )
    stack = Stack(config)
    described = stack.describe()
    assert described["database_url"] == "postgresql://u@db:5432/x"
    assert described["redis_url"] == "redis://cache:6379/0"
    assert described["pids"] == {"postgres": None, "redis": None, "service": []}
    assert described["allowed_origins"] == ["http://localhost:3000"]
    assert len(described["jwt"]["secret"]) >= 32
    assert Stack(config).jwt.secret != stack.jwt.secret


def test_the_stack_raises_the_rules_per_address_and_a_test_may_set_them_again() -> None:
    """The suite and `make load` sign everyone up from one address (docs/operations.md)."""
    config = StackConfig(database_url="postgresql://u@127.0.0.1:1/db", redis_url="redis://x")
    assert Stack(config).service_settings()["PASSWORD_QUEUE_PER_ADDRESS"] == "100000"
    lowered = StackConfig(
        database_url=config.database_url,
        redis_url=config.redis_url,
        extra_env={"PASSWORD_QUEUE_PER_ADDRESS": "2"},
    )
    assert Stack(lowered).service_settings()["PASSWORD_QUEUE_PER_ADDRESS"] == "2"


def test_stack_that_fails_to_start_stops_what_it_started() -> None:
    # Nothing listens on this port, so the migrations cannot run.
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/golden_path"
    stack = Stack(StackConfig(database_url=unreachable, ready_timeout=5))

    with pytest.raises(StartError, match="migrations failed"):
        stack.start()

    assert stack.redis is not None and gone(stack.redis.pid)
    assert not stack.workdir.exists()


def read_line(stream: IO[str], timeout: float) -> str:
    """One line from stream, or "" if nothing arrives within timeout."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return stream.readline()


@pytest.mark.skipif(
    not (PROJECT_ROOT / "service" / "__main__.py").exists(),
    reason="needs the chat service (service/__main__.py does not exist yet)",
)
@pytest.mark.parametrize(
    "proxy",
    [
        False,
        pytest.param(
            True, marks=pytest.mark.skipif(not nginx_available(), reason=MISSING), id="proxy"
        ),
    ],
)
@pytest.mark.timing
def test_command_prints_one_json_line_then_cleans_up_on_sigterm(proxy: bool) -> None:
    # A temp dir of its own shows that nothing is left behind; PostgreSQL's user must traverse it.
    tmp = Path(tempfile.mkdtemp(prefix="gp-stack-test-"))
    tmp.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["TMPDIR"] = str(tmp)
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.stack", "--instances", "2"]
        + (["--proxy"] if proxy else []),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    try:
        line = read_line(proc.stdout, timeout=60)
        elapsed = time.monotonic() - began
        assert line, f"no JSON line within 60 s (exit code {proc.poll()})"
        described = json.loads(line)
        assert set(described) == {
            "service_urls",
            "operator_urls",
            "database_url",
            "redis_url",
            "pids",
            "jwt",
            "allowed_origins",
        } | ({"proxy_url"} if proxy else set())
        assert len(described["service_urls"]) == 2
        assert set(described["jwt"]) == {"issuer", "audience", "secret"}
        pids = [described["pids"]["postgres"], described["pids"]["redis"]]
        pids += described["pids"]["service"]
        if proxy:
            pids.append(described["pids"]["nginx"])
        assert all(isinstance(pid, int) and not gone(pid) for pid in pids)
        for url in described["service_urls"] + described["operator_urls"]:
            assert readiness(url, timeout=5).ready
        if proxy:  # the page through the balancer; its readiness is for operators only
            with NO_PROXY.open(f"{described['proxy_url']}/", timeout=5) as page:
                assert page.status == 200
            assert readiness(described["proxy_url"], timeout=5).status == 404

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert proc.stdout.read() == "", "more than one line on stdout"
        assert [pid for pid in pids if not gone(pid)] == []
        assert list(tmp.iterdir()) == []
        assert elapsed < 15
    finally:
        stop_spawned(proc, timeout=30)  # SIGTERM: the stack stops what it started (not SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)


def test_proxy_without_nginx_fails_in_one_line_saying_how_to_get_it() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    proc = subprocess.run(
        [sys.executable, "-m", "harness.stack", "--proxy"],
        cwd=PROJECT_ROOT,
        env={**env, NGINX_VARIABLE: "/nonexistent/nginx"},  # as on a machine without nginx
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (1, "")
    [line] = [line for line in proc.stderr.splitlines() if "nginx" in line]
    assert line.endswith(MISSING)
