"""``AsyncPostgresIdempotencyStore`` beyond the contract: its table, its results, purge.

The contract (``tests/contract/test_idempotency_sql_contract.py``) pins the port's
semantics; these tests pin what only this adapter has: the table made on the first call
that misses it and shared by every namespace, the result kept as the very JSON text
given, :meth:`purge`, and the checks made before any I/O (races, deadlines and outages:
``test_idempotency_races.py``). Real PostgreSQL (asyncpg), no mocks.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens.errors import (
    BackendUnavailableError,
    ConfigurationError,
    LeaseLostError,
    SerializationError,
    ValidationError,
)
from serpens.ports import Claim, JSONValue, Replay
from serpens_sqlalchemy import AsyncPostgresIdempotencyStore
from tests.serpens_sqlalchemy._idempotency_support import (  # noqa: F401 - fixtures
    _CLOSED,
    _claim,
    _engine,
    _table,
)


async def _tables(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM pg_class WHERE relname = :t AND relkind = 'r'")
        return int((await conn.execute(query, {"t": table})).scalar_one())


async def _rows(engine: AsyncEngine, table: str, namespace: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        query = sa.text(f"SELECT key, done, result FROM {table} WHERE namespace = :ns")
        return {r.key: (r.done, r.result) for r in await conn.execute(query, {"ns": namespace})}


async def test_the_table_is_made_by_the_first_call_and_shared(
    engine: AsyncEngine, table: str
) -> None:
    one = AsyncPostgresIdempotencyStore(engine, "one", table=table)
    two = AsyncPostgresIdempotencyStore(engine, "two", table=table)
    assert await _tables(engine, table) == 0  # construction does no I/O
    await one.complete(await _claim(one, "k"), 1, ttl=60)
    assert await _tables(engine, table) == 1
    await two.complete(await _claim(two, "k"), 2, ttl=60)
    await two.create_table()  # idempotent
    assert await _tables(engine, table) == 1
    assert await _rows(engine, table, "one") == {"k": (True, "1")}
    assert await _rows(engine, table, "two") == {"k": (True, "2")}


async def test_every_call_makes_a_missing_table(engine: AsyncEngine) -> None:
    forged = Claim(f"k{uuid.uuid4().hex}", 1, 60.0)
    names = [f"idem_{uuid.uuid4().hex[:10]}" for _ in range(3)]
    try:
        release, complete, purge = (AsyncPostgresIdempotencyStore(engine, table=t) for t in names)
        assert await release.release(forged) is False
        with pytest.raises(LeaseLostError):
            await complete.complete(forged, 1, ttl=60)
        assert await purge.purge() == 0  # nothing to purge: the table stays missing
        assert [await _tables(engine, t) for t in names] == [1, 1, 0]
    finally:
        async with engine.begin() as conn:
            for name in names:
                await conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))


async def test_concurrent_first_calls_make_the_table_once(engine: AsyncEngine, table: str) -> None:
    stores = [AsyncPostgresIdempotencyStore(engine, f"n{i}", table=table) for i in range(4)]
    claims = await asyncio.gather(*(store.claim("k", lease=60) for store in stores))
    assert all(isinstance(claim, Claim) for claim in claims)
    assert await _tables(engine, table) == 1


async def test_a_result_is_kept_as_the_json_text_given(engine: AsyncEngine, table: str) -> None:
    """A ``text`` column: keys keep their order, a NUL character its escape (unlike jsonb)."""
    store = AsyncPostgresIdempotencyStore(engine, "ns", table=table)
    result: JSONValue = {"b": 1, "a": ["\x00", 2.50]}
    await store.complete(await _claim(store, "k"), result, ttl=60)
    assert await _rows(engine, table, "ns") == {"k": (True, '{"b":1,"a":["\\u0000",2.5]}')}
    replay = await store.claim("k", lease=60)
    assert replay == Replay("k", result)
    assert isinstance(replay, Replay)
    assert isinstance(replay.result, dict)
    assert list(replay.result) == ["b", "a"]


async def test_purge_deletes_the_records_that_ended(engine: AsyncEngine, table: str) -> None:
    store = AsyncPostgresIdempotencyStore(engine, "ns", table=table)
    other = AsyncPostgresIdempotencyStore(engine, "other", table=table)
    released = await _claim(store, "released")
    assert await store.release(released)
    await store.complete(await _claim(store, "expired"), 1, ttl=0.001)
    await _claim(store, "lapsed", lease=0.001)
    await store.complete(await _claim(store, "kept"), 1, ttl=60)
    await _claim(store, "held")
    await other.release(await _claim(other, "released"))
    await asyncio.sleep(0.01)
    assert await store.purge(limit=2) == 2
    assert await store.purge() == 1
    assert await store.purge() == 0
    assert set(await _rows(engine, table, "ns")) == {"kept", "held"}
    assert set(await _rows(engine, table, "other")) == {"released"}
    again = await _claim(store, "released")
    assert again.token > released.token  # the purged record's token stays below
    for bad in (0, -1, 1.5, True, "10"):
        with pytest.raises(ValidationError):
            await store.purge(limit=bad)  # type: ignore[arg-type]


async def test_a_claim_with_a_token_no_bigint_holds_holds_nothing(
    engine: AsyncEngine, table: str
) -> None:
    """Forged tokens past PostgreSQL's ``bigint`` are refused as any unissued token is."""
    store = AsyncPostgresIdempotencyStore(engine, "ns", table=table)
    claim = await _claim(store, "k")
    for token in (2**63, -(2**63) - 1, 2**100):
        forged = Claim("k", token, 60.0)
        assert await store.release(forged) is False
        with pytest.raises(LeaseLostError):
            await store.complete(forged, 1, ttl=60)
    assert await store.release(claim) is True


