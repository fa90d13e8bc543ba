"""The PostgreSQL queues' defaults and own deadlines, on the real server.

The default table is ``serpens_queue`` (a changed default would orphan every message a
deployed service sent), a FIFO queue does not deduplicate by content unless asked, an
async queue keeps its own deadline on an engine another queue bound first, and either
queue given the other's kind of engine, or one on another database, names itself, what
it needs and what to use instead. Real PostgreSQL (psycopg2, asyncpg), real faults (a
FaultProxy).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from serpens.errors import BackendTimeoutError, ConfigurationError
from serpens.testing import FaultProxy, PostgresServer
from serpens_sqlalchemy import AsyncPostgresQueue, PostgresQueue

pytestmark = pytest.mark.postgres


def _driver(url: str, driver: str) -> str:
    return f"postgresql+{driver}://" + url.split("://", 1)[1]


@pytest.fixture(name="engine")
def _engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(_driver(postgres_url, "psycopg2"))
    yield engine
    engine.dispose()


@pytest.fixture(name="proxy")
def _proxy(postgres_server: PostgresServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        yield proxy


def _stored(engine: sa.Engine, message_id: str) -> int:
    """How many rows of the default table hold *message_id*."""
    query = sa.text("SELECT count(*) FROM serpens_queue WHERE id = CAST(:id AS uuid)")
    with engine.connect() as conn:
        return int(conn.execute(query, {"id": message_id}).scalar_one())


async def test_the_default_table_is_serpens_queue(engine: sa.Engine, postgres_url: str) -> None:
    name = f"defaults-{uuid.uuid4().hex[:8]}"
    queue = PostgresQueue(engine, name, deadline=5.0)
    queue.create_table()
    assert _stored(engine, queue.send("sync")) == 1
    async_engine = create_async_engine(_driver(postgres_url, "asyncpg"))
    try:
        async_queue = AsyncPostgresQueue(async_engine, name, deadline=5.0)
        assert _stored(engine, await async_queue.send("async")) == 1
        bodies = sorted(m.body for m in await async_queue.receive(max_messages=10))
        assert bodies == ["async", "sync"]  # one queue, one table
    finally:
        await async_engine.dispose()


async def test_a_fifo_queue_deduplicates_by_content_only_when_asked(
    engine: sa.Engine, postgres_url: str
) -> None:
    """Two sends of one body without ``dedup_id`` are two messages, sync and async."""
    PostgresQueue(engine, "setup", deadline=5.0).create_table()
    queue = PostgresQueue(engine, f"fifo-{uuid.uuid4().hex[:8]}", fifo=True, deadline=5.0)
    assert queue.send("same", group_id="g") != queue.send("same", group_id="g")
    async_engine = create_async_engine(_driver(postgres_url, "asyncpg"))
    try:
        name = f"fifo-{uuid.uuid4().hex[:8]}"
        async_queue = AsyncPostgresQueue(async_engine, name, fifo=True, deadline=5.0)
        first = await async_queue.send("same", group_id="g")
        assert await async_queue.send("same", group_id="g") != first
        assert len(await async_queue.receive(max_messages=10)) == 2
    finally:
        await async_engine.dispose()


async def test_an_async_queue_keeps_its_own_deadline_on_a_shared_engine(
    proxy: FaultProxy, postgres_url: str
) -> None:
    """The first queue bound the engine at 5 s; the second still ends its calls at 0.5 s."""
    engine = create_async_engine(
        _driver(proxy.url_for(postgres_url), "asyncpg"), pool_size=1, connect_args={"timeout": 1}
    )
    try:
        AsyncPostgresQueue(engine, "slow", deadline=5.0)
        queue = AsyncPostgresQueue(engine, f"quick-{uuid.uuid4().hex[:8]}", deadline=0.5)
        await queue.create_table()
        await queue.send("warm")  # the pool's one connection is open now
        with proxy.freeze():
            started = time.monotonic()
            with pytest.raises(BackendTimeoutError, match=r"within 0\.5 s"):
                await queue.send("frozen")
            assert time.monotonic() - started < 3.0
    finally:
        await engine.dispose()


def _refusal(make: Callable[[], object]) -> str:
    """The text of the ``ConfigurationError`` *make* raises (no I/O happens)."""
    with pytest.raises(ConfigurationError) as raised:
        make()
    return str(raised.value)


async def test_each_queue_given_the_wrong_engine_says_what_to_use(engine: sa.Engine) -> None:
    """The other kind of engine, or one on another database: each message names the
    queue, what it needs, and its twin or the fake to use instead."""
    async_sqlite = create_async_engine("sqlite+aiosqlite://")
    sqlite = sa.create_engine("sqlite://")
    try:
        assert _refusal(lambda: AsyncPostgresQueue(engine, "q")) == (  # type: ignore[arg-type]
            "AsyncPostgresQueue needs a sqlalchemy AsyncEngine on PostgreSQL (asyncpg);"
            " it was given a Engine: use PostgresQueue with a sync Engine"
        )
        assert _refusal(lambda: AsyncPostgresQueue(async_sqlite, "q")) == (
            "AsyncPostgresQueue needs a PostgreSQL engine (it relies on FOR UPDATE SKIP LOCKED);"
            " this engine is 'sqlite': use AsyncInMemoryQueue in tests"
        )
        assert _refusal(lambda: PostgresQueue(async_sqlite, "q")) == (  # type: ignore[arg-type]
            "PostgresQueue needs a sqlalchemy Engine on PostgreSQL; it was given an"
            " AsyncEngine; PostgresQueue is synchronous: give it a sync engine"
            " (serpens.database.bind()/get_engine()), or use AsyncPostgresQueue with the"
            " AsyncEngine"
        )
        assert _refusal(lambda: PostgresQueue(sqlite, "q")) == (
            "PostgresQueue needs a PostgreSQL engine (it relies on FOR UPDATE SKIP LOCKED);"
            " this engine is 'sqlite': use InMemoryQueue in tests"
        )
    finally:
        sqlite.dispose()
        await async_sqlite.dispose()
