"""``AsyncPostgresIdempotencyStore`` beyond the contract: its table, a claim's race, purge.

The contract (``tests/contract/test_idempotency_sql_contract.py``) pins the port's
semantics; these tests pin what only this adapter has: the table made on the first call
that misses it and shared by every namespace, the claim that meets a record committed
after its statement's snapshot (forced here with a transaction held open), the result
kept as the very JSON text given, :meth:`purge`, and the checks made before any I/O.
Real PostgreSQL (asyncpg), no mocks.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigurationError,
    InProgressError,
    LeaseLostError,
    SerializationError,
    ValidationError,
)
from serpens.ports import Claim, JSONValue, Replay
from serpens.testing import FaultProxy, PostgresServer
from serpens_sqlalchemy import AsyncPostgresIdempotencyStore
from serpens_sqlalchemy._idempotency_statements import NOW

_CLOSED = "postgresql+asyncpg://serpens:s3cret@127.0.0.1:1/nothing"  # nothing listens on 1


def _asyncpg(postgres_url: str) -> str:
    return "postgresql+asyncpg://" + postgres_url.split("://", 1)[1]


@pytest.fixture(name="engine")
async def _engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(_asyncpg(postgres_url))
    yield engine
    await engine.dispose()


@pytest.fixture(name="table")
async def _table(engine: AsyncEngine) -> AsyncIterator[str]:
    """A table name of this test's own (not created), dropped after."""
    name = f"idem_{uuid.uuid4().hex[:10]}"
    yield name
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))


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


async def _claim(store: AsyncPostgresIdempotencyStore, key: str, **options: Any) -> Claim:
    claim = await store.claim(key, **{"lease": 60.0, **options})
    assert isinstance(claim, Claim)
    return claim


async def _await_lock_wait(engine: AsyncEngine, table: str, claiming: asyncio.Task[Any]) -> None:
    """Return once a statement on *table* waits for a row lock (the held transaction's)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND query LIKE :q AND pid <> pg_backend_pid()"
    )
    # autocommit: a transaction keeps its first snapshot of pg_stat_activity
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        for _ in range(250):
            if claiming.done():
                pytest.fail(f"the claim ended without waiting: {claiming.exception()!r}")
            if (await conn.execute(query, {"q": f"%INSERT INTO {table}%"})).scalar_one():
                return
            await asyncio.sleep(0.02)
    pytest.fail("the claim never waited for the held row")


@pytest.mark.parametrize("isolation", [None, "REPEATABLE READ", "SERIALIZABLE"])
@pytest.mark.parametrize(
    ("held", "expected"),
    [("claimed", InProgressError), ("completed", Replay), ("rolled back", Claim)],
)
async def test_a_claim_meeting_a_record_committed_after_its_snapshot_decides_on_it(
    postgres_url: str, table: str, isolation: str | None, held: str, expected: type[object]
) -> None:
    """The claim's statement waits for a transaction holding a new record of its key.

    When that commits, the statement neither takes the key nor sees the record (its
    snapshot is older): the claim runs again and decides on the committed record,
    whatever isolation level the engine defaults to. When it rolls back, the first
    statement takes the key.
    """
    options = {} if isolation is None else {"isolation_level": isolation}
    engine = create_async_engine(_asyncpg(postgres_url), **options)
    statements: list[str] = []
    sa.event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    store = AsyncPostgresIdempotencyStore(engine, "ns", table=table)
    try:
        await store.create_table()
        done, result = (True, "7") if held == "completed" else (False, None)
        async with engine.connect() as holder:
            await holder.execute(
                sa.text(
                    f"INSERT INTO {table} VALUES ('ns', 'k', '', 1, :done, {NOW} + 60000000,"
                    " :result)"
                ),
                {"done": done, "result": result},
            )
            claiming = asyncio.create_task(store.claim("k", lease=60))
            await _await_lock_wait(engine, table, claiming)
            await (holder.rollback() if held == "rolled back" else holder.commit())
        (outcome,) = await asyncio.gather(claiming, return_exceptions=True)
    finally:
        await engine.dispose()
    assert isinstance(outcome, expected), outcome
    if isinstance(outcome, Replay):
        assert outcome == Replay("k", 7)
    if isinstance(outcome, InProgressError):
        assert 59 < outcome.retry_after <= 60
    claims = [s for s in statements if "taken AS (INSERT" in s]
    assert len(claims) == (1 if held == "rolled back" else 2)


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


@pytest.mark.parametrize("fault", ["freeze", "trickle"])
async def test_a_statement_on_a_warm_connection_ends_at_the_deadline(
    postgres_server: PostgresServer, postgres_url: str, table: str, fault: str
) -> None:
    """A pooled connection whose server stops answering is cut at the store's deadline.

    The call after it opens a new connection, bounded by the driver's connect timeout.
    """
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        url = _asyncpg(proxy.url_for(postgres_url))
        engine = create_async_engine(url, pool_size=1, connect_args={"timeout": 1})
        store = AsyncPostgresIdempotencyStore(engine, "ns", table=table, deadline=0.5)
        try:
            held = await _claim(store, "held")  # the pool's one connection is open now
            down = proxy.freeze() if fault == "freeze" else proxy.trickle(1, 0.05)
            with down:
                calls = (store.claim("new", lease=60), store.complete(held, 1, ttl=60))
                for call, most in zip(calls, (0.5, 1.0), strict=True):
                    started = time.monotonic()
                    with pytest.raises(BackendTimeoutError):
                        await call
                    assert time.monotonic() - started < most + 0.5
            assert await store.release(held) is True  # it works again; nothing was completed
        finally:
            await engine.dispose()
