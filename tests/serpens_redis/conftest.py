"""Fixtures the Redis adapter's tests share: a plain client and a fresh key namespace."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis


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
