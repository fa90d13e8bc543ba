"""``RedisIdempotencyStore`` beyond the contract: clients, records, messages.

The contract cell builds every store with ``from_url`` on a bytes client; these pin a
store on a client the caller owns (``aclose`` leaves it open), on a client that decodes
its answers to ``str``, the record's layout in Redis, and errors that name the key and
never the password.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from serpens.errors import (
    BackendUnavailableError,
    InProgressError,
    SerializationError,
    ValidationError,
)
from serpens.ports import Claim, Replay
from serpens_redis import RedisIdempotencyStore

pytestmark = pytest.mark.redis


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


def _prefix() -> str:
    return f"test-idempotency:{uuid.uuid4().hex}"


async def test_aclose_leaves_a_client_the_store_was_given_open(client: aioredis.Redis) -> None:
    """The same server connection answers after ``aclose`` (redis-py would reconnect)."""
    store = RedisIdempotencyStore(client, prefix=_prefix())
    assert isinstance(await store.claim("k", lease=60), Claim)
    before = await client.client_id()
    await store.aclose()
    assert await client.client_id() == before


async def test_a_client_decoding_its_answers_works_the_same(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    store = RedisIdempotencyStore(client, prefix=_prefix())
    try:
        claim = await store.claim("k", lease=60, fingerprint="f")
        assert isinstance(claim, Claim)
        with pytest.raises(InProgressError):
            await store.claim("k", lease=60, fingerprint="f")
        await store.complete(claim, {"ok": [1, "é"]}, ttl=60)
        assert await store.claim("k", lease=60, fingerprint="f") == Replay("k", {"ok": [1, "é"]})
    finally:
        await client.aclose()


async def test_a_record_is_one_hash_expiring_with_its_lease_then_its_ttl(
    client: aioredis.Redis,
) -> None:
    prefix = _prefix()
    store = RedisIdempotencyStore(client, prefix=prefix)
    claim = await store.claim("k", lease=30, fingerprint="f")
    assert isinstance(claim, Claim)
    name = f"{prefix}#k"
    record = await client.hgetall(name)
    assert record[b"f"] == b"f"
    assert record[b"t"] == str(claim.token).encode()
    assert record[b"d"] == b"0"
    assert 29_000 < await client.pttl(name) <= 30_000
    await store.complete(claim, "r", ttl=600)
    assert (await client.hgetall(name))[b"r"] == b'"r"'
    assert 599_000 < await client.pttl(name) <= 600_000
    await client.delete(name)


async def test_an_outage_names_the_key_and_never_the_password() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = RedisIdempotencyStore.from_url(f"redis://:hunter2@127.0.0.1:{port}/0")
    try:
        with pytest.raises(BackendUnavailableError) as raised:
            await store.claim("order-7", lease=60)
    finally:
        await store.aclose()
    assert "idempotency key 'order-7'" in str(raised.value)
    assert "hunter2" not in str(raised.value)
    assert "hunter2" not in repr(store)


async def test_a_result_that_is_not_json_names_the_key(client: aioredis.Redis) -> None:
    store = RedisIdempotencyStore(client, prefix=_prefix())
    claim = await store.claim("order-8", lease=60)
    assert isinstance(claim, Claim)
    with pytest.raises(SerializationError, match="idempotency key 'order-8'"):
        await store.complete(claim, {1, 2}, ttl=60)  # type: ignore[arg-type]
    assert await store.release(claim) is True


async def test_records_live_under_serpens_idempotency_by_default(
    client: aioredis.Redis, redis_url: str
) -> None:
    """Without a ``prefix`` the record of key ``k`` is ``serpens:idempotency#k``.

    A deployed service's records keep their names across releases only if the default
    does; both constructors share it (a mutated default of either survived the cell,
    which always passes a prefix).
    """
    key = f"default-prefix-{uuid.uuid4().hex}"
    owned = RedisIdempotencyStore.from_url(redis_url)
    try:
        for store in (RedisIdempotencyStore(client), owned):
            assert isinstance(await store.claim(key, lease=60), Claim)
            assert await client.exists(f"serpens:idempotency#{key}") == 1
            await client.delete(f"serpens:idempotency#{key}")
    finally:
        await owned.aclose()


async def test_aclose_closes_the_connections_of_a_store_from_url(
    client: aioredis.Redis, redis_url: str
) -> None:
    """A store built by ``from_url`` owns its pool: ``aclose`` closes its connections.

    The server soon lists none of them (a store that did not own its pool, a mutant that
    survived the cell, would leave them open until garbage collection).
    """
    store = RedisIdempotencyStore.from_url(redis_url)
    await store.claim(f"owned-{uuid.uuid4().hex}", lease=1)
    own_id = await store.client.client_id()
    await store.aclose()
    deadline = time.monotonic() + 5.0
    while await client.client_list(client_id=[str(own_id)]):
        assert time.monotonic() < deadline, "the store's connection is still open"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("prefix", ["", "a#b", "#", "\udc80", None, b"p"])
def test_a_prefix_that_could_meet_another_store_is_refused(
    client: aioredis.Redis, prefix: object
) -> None:
    """``#`` ends the prefix in a record's name: a prefix holding one could share records.

    Store ``"a"``'s key ``"b#c"`` would be store ``"a#b"``'s key ``"c"``.
    """
    with pytest.raises(ValidationError) as raised:
        RedisIdempotencyStore(client, prefix=prefix)  # type: ignore[arg-type]
    assert [e.path for e in raised.value.errors] == ["prefix"]


async def test_prefixes_nested_by_a_colon_never_meet(client: aioredis.Redis) -> None:
    """Key ``"sub:x"`` of prefix ``"p"`` is not key ``"x"`` of prefix ``"p:sub"``."""
    prefix = _prefix()
    outer = RedisIdempotencyStore(client, prefix=prefix)
    inner = RedisIdempotencyStore(client, prefix=f"{prefix}:sub")
    held = await outer.claim("sub:x", lease=60)
    assert isinstance(held, Claim)
    assert isinstance(await inner.claim("x", lease=60), Claim)  # not InProgressError
    assert await outer.release(held) is True
