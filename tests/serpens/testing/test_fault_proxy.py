"""FaultProxy injects each fault for real, in front of real servers, and heals."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import redis
import redis.asyncio as aioredis

from serpens.errors import BackendUnavailableError, ValidationError
from serpens.testing import Fault, FaultProxy, PostgresServer, RedisServer
from tests.serpens.testing._echo import EchoServer, roundtrip

_MIB = 1024 * 1024


def test_it_passes_through_and_counts(proxy: FaultProxy, client: socket.socket) -> None:
    assert proxy.host == "127.0.0.1"
    assert proxy.port > 0
    assert proxy.address == ("127.0.0.1", proxy.port)
    assert roundtrip(client, b"hello") == b"hello"
    stats = proxy.stats()
    assert (stats.accepted, stats.open) == (1, 1)
    assert (stats.bytes_to_upstream, stats.bytes_to_client) == (5, 5)
    assert proxy.fault is Fault.PASS


def test_latency_delays_each_direction(proxy: FaultProxy, client: socket.socket) -> None:
    assert roundtrip(client) == b"ping"  # warm: the link exists
    proxy.latency(150)
    started = time.monotonic()
    assert roundtrip(client) == b"ping"
    elapsed = time.monotonic() - started
    assert 0.29 <= elapsed < 0.6  # 150 ms up + 150 ms down
    proxy.heal()
    started = time.monotonic()
    assert roundtrip(client) == b"ping"
    assert time.monotonic() - started < 0.1


def test_trickle_makes_a_large_response_take_its_time(
    proxy: FaultProxy, client: socket.socket
) -> None:
    proxy.trickle(nbytes=1000, every=0.1)
    started = time.monotonic()
    client.sendall(b"BIG5000")
    received = b""
    while len(received) < 5000:
        received += client.recv(65536)
    elapsed = time.monotonic() - started
    assert received == b"x" * 5000
    assert 0.4 <= elapsed < 1.0  # 5 slices of 1000 bytes, 0.1 s apart


def test_freeze_times_a_read_out_and_keeps_the_connection_open(
    proxy: FaultProxy, client: socket.socket
) -> None:
    assert roundtrip(client) == b"ping"
    with proxy.freeze():
        client.settimeout(0.3)
        client.sendall(b"held")
        with pytest.raises(TimeoutError):
            client.recv(10)
        assert proxy.stats().open == 1
        with socket.create_connection(proxy.address, timeout=0.3) as fresh:  # accepted...
            fresh.sendall(b"new")
            with pytest.raises(TimeoutError):  # ...and never answered
                fresh.recv(10)
    assert proxy.fault is Fault.PASS
    client.settimeout(1)
    assert client.recv(10) == b"held"  # the held bytes flow once thawed


def test_blackhole_swallows_data_silently(proxy: FaultProxy, client: socket.socket) -> None:
    proxy.blackhole()
    client.settimeout(0.3)
    client.sendall(b"lost")
    with pytest.raises(TimeoutError):
        client.recv(10)
    assert proxy.stats().swallowed == 4
    proxy.heal()
    client.settimeout(1)
    assert roundtrip(client, b"after") == b"after"


def test_reset_resets_open_and_new_connections(proxy: FaultProxy, client: socket.socket) -> None:
    assert roundtrip(client) == b"ping"
    proxy.reset()
    with pytest.raises(ConnectionResetError):
        roundtrip(client)
    # at connect or at the first round trip
    with pytest.raises(ConnectionResetError), socket.create_connection(proxy.address, 1) as fresh:
        roundtrip(fresh)
    proxy.heal()
    with socket.create_connection(proxy.address, timeout=1) as healed:
        assert roundtrip(healed) == b"ping"
    assert proxy.stats().resets >= 2


def test_refuse_stops_listening_then_listens_again_on_the_same_port(
    proxy: FaultProxy,
) -> None:
    port = proxy.port
    with proxy.refuse(), pytest.raises(ConnectionRefusedError):
        socket.create_connection(proxy.address, timeout=1)
    assert proxy.port == port
    with socket.create_connection(proxy.address, timeout=1) as sock:
        assert roundtrip(sock) == b"ping"


def test_a_dead_upstream_resets_the_client() -> None:
    dead = socket.create_server(("127.0.0.1", 0))
    address = dead.getsockname()
    dead.close()
    # The reset can reach the client while its connect is still returning: both count.
    with FaultProxy(upstream=address) as proxy, pytest.raises(ConnectionError):  # noqa: SIM117
        with socket.create_connection(proxy.address, timeout=1) as sock:
            roundtrip(sock)


def test_stop_closes_connections_and_the_port(echo: EchoServer) -> None:
    proxy = FaultProxy(upstream=echo.address).start()
    with socket.create_connection(proxy.address, timeout=1) as sock:
        assert roundtrip(sock) == b"ping"
        threads = threading.active_count()
        started = time.monotonic()
        proxy.stop()
        assert time.monotonic() - started < 0.5
        assert sock.recv(10) == b""  # closed by the proxy
        assert threading.active_count() <= threads - 3  # acceptor and both pumps joined
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(proxy.address, timeout=1)
    proxy.stop()  # idempotent
    with pytest.raises(BackendUnavailableError):
        proxy.freeze()


def test_url_for_swaps_host_and_port_and_reprs_hide_credentials(proxy: FaultProxy) -> None:
    url = proxy.url_for("postgresql://user:s3cret@db.internal:5432/test?sslmode=disable")
    assert url == f"postgresql://user:s3cret@127.0.0.1:{proxy.port}/test?sslmode=disable"
    assert proxy.url_for("redis://localhost/0") == f"redis://127.0.0.1:{proxy.port}/0"
    assert "s3cret" not in repr(proxy)
    assert repr(proxy).startswith(f"<FaultProxy 127.0.0.1:{proxy.port} -> 127.0.0.1:")
    with pytest.raises(ValidationError) as caught:
        proxy.url_for("not a url with s3cret")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("upstream", "kwargs"),
    [
        (("127.0.0.1", 0), {}),
        (("127.0.0.1", 65536), {}),
        (("", 80), {}),
        (("127.0.0.1", 80), {"max_connections": 0}),
    ],
)
def test_bad_arguments_are_validation_errors(
    upstream: tuple[str, int], kwargs: dict[str, int]
) -> None:
    with pytest.raises(ValidationError):
        FaultProxy(upstream=upstream, **kwargs)


def test_every_tcp_port_is_a_valid_upstream_and_the_port_is_0_until_started() -> None:
    for port in (1, 65535):
        proxy = FaultProxy(upstream=("127.0.0.1", port), max_connections=1)
        assert (proxy.upstream, proxy.port, proxy.running) == (("127.0.0.1", port), 0, False)
    assert FaultProxy(upstream=("127.0.0.1", 80)).max_connections == 128  # docs/testing.md


def test_connections_beyond_the_bound_are_reset(echo: EchoServer) -> None:
    with (
        FaultProxy(upstream=echo.address, max_connections=1) as proxy,
        socket.create_connection(proxy.address, timeout=1) as first,
    ):
        assert roundtrip(first) == b"ping"
        with (
            pytest.raises(ConnectionResetError),
            socket.create_connection(proxy.address, 1) as second,
        ):
            roundtrip(second)


# -- real servers: Redis with redis-py, PostgreSQL with psycopg2 ---------------------------


@pytest.fixture
def redis_proxy(redis_server: RedisServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(redis_server.host, redis_server.port)) as proxy:
        yield proxy


def test_redis_through_the_proxy(redis_proxy: FaultProxy, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_proxy.url_for(redis_url), socket_timeout=0.3)
    try:
        assert client.ping() is True
        with redis_proxy.latency(100):
            started = time.monotonic()
            client.ping()
            assert time.monotonic() - started >= 0.2
        with redis_proxy.freeze(), pytest.raises(redis.TimeoutError):
            client.ping()
        client.connection_pool.disconnect()  # the frozen reply would desynchronise it
        assert client.ping() is True
        with redis_proxy.reset(), pytest.raises(redis.ConnectionError):
            client.ping()
        with redis_proxy.refuse(), pytest.raises(redis.ConnectionError) as refused:
            client.ping()
        assert "refused" in str(refused.value).lower()
        assert client.ping() is True  # healed: a new connection works
    finally:
        client.close()


@pytest.fixture
def postgres_proxy(postgres_server: PostgresServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        yield proxy


def test_postgres_through_the_proxy(postgres_proxy: FaultProxy, postgres_url: str) -> None:
    url = postgres_proxy.url_for(postgres_url)
    conn = psycopg2.connect(url, connect_timeout=2)
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
        with postgres_proxy.trickle(nbytes=4096, every=0.1):
            started = time.monotonic()
            cur.execute("SELECT repeat('x', 40000)")  # ~40 kB: about 10 slices
            row = cur.fetchone()
            assert row is not None
            assert len(row[0]) == 40000
            assert 0.8 <= time.monotonic() - started < 1.8
        postgres_proxy.reset()
        with pytest.raises(psycopg2.OperationalError):
            cur.execute("SELECT 1")
        assert conn.closed
    finally:
        conn.close()
    with postgres_proxy.refuse(), pytest.raises(psycopg2.OperationalError) as refused:
        psycopg2.connect(url, connect_timeout=2)
    assert "refused" in str(refused.value)
    postgres_proxy.heal()
    healed = psycopg2.connect(url, connect_timeout=2)
    try:
        cur = healed.cursor()
        cur.execute("SELECT 2")
        assert cur.fetchone() == (2,)
    finally:
        healed.close()


def test_the_docs_fixture_example_passes_in_a_user_suite(pytester: pytest.Pytester) -> None:
    example = Path(__file__).resolve().parents[3] / "docs" / "examples" / "testing_fault_fixture.py"
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_outages=example.read_text(encoding="utf-8"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


async def test_async_clients_time_out_while_the_event_loop_keeps_running(
    redis_proxy: FaultProxy, redis_url: str
) -> None:
    client = aioredis.Redis.from_url(redis_proxy.url_for(redis_url), socket_timeout=0.3)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        assert await client.ping() is True
        with redis_proxy.freeze():
            with pytest.raises(redis.TimeoutError):
                await client.ping()
            assert ticks >= 10
        await client.connection_pool.disconnect()
        assert await client.ping() is True
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.aclose()


def test_latency_can_slow_one_direction_only(proxy: FaultProxy, client: socket.socket) -> None:
    assert roundtrip(client) == b"ping"
    with proxy.latency(200, direction="downstream"):
        started = time.monotonic()
        assert roundtrip(client) == b"ping"
        assert 0.19 <= time.monotonic() - started < 0.35  # one 200 ms leg, not two
    with pytest.raises(ValidationError):
        proxy.latency(10, direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        proxy.trickle(0, 0.1)
    assert proxy.fault is Fault.PASS
