"""Async sessions on in-memory SQLite take turns on its one connection.

The connection is the whole database. SQLAlchemy's default pool for it (``StaticPool``)
handed that connection to every session at once: a session that failed and rolled back
undid another session's flushed, uncommitted rows, and that session's commit then
reported success with its rows gone. Real aiosqlite; nothing is mocked.
"""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy.exc
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens import database

# Every spelling of an in-memory database: SQLite's own name, no path, and the URI
# filenames (``uri=true``) of an unnamed and of a named in-memory database
URLS = [
    "sqlite+aiosqlite:///:memory:",
    "sqlite+aiosqlite://",
    "sqlite+aiosqlite:///file::memory:?uri=true",
    "sqlite+aiosqlite:///file:notes?mode=memory&uri=true",
]


@pytest.fixture(params=URLS)
def url(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class _Base(DeclarativeBase):
    pass


class Note(_Base):
    __tablename__ = "memory_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(20))


async def _notes() -> list[str]:
    async with database.async_db_session() as session:
        return list((await session.scalars(select(Note.text).order_by(Note.id))).all())


async def _create(url: str) -> None:
    async with database.async_bind(url).begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)


async def test_a_failing_session_never_undoes_another_sessions_work(url: str) -> None:
    await _create(url)
    flushed = asyncio.Event()
    order: list[str] = []

    async def writer() -> None:
        async with database.async_db_session() as session:
            session.add(Note(id=1, text="kept"))
            await session.flush()
            flushed.set()
            await asyncio.sleep(0.1)
            order.append("writer commits")

    async def failing() -> None:
        await flushed.wait()
        try:
            async with database.async_db_session() as session:
                await session.execute(select(Note))
                order.append("other session runs")
                raise ValueError("handler failed")
        except ValueError:
            order.append("other session rolled back")

    await asyncio.gather(writer(), failing())
    # the other session waited its turn
    assert order == ["writer commits", "other session runs", "other session rolled back"]
    assert await _notes() == ["kept"]


async def test_concurrent_writers_all_commit(url: str) -> None:
    await _create(url)

    async def write(number: int) -> None:
        async with database.async_db_session() as session:
            session.add(Note(id=number, text=f"n{number}"))
            await session.flush()
            await asyncio.sleep(0.01)

    await asyncio.gather(*(write(n) for n in range(1, 6)))
    assert await _notes() == ["n1", "n2", "n3", "n4", "n5"]


async def test_a_session_opened_inside_another_times_out_and_loses_nothing(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """It waits for a connection the outer session holds: a pool timeout, not a lost row."""
    monkeypatch.setenv("DB_POOL_TIMEOUT", "0.3")
    await _create(url)
    async with database.async_db_session() as outer:
        outer.add(Note(id=1, text="outer"))
        await outer.flush()
        with pytest.raises(sqlalchemy.exc.TimeoutError):
            async with database.async_db_session() as inner:
                await inner.execute(select(Note))
    assert await _notes() == ["outer"]
