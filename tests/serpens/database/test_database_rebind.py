"""``async_bind()`` called again outside an event loop, after the engine served a loop.

A script or worker that runs one ``asyncio.run`` per job may bind again between jobs: no
loop runs then, and the connections of the replaced engine belong to a closed loop. They
are dropped without I/O (closing them would need their loop); nothing is logged as an
error, and the new engine serves the next loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest
from sqlalchemy import text

from serpens import database

pytestmark = pytest.mark.postgres


async def _one() -> int:
    async with database.async_db_session() as session:
        return int((await session.execute(text("SELECT 1"))).scalar_one())


@pytest.mark.filterwarnings(
    # the dropped connection's socket closes when collected
    "ignore:unclosed:ResourceWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
)
def test_the_replaced_engine_is_dropped_without_closing_on_a_dead_loop(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    database.async_bind(pg_url)
    assert asyncio.run(_one()) == 1
    with caplog.at_level(logging.ERROR):
        database.async_bind(pg_url)
        gc.collect()
    assert [record.getMessage() for record in caplog.records] == []
    try:
        assert asyncio.run(_one()) == 1
    finally:
        asyncio.run(database.get_async_engine().dispose(close=False))
        gc.collect()
