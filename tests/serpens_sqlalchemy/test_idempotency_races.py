"""``AsyncPostgresIdempotencyStore`` under races and faults: claims, deadlines, outages.

A claim meeting a record committed after its statement's snapshot (forced with a
transaction held open), or one released between its statements; a frozen or trickling
server cut at the store's own deadline, also on an engine another store bound first;
errors naming the key, table or namespace, never the password. Real PostgreSQL
(asyncpg, psycopg2 for the releasing side), real faults (a FaultProxy), no mocks.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    InProgressError,
)
from serpens.ports import Claim, Replay
from serpens.testing import FaultProxy, PostgresServer
from serpens_sqlalchemy import AsyncPostgresIdempotencyStore
from serpens_sqlalchemy._idempotency_statements import NOW
from tests.serpens_sqlalchemy._idempotency_support import (  # noqa: F401 - fixtures
    _CLOSED,
    _asyncpg,
    _claim,
    _engine,
    _table,
)
from tests.serpens_sqlalchemy._lock_support import gives_up_in_time, locked_before_the_second


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


async def test_an_outage_names_the_key_or_the_table() -> None:
    engine = create_async_engine(_CLOSED, connect_args={"timeout": 2})
    store = AsyncPostgresIdempotencyStore(engine, "ns", table="records", deadline=2.0)
    try:
        calls = {
            "claim": store.claim("k-7", lease=60),
            "complete": store.complete(Claim("k-7", 1, 60.0), 1, ttl=60),
            "release": store.release(Claim("k-7", 1, 60.0)),
        }
        for name, call in calls.items():
            with pytest.raises(BackendUnavailableError) as raised:
                await call
            assert str(raised.value) == "PostgreSQL is unreachable (idempotency key 'k-7')", name
        with pytest.raises(BackendUnavailableError) as raised:
            await store.create_table()
        assert str(raised.value) == "PostgreSQL is unreachable (idempotency table 'records')"
    finally:
        await engine.dispose()


async def test_each_store_keeps_its_own_deadline_on_a_shared_engine(
    postgres_server: PostgresServer, postgres_url: str, table: str
) -> None:
    """The first store bound the engine at 5 s; the second still ends its calls at 0.5 s."""
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        url = _asyncpg(proxy.url_for(postgres_url))
        engine = create_async_engine(url, pool_size=1, connect_args={"timeout": 1})
        AsyncPostgresIdempotencyStore(engine, "ns", table=table, deadline=5.0)
        store = AsyncPostgresIdempotencyStore(engine, "ns", table=table, deadline=0.5)
        try:
            await _claim(store, "held")  # the pool's one connection is open now
            with proxy.freeze():
                started = time.monotonic()
                with pytest.raises(BackendTimeoutError):
                    await store.claim("new", lease=60)
                assert time.monotonic() - started < 1.5
        finally:
            await engine.dispose()


async def test_purge_in_an_outage_names_the_namespace() -> None:
    engine = create_async_engine(_CLOSED, connect_args={"timeout": 2})
    store = AsyncPostgresIdempotencyStore(engine, "ns", deadline=2.0)
    try:
        with pytest.raises(BackendUnavailableError) as raised:
            await store.purge()
        assert str(raised.value) == "PostgreSQL is unreachable (idempotency namespace 'ns')"
    finally:
        await engine.dispose()


async def test_a_raced_claim_takes_a_key_released_before_it_runs_again(
    postgres_url: str, table: str
) -> None:
    """The record the first statement met is released before the second: the claim takes it."""
    engine = create_async_engine(_asyncpg(postgres_url))
    releaser = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    claims: list[str] = []

    def release_before_the_second_claim(*args: Any) -> None:
        if "taken AS (INSERT" in args[2]:
            claims.append(args[2])
            if len(claims) == 2:
                with releaser.begin() as conn:
                    conn.execute(sa.text(f"UPDATE {table} SET until = 0 WHERE key = 'k'"))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", release_before_the_second_claim)
    store = AsyncPostgresIdempotencyStore(engine, "ns", table=table)
    try:
        await store.create_table()
        async with engine.connect() as holder:
            await holder.execute(
                sa.text(f"INSERT INTO {table} VALUES ('ns', 'k', '', 1, false, {NOW} + 60000000)")
            )
            claiming = asyncio.create_task(store.claim("k", lease=60))
            await _await_lock_wait(engine, table, claiming)
            await holder.commit()
        claim = await claiming
    finally:
        await engine.dispose()
        releaser.dispose()
    assert isinstance(claim, Claim)
    assert claim.token > 1
    assert len(claims) == 2


async def test_a_raced_claim_waits_for_a_locked_record_at_most_the_stores_deadline(
    postgres_url: str, table: str
) -> None:
    """The claim run again after a race is bounded by the store's deadline, not the engine's.

    The first store on the engine gave it 7 s; the second store's 0.5 s bounds its raced
    claim too, when another session locks the committed record between the claim's
    statements.
    """
    engine = create_async_engine(_asyncpg(postgres_url))
    AsyncPostgresIdempotencyStore(engine, "ns", table=table)  # the engine's 7 s
    store = AsyncPostgresIdempotencyStore(engine, "ns", table=table, deadline=0.5)
    try:
        await store.create_table()
        record = f"SELECT 1 FROM {table} WHERE key = 'k' FOR UPDATE"
        # the raced claim's first statement is the second claim statement
        with locked_before_the_second(engine, postgres_url, "taken AS (INSERT", record) as claims:
            async with engine.connect() as holder:
                await holder.execute(
                    sa.text(
                        f"INSERT INTO {table} VALUES ('ns', 'k', '', 1, false, {NOW} + 60000000)"
                    )
                )
                claiming = asyncio.create_task(
                    gives_up_in_time(store.claim("k", lease=60), r"within 0\.5 s", most=3.0)
                )
                await _await_lock_wait(engine, table, claiming)
                await holder.commit()
            await claiming
    finally:
        await engine.dispose()
    assert len(claims) == 2  # the claim raced, met the lock and gave up
