"""``LoopBoundAsyncPool``: a pooled connection serves its own event loop, and only that one.

``tests/serpens/database/test_loop_per_job.py`` shows that jobs, each on a loop of its
own, all succeed; these pin the two halves of that promise on the pool itself, from the first
mutation round of ``serpens_sqlalchemy/_pool.py``: a loop gets its own connection back from
the pool at its next checkout (a pool that replaced every pooled connection still let every
job succeed, opening one connection per checkout and leaking the old one), and a later loop
never gets an earlier loop's connection, whichever loop asks. Also that the pool keeps
the limits it is given (one that dropped its keyword arguments took SQLAlchemy's defaults,
and every job still succeeded). Real servers: PostgreSQL through asyncpg, SQLite through
aiosqlite; the connections the pool opens are counted with SQLAlchemy's ``connect`` event.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens_sqlalchemy._pool import LoopBoundAsyncPool

pytestmark = pytest.mark.filterwarnings(
    # a connection of a closed loop is dropped without I/O; its socket closes when collected
    "ignore:unclosed:ResourceWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
)


class _Counted:
    """An async engine on the loop-bound pool, and how many connections it has opened."""

    def __init__(self, url: str) -> None:
        # no overflow, and a checkout waits 0.2 s for a connection, not SQLAlchemy's 30 s
        self.engine: AsyncEngine = create_async_engine(
            url,
            poolclass=LoopBoundAsyncPool,
            pool_size=2,
            max_overflow=0,
            pool_timeout=0.2,
        )
        self.opened = 0
        event.listen(self.engine.sync_engine, "connect", self._count)

    def _count(self, _dbapi_connection: Any, _record: Any) -> None:
        self.opened += 1

    async def checkout(self) -> Any:
        """The driver connection one checkout hands out, after a statement on it."""
        async with self.engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
            raw = await conn.get_raw_connection()
            return raw.driver_connection


@pytest.fixture(name="pool", params=["asyncpg", "aiosqlite"])
def _pool(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[_Counted]:
    if request.param == "aiosqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}"
    else:
        postgres_url: str = request.getfixturevalue("postgres_url")
        url = "postgresql+asyncpg://" + postgres_url.split("://", 1)[1]
    counted = _Counted(url)
    yield counted
    # the last loop is closed: drop its pooled connections without I/O, and collect every
    # dropped connection now, under this module's filters (see test_loop_per_job.py)
    asyncio.run(counted.engine.dispose(close=False))
    gc.collect()


def test_a_loop_gets_its_own_pooled_connection_back(pool: _Counted) -> None:
    async def twice() -> bool:
        try:
            first = await pool.checkout()
            second = await pool.checkout()
            return first is second
        finally:
            await pool.engine.dispose()  # on the connections' own loop: closed properly

    assert asyncio.run(twice()) is True
    assert pool.opened == 1


def test_each_loop_opens_its_own_connection_and_reuses_it(pool: _Counted) -> None:
    async def job() -> bool:
        first = await pool.checkout()
        second = await pool.checkout()
        return first is second

    for number in range(1, 4):
        assert asyncio.run(job()) is True  # an earlier loop's connection would raise here
        assert pool.opened == number


def test_the_pool_keeps_the_limits_it_is_given(pool: _Counted) -> None:
    async def a_third_while_two_are_held() -> None:
        try:
            async with pool.engine.connect() as one, pool.engine.connect() as two:
                await one.execute(text("SELECT 1"))
                await two.execute(text("SELECT 1"))
                with pytest.raises(PoolTimeoutError):  # pool_size=2, max_overflow=0
                    async with pool.engine.connect():
                        pass
        finally:
            await pool.engine.dispose()

    asyncio.run(a_third_while_two_are_held())
    assert pool.opened == 2
