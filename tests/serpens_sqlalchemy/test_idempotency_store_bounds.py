"""The PostgreSQL idempotency store's bounds: a result's TTL and its calls' own deadlines.

A completed record holds its result for *ttl* from the completion, read from the table
against the server's clock before and after the call. ``create_table``, ``purge`` and
a call run again after it created its missing table wait for what another session holds
(the creators' advisory lock, a lock on the table) at most the store's own deadline, on an
engine whose deadline is longer (7 s, given by the first store on it). Real server:
PostgreSQL (asyncpg).
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens_sqlalchemy import AsyncPostgresIdempotencyStore
from tests.serpens_sqlalchemy._idempotency_support import (  # noqa: F401 - fixtures
    _asyncpg,
    _claim,
    _engine,
    _table,
)
from tests.serpens_sqlalchemy._lock_support import (
    advisory_lock_held,
    gives_up_in_time,
    locked_before_the_second,
)

_NOW = sa.text("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")


def _namespace() -> str:
    return f"ns-{uuid.uuid4().hex[:8]}"


async def test_a_result_is_kept_for_its_ttl_from_the_completion(
    engine: AsyncEngine, table: str
) -> None:
    store = AsyncPostgresIdempotencyStore(engine, _namespace(), table=table)
    claim = await _claim(store, "k")
    async with engine.connect() as conn:
        before = (await conn.execute(_NOW)).scalar_one()
        await store.complete(claim, {"id": 7}, ttl=86_400)  # a day: a wrong unit shows by seconds
        after = (await conn.execute(_NOW)).scalar_one()
        query = sa.text(f"SELECT done, until FROM {table} WHERE namespace = :ns AND key = 'k'")
        row = (await conn.execute(query, {"ns": store.namespace})).one()
    assert row.done is True
    assert before + 86_400_000_000 <= row.until <= after + 86_400_000_000


async def test_create_table_waits_for_another_creator_at_most_its_deadline(
    engine: AsyncEngine, table: str
) -> None:
    AsyncPostgresIdempotencyStore(engine, _namespace(), table=table)  # the engine's 7 s
    quick = AsyncPostgresIdempotencyStore(engine, _namespace(), table=table, deadline=0.5)
    async with advisory_lock_held(engine, table):  # another creator, holding the table's turn
        await gives_up_in_time(quick.create_table(), r"within 0\.5 s", most=3.0)
    await quick.create_table()  # its turn now
    await _claim(quick, "k")


async def test_purge_waits_for_a_locked_table_at_most_its_deadline(
    engine: AsyncEngine, table: str
) -> None:
    store = AsyncPostgresIdempotencyStore(engine, _namespace(), table=table)  # the engine's 7 s
    await store.create_table()
    quick = AsyncPostgresIdempotencyStore(engine, store.namespace, table=table, deadline=0.5)
    async with engine.connect() as other, other.begin():
        await other.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        await gives_up_in_time(quick.purge(), r"within 0\.5 s", most=3.0)
    assert await quick.purge() == 0  # the lock is gone


async def test_a_call_run_again_after_creating_its_table_keeps_its_deadline(
    postgres_url: str, engine: AsyncEngine, table: str
) -> None:
    """A claim that found its table missing creates it and runs again on the store's deadline.

    Between the creation and the second run, another session locks the new table: the
    second run gives up at the store's 0.5 s, not at the engine's 7 s.
    """
    AsyncPostgresIdempotencyStore(engine, _namespace(), table=table)  # the engine's 7 s
    quick = AsyncPostgresIdempotencyStore(engine, _namespace(), table=table, deadline=0.5)
    # missing, created, run again: the second claim statement meets the lock
    lock = f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
    with locked_before_the_second(engine, postgres_url, "taken AS (INSERT", lock) as claims:
        await gives_up_in_time(quick.claim("k", lease=60), r"within 0\.5 s", most=3.0)
    assert len(claims) == 2
    await _claim(quick, "k")  # the lock is gone


async def test_create_table_on_an_existing_table_needs_no_right_to_create(
    engine: AsyncEngine, table: str, postgres_url: str
) -> None:
    """A service's role that may not create tables may still call ``create_table`` once
    the table exists (made at deploy time): it reads the catalog and runs no DDL."""
    async with engine.connect() as conn:
        version = (await conn.execute(sa.text("SHOW server_version_num"))).scalar_one()
    if int(version) < 150000:
        pytest.skip("before PostgreSQL 15 every role may create tables in the public schema")
    await AsyncPostgresIdempotencyStore(engine, _namespace(), table=table).create_table()
    role = f"svc_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        await conn.execute(sa.text(f"REVOKE CREATE ON SCHEMA public FROM {role}"))
        await conn.execute(sa.text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}"))
    url = sa.make_url(_asyncpg(postgres_url)).set(username=role, password=None)
    service = create_async_engine(url)
    try:
        async with service.connect() as conn:  # the role really may not create a table
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                await conn.execute(sa.text(f"CREATE TABLE {table}_x (id int)"))
        store = AsyncPostgresIdempotencyStore(service, _namespace(), table=table)
        await store.create_table()
        await _claim(store, "k")
    finally:
        await service.dispose()
        async with engine.begin() as conn:
            await conn.execute(sa.text(f"REVOKE ALL ON {table} FROM {role}"))
            await conn.execute(sa.text(f"DROP ROLE {role}"))
