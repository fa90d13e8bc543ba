"""One ``asyncio.run`` per job on the process's async engine: every job works.

Scripts and workers run a new event loop per job while ``async_bind()``'s engine (and its
pool) lives for the process. Connections opened on an earlier loop must never be handed
to a later one; before the fix, half of 30 jobs failed with a raw ``RuntimeError``.
Real servers: PostgreSQL through asyncpg, SQLite through aiosqlite.
"""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens import database
from serpens_sqlalchemy import AsyncSQLAlchemyRepository

JOBS = 30


class _Base(DeclarativeBase):
    pass


class Job(_Base):
    __tablename__ = "loop_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


@pytest.fixture(name="url", params=["asyncpg", "aiosqlite"])
def _url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "aiosqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return str(request.getfixturevalue("fresh_pg_url"))


@pytest.mark.filterwarnings(
    # a connection of a closed loop is dropped without I/O; its socket closes when collected
    "ignore:unclosed:ResourceWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
)
def test_every_job_on_its_own_loop_succeeds(url: str) -> None:
    engine = database.async_bind(url)

    async def create() -> None:
        async with engine.begin() as conn:
            await conn.run_sync(_Base.metadata.create_all)

    async def job(number: int) -> int:
        # two sessions at once: the pool holds several connections of this loop
        async with database.async_db_session() as one, database.async_db_session() as two:
            await AsyncSQLAlchemyRepository(one, Job).add(Job(id=number, name=f"job{number}"))
            return len((await two.scalars(select(Job.id))).all())

    async def stored() -> int:
        async with database.async_db_session() as session:
            return await AsyncSQLAlchemyRepository(session, Job).count()

    try:
        asyncio.run(create())
        failures: list[BaseException] = []
        for number in range(1, JOBS + 1):
            try:
                asyncio.run(job(number))
            except Exception as exc:
                failures.append(exc)
        assert failures == []
        assert asyncio.run(stored()) == JOBS
    finally:
        # asyncpg: the pool still holds the last job's connections, of a closed loop: drop
        # them without I/O, then collect every dropped connection here (they sit in
        # reference cycles), under this test's filters, not in whichever later test the
        # collector next runs (asyncpg 0.29 left two for a later test's ResourceWarning).
        # aiosqlite's connections need no loop to close: the teardown's dispose does it.
        if url.startswith("postgres"):
            asyncio.run(engine.dispose(close=False))
        gc.collect()


@pytest.mark.filterwarnings(
    "ignore:unclosed:ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)
@pytest.mark.parametrize("kind", ["asyncpg", "aiosqlite", "memory"])
def test_jobs_whose_sessions_wait_for_a_connection_succeed_on_every_loop(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One connection, three sessions at once, per job: the later two wait for it.

    The pool's queue used to bind to the first loop that waited on it, so the second
    job's waits raised ``RuntimeError("... is bound to a different event loop")``.
    """
    monkeypatch.setenv("DB_POOL_SIZE", "1")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "0")
    urls = {"aiosqlite": f"sqlite:///{tmp_path / 'wait.db'}", "memory": "sqlite:///:memory:"}
    url = urls.get(kind) or str(request.getfixturevalue("fresh_pg_url"))
    engine = database.async_bind(url)

    async def create() -> None:
        async with engine.begin() as conn:
            await conn.run_sync(_Base.metadata.create_all)

    async def add(number: int) -> None:
        async with database.async_db_session() as session:
            await AsyncSQLAlchemyRepository(session, Job).add(Job(id=number, name=f"j{number}"))
            await asyncio.sleep(0.02)  # hold the connection while the others wait

    async def job(first: int) -> None:
        await asyncio.gather(*(add(first + n) for n in range(3)))

    async def stored() -> list[int]:
        async with database.async_db_session() as session:
            return sorted((await session.scalars(select(Job.id))).all())

    try:
        asyncio.run(create())
        for first in (10, 20, 30):
            asyncio.run(job(first))
        assert asyncio.run(stored()) == [10, 11, 12, 20, 21, 22, 30, 31, 32]
    finally:
        if kind == "asyncpg":
            asyncio.run(engine.dispose(close=False))
        gc.collect()
