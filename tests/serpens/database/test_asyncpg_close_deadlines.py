"""asyncpg connections close within the engine's deadline when PostgreSQL freezes.

asyncpg's ``close()`` waits, with no timeout, for the server to end the connection, and
SQLAlchemy's terminate gives it 2 s. A :class:`~serpens.testing.FaultProxy` freezes (or
trickles) after the pool is warm:

- ``async_dispose()`` with idle pooled connections returns within ``DB_CLIENT_TIMEOUT_MS``
  (plus a margin) once, not once per connection; it never returned before.
- a call that checks out a connection older than ``DB_POOL_RECYCLE`` ends within the
  documented worst case, ``max(DB_CLIENT_TIMEOUT_MS, DB_PING_TIMEOUT_MS +
  DB_CONNECT_TIMEOUT)``: the recycled connection is closed behind the caller, which only
  waits for its new connection (before: 2 s of graceful close, then the connect).

On a healthy server the recycled connection's backend still ends, and the next call works.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from sqlalchemy import text

from serpens import database
from serpens.errors import BackendTimeoutError, BackendUnavailableError
from serpens.testing import FaultProxy
from serpens_sqlalchemy import translate_errors
from tests._postgres_probes import _proxy, backends, eventually  # noqa: F401 - _proxy: fixture

CLIENT_S = 0.5
PING_S = 0.3
CONNECT_S = 1  # DB_CONNECT_TIMEOUT takes whole seconds
WORST_S = max(CLIENT_S, PING_S + CONNECT_S)  # the documented worst case of a call
MARGIN_S = 0.6  # scheduling on a shared 2-core runner
HANG_S = 10.0  # where the test gives up on a close that is not bounded at all
RECYCLE_S = 1


@pytest.fixture(name="app")
def _app(monkeypatch: pytest.MonkeyPatch) -> str:
    """The deadlines, and an ``application_name`` of this test's own (to find its backends)."""
    name = f"serpens_close_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("APP_NAME", name)
    monkeypatch.setenv("DB_CLIENT_TIMEOUT_MS", str(int(CLIENT_S * 1000)))
    monkeypatch.setenv("DB_PING_TIMEOUT_MS", str(int(PING_S * 1000)))
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", str(CONNECT_S))
    return name


async def _warm(connections: int) -> None:
    """Leave *connections* idle connections in the pool."""
    sessions = [database.AsyncSessionLocal() for _ in range(connections)]
    try:
        for session in sessions:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        for session in sessions:
            await session.close()


FAULTS = {"freeze": lambda p: p.freeze(), "trickle": lambda p: p.trickle(1, 1.0)}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_async_dispose_ends_within_one_deadline(
    fault: str, proxy: FaultProxy, pg_url: str, app: str
) -> None:
    database.async_bind(proxy.url_for(pg_url))
    await _warm(3)
    assert database.get_async_engine().pool.checkedin() == 3  # type: ignore[attr-defined]
    FAULTS[fault](proxy)
    started = time.monotonic()
    await asyncio.wait_for(database.async_dispose(), HANG_S)
    elapsed = time.monotonic() - started
    print(f"\nasync_dispose, {fault}, 3 idle connections: {elapsed:.2f} s")
    assert elapsed < CLIENT_S + MARGIN_S
    proxy.heal()
    assert await eventually(lambda: backends(pg_url, app) == 0)  # each one forced shut
    database.async_bind(proxy.url_for(pg_url))
    async with database.async_db_session() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1


async def test_async_dispose_on_a_healthy_server_closes_gracefully(
    proxy: FaultProxy, pg_url: str, app: str
) -> None:
    database.async_bind(proxy.url_for(pg_url))
    await _warm(2)
    assert backends(pg_url, app) == 2
    started = time.monotonic()
    await database.async_dispose()
    assert time.monotonic() - started < CLIENT_S / 2  # answered: never waits for the bound
    assert await eventually(lambda: backends(pg_url, app) == 0)
    assert await eventually(lambda: proxy.stats().open == 0)  # the sockets are closed


async def test_a_recycled_connection_costs_no_more_than_the_worst_case(
    proxy: FaultProxy, pg_url: str, app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_POOL_RECYCLE", str(RECYCLE_S))
    database.async_bind(proxy.url_for(pg_url))
    await _warm(1)
    await asyncio.sleep(RECYCLE_S + 0.2)  # the pooled connection is now past DB_POOL_RECYCLE
    proxy.freeze()

    async def call() -> None:
        async with database.async_db_session() as session:
            with translate_errors():
                await session.execute(text("SELECT 1"))

    started = time.monotonic()
    with pytest.raises((BackendTimeoutError, BackendUnavailableError)):
        await asyncio.wait_for(call(), HANG_S)
    elapsed = time.monotonic() - started
    print(f"\nrecycled connection, frozen server: {elapsed:.2f} s")
    assert elapsed < WORST_S + MARGIN_S
    proxy.heal()
    async with database.async_db_session() as session:
        assert (await session.execute(text("SELECT 2"))).scalar_one() == 2


async def test_a_recycled_connection_on_a_healthy_server_ends_its_backend(
    pg_url: str, app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_POOL_RECYCLE", str(RECYCLE_S))
    database.async_bind(pg_url)
    await _warm(1)
    await asyncio.sleep(RECYCLE_S + 0.2)
    async with database.async_db_session() as session:  # recycles, then connects anew
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    assert await eventually(lambda: backends(pg_url, app) == 1)  # the old backend ended