@pytest.mark.parametrize("table", ["", "1abc", "a-b", "a;drop", "t" * 51, "ok name"])
def test_a_bad_table_name_is_refused(table: str) -> None:
    with pytest.raises(ValidationError):
        AsyncPostgresIdempotencyStore(create_async_engine(_CLOSED), table=table)


@pytest.mark.parametrize("namespace", [7, None, "a\x00b", "\udc80", "é" * 129])
def test_a_bad_namespace_is_refused(namespace: object) -> None:
    with pytest.raises(ValidationError) as raised:
        AsyncPostgresIdempotencyStore(create_async_engine(_CLOSED), namespace)  # type: ignore[arg-type]
    assert "namespace" in str(raised.value)


def test_only_an_async_postgres_engine_is_taken(tmp_path: Any) -> None:
    for engine in (
        sa.create_engine("postgresql+psycopg2://u@127.0.0.1:1/db"),
        create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"),
        "postgresql://u@127.0.0.1:1/db",
    ):
        with pytest.raises(ConfigurationError):
            AsyncPostgresIdempotencyStore(engine)  # type: ignore[arg-type]
    for deadline in (0, -1.0):
        with pytest.raises(ValidationError):
            AsyncPostgresIdempotencyStore(create_async_engine(_CLOSED), deadline=deadline)


async def test_arguments_are_checked_before_any_io_and_no_password_shows() -> None:
    engine = create_async_engine(_CLOSED, connect_args={"timeout": 2})
    store = AsyncPostgresIdempotencyStore(engine, "ns", deadline=2.0)
    assert repr(store) == "AsyncPostgresIdempotencyStore('ns', table='serpens_idempotency')"
    try:
        with pytest.raises(ValidationError):
            await store.claim("", lease=60)
        with pytest.raises(SerializationError):
            await store.complete(Claim("k", 1, 1.0), object(), ttl=60)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            await store.complete(Claim("k", 1, 1.0), 1, ttl=0)
        with pytest.raises(ValidationError):
            await store.release(Claim("k", "1", 1.0))  # type: ignore[arg-type]
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError) as raised:
            await store.claim("k", lease=60)
        assert time.monotonic() - started < 2.5
        assert "s3cret" not in repr(store)
        assert "s3cret" not in str(raised.value)
    finally:
        await engine.dispose()


def test_a_namespace_of_256_utf8_bytes_is_taken_and_one_more_refused() -> None:
    engine = create_async_engine(_CLOSED)
    assert AsyncPostgresIdempotencyStore(engine, "é" * 128).namespace == "é" * 128
    with pytest.raises(ValidationError, match="at most 256 UTF-8 bytes"):
        AsyncPostgresIdempotencyStore(engine, "é" * 128 + "x")


def test_a_refused_engine_is_named(tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="it was given a str"):
        AsyncPostgresIdempotencyStore("postgresql://u@127.0.0.1:1/db")  # type: ignore[arg-type]
    sqlite = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ConfigurationError, match="this engine is 'sqlite'"):
        AsyncPostgresIdempotencyStore(sqlite)


async def test_purge_takes_at_most_a_thousand_by_default_and_one_at_least(
    engine: AsyncEngine, table: str
) -> None:
    store = AsyncPostgresIdempotencyStore(engine, "ns", table=table)
    await store.create_table()
    async with engine.begin() as conn:  # 1,002 records that ended long ago
        await conn.execute(
            sa.text(
                f"INSERT INTO {table} (namespace, key, fingerprint, token, done, until)"
                " SELECT 'ns', 'k' || n, '', n, false, 0 FROM generate_series(1, 1002) AS n"
            )
        )
    assert await store.purge() == 1000
    assert await store.purge(limit=1) == 1
    assert await store.purge() == 1
    with pytest.raises(ValidationError, match="limit must be an int >= 1, got 0"):
        await store.purge(limit=0)


async def test_a_result_that_is_not_json_names_the_key(engine: AsyncEngine, table: str) -> None:
    store = AsyncPostgresIdempotencyStore(engine, "ns", table=table)
    claim = await _claim(store, "order-8")
    with pytest.raises(SerializationError, match="idempotency key 'order-8'"):
        await store.complete(claim, {1, 2}, ttl=60)  # type: ignore[arg-type]
    assert await store.release(claim) is True
