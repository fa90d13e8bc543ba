"""``closes_settled`` waits for every asyncpg close that ``close_at_once`` ran apart.

An engine hooked by ``close_at_once`` closes each connection a dispose drops in a task of
its own, which the dispose does not wait for; ``serpens.database.async_dispose`` then
awaits ``closes_settled``, so it returns with every connection closed and no close task
of its loop left. Each close is graceful (asyncpg's ``Terminate`` message reaches the
server) and bounded: on an engine without deadlines by 2 s, then forced, so a dispose on
a frozen server still ends. Real server: PostgreSQL (asyncpg), behind a
:class:`~serpens.testing.FaultProxy` for the last two.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens.testing import FaultProxy
from serpens_sqlalchemy._deadline import bound_round_trips
from serpens_sqlalchemy._terminate import _CLOSING, close_at_once, closes_settled
from tests._postgres_probes import _proxy  # noqa: F401 - fixture

CONNECTIONS = 3
TERMINATE = 5  # bytes: asyncpg's Terminate message ('X' and its length)
UNBOUNDED_CLOSE_S = 2.0  # a close's bound on an engine without deadlines
HANG_S = 15.0  # where the test gives up on a close that is not bounded at all


def _asyncpg(postgres_url: str) -> str:
    return "postgresql+asyncpg://" + postgres_url.split("://", 1)[1]


def _ours(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[None]]:
    return [task for task in _CLOSING if task.get_loop() is loop]


async def test_a_dispose_then_closes_settled_leaves_every_connection_closed(
    postgres_url: str,
) -> None:
    engine = create_async_engine(_asyncpg(postgres_url), pool_size=CONNECTIONS)
    close_at_once(engine.sync_engine)
    drivers: list[Any] = []
    try:
        conns = [await engine.connect() for _ in range(CONNECTIONS)]
        for conn in conns:
            assert (await conn.exec_driver_sql("SELECT 1")).scalar_one() == 1
            drivers.append((await conn.get_raw_connection()).driver_connection)
        for conn in conns:
            await conn.close()  # idle in the pool: the dispose closes them
    finally:
        await engine.dispose()
    await closes_settled()
    assert [driver.is_closed() for driver in drivers] == [True] * CONNECTIONS
    assert _ours(asyncio.get_running_loop()) == []


async def test_closes_settled_with_nothing_under_way_returns() -> None:
    await asyncio.wait_for(closes_settled(), 5)
    assert _ours(asyncio.get_running_loop()) == []


async def _warm(engine: AsyncEngine, connections: int) -> None:
    """Leave *connections* idle connections in *engine*'s pool."""
    conns = [await engine.connect() for _ in range(connections)]
    for conn in conns:
        assert (await conn.exec_driver_sql("SELECT 1")).scalar_one() == 1
    for conn in conns:
        await conn.close()


def _unbounded_engine(proxy: FaultProxy, postgres_url: str) -> AsyncEngine:
    """An asyncpg engine through *proxy* whose round trips have no deadline (``0``)."""
    engine = create_async_engine(_asyncpg(proxy.url_for(postgres_url)), pool_size=2)
    bound_round_trips(engine.sync_engine, statement_s=0, ping_s=0)
    close_at_once(engine.sync_engine)
    return engine


async def test_each_close_sends_asyncpgs_terminate_to_the_server(
    proxy: FaultProxy, postgres_url: str
) -> None:
    """On a healthy server the closes are graceful, not forced (a forced one sends nothing)."""
    engine = _unbounded_engine(proxy, postgres_url)
    try:
        await _warm(engine, 2)
    finally:
        sent = proxy.stats().bytes_to_upstream
        await engine.dispose()
    await closes_settled()
    assert proxy.stats().bytes_to_upstream - sent == 2 * TERMINATE


async def test_a_close_on_a_frozen_server_ends_within_two_seconds_without_deadlines(
    proxy: FaultProxy, postgres_url: str
) -> None:
    engine = _unbounded_engine(proxy, postgres_url)
    try:
        await _warm(engine, 2)
        proxy.freeze()
    finally:
        started = time.monotonic()
        await engine.dispose()
    closes = _ours(asyncio.get_running_loop())
    await asyncio.wait_for(closes_settled(), HANG_S)  # unbounded: it never returned
    elapsed = time.monotonic() - started
    print(f"\nclose, frozen server, no deadlines: {elapsed:.2f} s")
    assert elapsed >= UNBOUNDED_CLOSE_S - 0.1  # graceful first: it waited for the bound
    assert len(closes) == 2
    # each cut close was forced quietly: nothing for the loop to report
    assert [task.exception() for task in closes] == [None, None]
    proxy.heal()
