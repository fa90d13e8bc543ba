"""A streamed read (a server-side cursor) is bounded per round trip, like a statement.

``stream_results``/``yield_per`` (psycopg2's named cursor) and ``AsyncSession.stream``
(asyncpg's cursor) fetch their rows in batches, each a round trip of its own that no
``do_execute`` sees. A :class:`~serpens.testing.FaultProxy` freezes after the first
batch: the next fetch must end at ``DB_CLIENT_TIMEOUT_MS`` (plus a margin), with the
driver's error (``BackendTimeoutError`` under ``translate_errors()``), the connection
dropped, and the next session works once the proxy heals. A healthy stream slower, in
total, than the deadline is not cut: the deadline is per fetch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from serpens import database
from serpens.errors import BackendTimeoutError
from serpens.testing import FaultProxy
from serpens_sqlalchemy import translate_errors
from tests._postgres_probes import _proxy  # noqa: F401 - fixture
from tests.serpens.database._bounded import in_thread

DEADLINE_S = 0.5
BUDGET_S = DEADLINE_S + 1.0  # scheduling on a shared 2-core runner; unbounded: forever
HANG_S = 10.0  # where the test gives up on a call that is not bounded at all
ROWS = text("SELECT g FROM generate_series(1, 200000) AS g")
BATCH = 10


@pytest.fixture(name="proxied_url")
def _proxied_url(proxy: FaultProxy, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DB_CLIENT_TIMEOUT_MS", str(int(DEADLINE_S * 1000)))
    monkeypatch.setenv("DB_PING_TIMEOUT_MS", str(int(DEADLINE_S * 1000)))
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", "2")
    return proxy.url_for(pg_url)


def _in_thread(call: Callable[[], Any]) -> tuple[float, BaseException | None]:
    return in_thread(call, HANG_S, "a streamed fetch")


def test_psycopg2_a_frozen_stream_ends_at_the_deadline(proxy: FaultProxy, proxied_url: str) -> None:
    database.bind(proxied_url)

    def stream() -> None:
        with database.db_session() as session, translate_errors():
            options = {"stream_results": True, "max_row_buffer": BATCH}
            result = session.connection(execution_options=options).execute(ROWS)
            assert len(result.fetchmany(BATCH)) == BATCH
            proxy.freeze()
            while result.fetchmany(BATCH):
                pass

    elapsed, error = _in_thread(stream)
    print(f"\npsycopg2 frozen stream: {elapsed:.2f} s -> {type(error).__name__}")
    assert isinstance(error, BackendTimeoutError), repr(error)
    assert elapsed < BUDGET_S
    proxy.heal()
    with database.db_session() as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    assert database.get_engine().pool.checkedout() == 0  # type: ignore[attr-defined]


def test_psycopg2_a_slow_healthy_stream_is_not_cut(proxied_url: str) -> None:
    database.bind(proxied_url)
    with database.db_session() as session:
        result = session.execute(ROWS, execution_options={"yield_per": BATCH})
        for _ in range(4):  # 0.8 s in all, past the 0.5 s deadline; each fetch is fast
            assert len(result.fetchmany(BATCH)) == BATCH
            time.sleep(0.2)
        result.close()


async def test_asyncpg_a_frozen_stream_ends_at_the_deadline(
    proxy: FaultProxy, proxied_url: str
) -> None:
    database.async_bind(proxied_url)

    async def stream() -> None:
        async with database.async_db_session() as session:
            with translate_errors():
                result = await session.stream(ROWS.execution_options(yield_per=BATCH))
                async for _ in result.partitions(BATCH):
                    proxy.freeze()  # after the first batch

    started = time.monotonic()
    with pytest.raises(BackendTimeoutError) as raised:
        await asyncio.wait_for(stream(), HANG_S)
    elapsed = time.monotonic() - started
    print(f"\nasyncpg frozen stream: {elapsed:.2f} s -> {type(raised.value).__name__}")
    assert elapsed < BUDGET_S
    proxy.heal()
    async with database.async_db_session() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    assert database.get_async_engine().pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_asyncpg_a_slow_healthy_stream_is_not_cut(proxied_url: str) -> None:
    database.async_bind(proxied_url)
    async with database.async_db_session() as session:
        result = await session.stream(ROWS.execution_options(yield_per=BATCH))
        seen = 0
        async for part in result.partitions(BATCH):
            seen += len(part)
            if seen >= 4 * BATCH:
                break
            await asyncio.sleep(0.2)  # 0.6 s in all, past the deadline; each fetch is fast
        await result.close()
