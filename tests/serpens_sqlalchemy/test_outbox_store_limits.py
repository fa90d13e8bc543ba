"""``AsyncPostgresOutboxStore`` at its edges: what errors name, deadlines, the DDL lock.

What the adapter mutation run of ``_outbox_store.py`` asked for: each call's error names
what it was doing, a refused engine names the store, what it needs PostgreSQL for and
the fake to use; a store keeps its own deadline on an engine another store bound first;
concurrent first calls take turns on one advisory lock per schema.
"""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens.errors import BackendUnavailableError, ConfigurationError
from serpens.ports import OutboxMessage
from serpens_sqlalchemy._outbox_store import AsyncPostgresOutboxStore
from tests.serpens_sqlalchemy._idempotency_support import _CLOSED, _asyncpg
from tests.serpens_sqlalchemy._lock_support import advisory_lock_held, gives_up_in_time
from tests.serpens_sqlalchemy._outbox_support import _engine, _schema  # noqa: F401 - fixtures


async def test_each_call_names_what_it_was_doing_when_the_server_is_gone() -> None:
    engine = create_async_engine(_CLOSED, connect_args={"timeout": 2})
    store = AsyncPostgresOutboxStore(engine, deadline=2.0)
    message = OutboxMessage(7, "k" * 32, "t", b"x", token=3)
    calls = [
        (store.claim(), "outbox claim"),
        (store.pending(), "outbox count"),
        (store.delivered(message), f"outbox message 7 ('{'k' * 32}')"),
        (store.retry(message), f"outbox message 7 ('{'k' * 32}')"),
        (store.delivered_many([message]), "outbox deliveries"),
        (store.create_table(), "outbox table 'serpens_outbox'"),
    ]
    try:
        for call, what in calls:
            with pytest.raises(BackendUnavailableError) as raised:
                await call
            assert str(raised.value) == f"PostgreSQL is unreachable ({what})"
    finally:
        await engine.dispose()


def test_a_refused_engine_is_told_what_the_store_needs_and_what_to_use() -> None:
    sqlite = create_async_engine("sqlite+aiosqlite://")
    with pytest.raises(ConfigurationError) as raised:
        AsyncPostgresOutboxStore(sqlite)
    assert str(raised.value) == (
        "AsyncPostgresOutboxStore needs a PostgreSQL engine (it relies on FOR UPDATE SKIP "
        "LOCKED and clock_timestamp()); this engine is 'sqlite': use InMemoryOutboxStore in "
        "tests"
    )
    with pytest.raises(ConfigurationError) as raised:
        AsyncPostgresOutboxStore(sa.create_engine("sqlite://"))  # type: ignore[arg-type]
    assert str(raised.value) == (  # no sync twin to point to
        "AsyncPostgresOutboxStore needs a sqlalchemy AsyncEngine on PostgreSQL (asyncpg); "
        "it was given a Engine"
    )


async def test_a_store_keeps_its_own_deadline_on_an_engine_another_store_bound(
    postgres_url: str, schema: str, engine: AsyncEngine
) -> None:
    """The engine's round trips are bounded by the first store; each call by its own."""
    base = create_async_engine(_asyncpg(postgres_url))
    shared = base.execution_options(schema_translate_map={None: schema})
    try:
        first = AsyncPostgresOutboxStore(shared, deadline=5.0)  # binds the engine: 5 s
        await first.create_table()
        quick = AsyncPostgresOutboxStore(shared, deadline=0.5)
        async with engine.connect() as conn, conn.begin():
            await conn.execute(sa.text(f"LOCK TABLE {schema}.serpens_outbox"))
            await gives_up_in_time(quick.pending(), r"within 0\.5 s", most=2.0)
    finally:
        await base.dispose()


async def test_first_calls_take_turns_on_the_schemas_advisory_lock(
    schema: str, engine: AsyncEngine
) -> None:
    """While another session holds the schema's lock, creating the table waits for it."""
    store = AsyncPostgresOutboxStore(engine)
    async with advisory_lock_held(engine, f"{schema}.serpens_outbox"):
        creating = asyncio.create_task(store.create_table())
        await asyncio.sleep(0.5)
        assert not creating.done()  # waiting for the lock
    async with asyncio.timeout(5):
        await creating
    assert await store.pending() == 0  # the table is there
