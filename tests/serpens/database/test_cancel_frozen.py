"""A cancelled async session call on a frozen PostgreSQL ends at its deadline, cleanly.

A :class:`~serpens.testing.FaultProxy` sits between ``async_bind``'s engine and the test
PostgreSQL and freezes after the session's first statement: the second never gets an
answer. ``asyncio.timeout`` (or ``task.cancel()``) must end the call at once, although the
client-side deadline (``DB_CLIENT_TIMEOUT_MS``) is far off: SQLAlchemy's asyncpg adapter
would otherwise spend 2 s on a graceful close of the invalidated connection, shielded from
the cancel (``serpens_sqlalchemy/_terminate.py``). Afterwards nothing is left behind: no
connection checked out, the socket closed, the server's backend gone once the network
heals, and the next call works. On a healthy server the cancelled statement still stops
on the server at once (asyncpg's cancel request is sent, as without a cancel's hurry).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text

from serpens import database
from serpens.testing import FaultProxy
from tests._postgres_probes import _proxy, backends, eventually  # noqa: F401 - _proxy: fixture

DEADLINE_S = 0.5
BUDGET_S = 1.2  # the deadline and a margin; the graceful close alone took 2 s
CLIENT_TIMEOUT_MS = 10_000  # far off: only the cancel can end the call in time


@pytest.fixture(name="app")
def _app(monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``application_name`` of this test's connections (to find their backends)."""
    name = f"serpens_cancel_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("APP_NAME", name)
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", str(CLIENT_TIMEOUT_MS))
    monkeypatch.setenv("DB_CLIENT_TIMEOUT_MS", str(CLIENT_TIMEOUT_MS))
    return name


async def _frozen_second_statement(proxy: FaultProxy) -> None:
    async with database.async_db_session() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        proxy.freeze()
        await session.execute(text("SELECT 2"))


async def _frozen_in_plain_session(proxy: FaultProxy) -> None:
    async with database.AsyncSessionLocal() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        proxy.freeze()
        await session.execute(text("SELECT 2"))


async def _cleanly_after(proxy: FaultProxy, pg_url: str, app: str) -> None:
    """After a heal: the next call works, nothing is checked out, no socket or backend leaks."""
    engine = database.get_async_engine()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    proxy.heal()
    async with database.async_db_session() as session:
        assert (await session.execute(text("SELECT 3"))).scalar_one() == 3
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # the cancelled connection's socket is closed (the proxy's link with it ends) and its
    # backend ends: only the pooled connection of the last call is left
    assert await eventually(lambda: proxy.stats().open == 1), proxy.stats()
    assert await eventually(lambda: backends(pg_url, app) == 1)


Variant = Callable[[FaultProxy], Awaitable[None]]
VARIANTS: dict[str, Variant] = {
    "async_db_session": _frozen_second_statement,
    "AsyncSessionLocal": _frozen_in_plain_session,
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
async def test_a_timeout_ends_a_frozen_statement_at_its_deadline(
    variant: str, proxy: FaultProxy, pg_url: str, app: str
) -> None:
    database.async_bind(proxy.url_for(pg_url))
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(DEADLINE_S):
            await VARIANTS[variant](proxy)
    elapsed = time.monotonic() - started
    print(f"\ncancel {variant} frozen: {elapsed:.2f} s")
    assert elapsed < BUDGET_S
    await _cleanly_after(proxy, pg_url, app)


async def test_a_cancelled_task_ends_at_once(proxy: FaultProxy, pg_url: str, app: str) -> None:
    database.async_bind(proxy.url_for(pg_url))
    task = asyncio.ensure_future(_frozen_second_statement(proxy))
    assert await eventually(lambda: proxy.stats().bytes_to_client > 0)  # connected
    await asyncio.sleep(0.3)  # frozen, the second statement waiting
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    elapsed = time.monotonic() - started
    print(f"\ntask.cancel() frozen: {elapsed:.2f} s")
    assert elapsed < BUDGET_S - DEADLINE_S
    await _cleanly_after(proxy, pg_url, app)


async def test_a_timeout_that_does_not_fire_leaves_the_connection_pooled(
    proxy: FaultProxy, pg_url: str, app: str
) -> None:
    """No cancel, no forced close: the connection goes back to the pool and is reused."""
    engine = database.async_bind(proxy.url_for(pg_url))
    for _ in range(3):
        async with asyncio.timeout(5), database.async_db_session() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    assert proxy.stats().accepted == 1
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert backends(pg_url, app) == 1


async def test_a_cancelled_statement_stops_on_a_healthy_server(pg_url: str, app: str) -> None:
    """The close the caller does not wait for still cancels the statement on the server."""
    database.async_bind(pg_url)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(DEADLINE_S), database.async_db_session() as session:
            await session.execute(text("SELECT pg_sleep(20)"))
    assert time.monotonic() - started < BUDGET_S
    # not running to its end (20 s) nor to statement_timeout (10 s): the backend ends
    assert await eventually(lambda: backends(pg_url, app) == 0, seconds=3.0)
