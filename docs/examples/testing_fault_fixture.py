"""test_outages.py of a service's suite: a FaultProxy per test in front of a session Redis."""

from collections.abc import Iterator

import pytest
import redis

from serpens.testing import FaultProxy, RedisServer, start_redis


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with start_redis() as server:
        yield server


@pytest.fixture
def proxy(redis_server: RedisServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(redis_server.host, redis_server.port)) as proxy:
        yield proxy  # stopped (every socket closed, threads joined) after the test


@pytest.fixture
def client(proxy: FaultProxy, redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(proxy.url_for(redis_server.url), socket_timeout=0.2)
    yield client
    client.close()


def test_a_frozen_redis_times_out_then_recovers(proxy: FaultProxy, client: redis.Redis) -> None:
    assert client.ping()
    with proxy.freeze(), pytest.raises(redis.TimeoutError):
        client.ping()
    client.connection_pool.disconnect()  # drop the connection that missed its reply
    assert client.ping()


def test_a_refused_redis_is_a_connection_error(proxy: FaultProxy, client: redis.Redis) -> None:
    with proxy.refuse(), pytest.raises(redis.ConnectionError):
        client.ping()
    assert client.ping()
