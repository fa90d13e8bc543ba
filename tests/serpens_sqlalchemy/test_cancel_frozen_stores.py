"""A cancelled store call on a frozen PostgreSQL ends at its deadline and leaves nothing behind.

The stores take an engine the application made: they install their hooks on it
(``TableStore._bind``, the queue's ``__init__``), among them the one that lets a cancelled
caller go before the connection its cancel invalidated is closed
(``serpens_sqlalchemy/_terminate.py``). A
:class:`~serpens.testing.FaultProxy` freezes once the pool is warm; the store's own
``deadline`` is far off, so only ``asyncio.timeout`` can end the call in time, which
SQLAlchemy's 2 s graceful close of the connection used to delay. After a heal the next call
works, nothing is checked out, and the cancelled connection's socket and backend are gone.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens.testing import FaultProxy
from serpens_sqlalchemy import AsyncPostgresIdempotencyStore, AsyncPostgresQueue
from tests._postgres_probes import _proxy, backends, eventually  # noqa: F401 - _proxy: fixture

DEADLINE_S = 0.5
BUDGET_S = 1.2  # the deadline and a margin; the graceful close alone took 2 s
STORE_DEADLINE_S = 10.0  # far off: only the cancel can end the call in time


@pytest.fixture(name="app")
def _app() -> str:
    """The ``application_name`` of this test's connections (to find their backends)."""
    return f"serpens_cancel_{uuid.uuid4().hex[:8]}"


@pytest.fixture(name="engine")
async def _engine(proxy: FaultProxy, postgres_url: str, app: str) -> AsyncIterator[AsyncEngine]:
    url = "postgresql+asyncpg://" + proxy.url_for(postgres_url).split("://", 1)[1]
    engine = create_async_engine(url, connect_args={"server_settings": {"application_name": app}})
    yield engine
    proxy.heal()
    await engine.dispose()


@pytest.fixture(name="table")
def _table(postgres_url: str) -> Iterator[str]:
    """A table name of this test's own (the store creates it), dropped after."""
    name = f"cancel_{uuid.uuid4().hex[:10]}"
    yield name
    admin = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    admin.dispose()


async def _cancelled_when_frozen(
    call: Callable[[], Awaitable[object]],
    label: str,
    *,
    engine: AsyncEngine,
    proxy: FaultProxy,
    postgres_url: str,
    app: str,
) -> None:
    """Warm the pool with *call*, freeze, time a cancelled *call*, then check the aftermath."""
    await call()
    assert proxy.stats().accepted == 1
    proxy.freeze()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(DEADLINE_S):
            await call()
    elapsed = time.monotonic() - started
    print(f"\ncancel {label} frozen: {elapsed:.2f} s")
    assert elapsed < BUDGET_S
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    proxy.heal()
    await call()  # the next call works, on a new connection
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # the cancelled connection's socket is closed (the proxy's link with it ends) and its
    # backend ends: only the pooled connection of the last call is left
    assert await eventually(lambda: proxy.stats().open == 1), proxy.stats()
    assert await eventually(lambda: backends(postgres_url, app) == 1)


async def test_a_cancelled_claim_ends_at_its_deadline(
    engine: AsyncEngine, proxy: FaultProxy, postgres_url: str, app: str, table: str
) -> None:
    store = AsyncPostgresIdempotencyStore(engine, "cancel", table=table, deadline=STORE_DEADLINE_S)
    await store.create_table()

    async def claim() -> object:
        return await store.claim(uuid.uuid4().hex, lease=60.0)

    await _cancelled_when_frozen(
        claim,
        "AsyncPostgresIdempotencyStore.claim",
        engine=engine,
        proxy=proxy,
        postgres_url=postgres_url,
        app=app,
    )


async def test_a_cancelled_queue_call_ends_at_its_deadline(
    engine: AsyncEngine, proxy: FaultProxy, postgres_url: str, app: str, table: str
) -> None:
    queue = AsyncPostgresQueue(engine, "cancel", table=table, deadline=STORE_DEADLINE_S)
    await queue.create_table()

    async def send_and_receive() -> object:
        await queue.send("hello")
        return await queue.receive(max_messages=1, wait_seconds=0)

    await _cancelled_when_frozen(
        send_and_receive,
        "AsyncPostgresQueue.send",
        engine=engine,
        proxy=proxy,
        postgres_url=postgres_url,
        app=app,
    )
