"""Fixtures the Redis adapter's tests share: a plain client, a fresh key namespace, a
fault proxy in front of the test server, and a server of a module's own to pause."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis

from serpens.errors import BackendUnavailableError
from serpens.testing import FaultProxy, RedisServer, start_redis


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    """A default ``redis.Redis`` on the test server, to set up and inspect keys directly."""
    own = redis.Redis.from_url(redis_url)
    yield own
    own.close()


@pytest.fixture
def prefix(client: redis.Redis) -> Iterator[str]:
    """A fresh namespace, emptied after the test (its entries and any lock left)."""
    name = f"redis-test-{uuid.uuid4().hex}"
    yield name
    for key in client.scan_iter(match=f"{name}:*"):
        client.delete(key)


@pytest.fixture(scope="module")
def pausable() -> Iterator[RedisServer]:
    """A redis-server of the module's own, so that ``CLIENT PAUSE`` stalls no other test.

    The shared test server may be the machine's own Redis, which every test worker uses
    at once (the lowest-versions run does so): a pause there times out other tests.
    """
    try:
        server = start_redis("local")
    except BackendUnavailableError:
        server = start_redis("embedded")
    with server:
        yield server


@pytest.fixture(name="proxy")
def _proxy(redis_url: str) -> Iterator[FaultProxy]:
    """A :class:`FaultProxy` in front of ``redis_url`` (a module's own, where it overrides it)."""
    parts = urlsplit(redis_url)
    with FaultProxy(upstream=(parts.hostname or "127.0.0.1", parts.port or 6379)) as proxy:
        yield proxy
