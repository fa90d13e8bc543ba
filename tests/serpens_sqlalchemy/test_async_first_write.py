"""The first write of an untouched ``AsyncSession`` (no savepoint, any failure surfaces); paginate.

That write runs in the transaction it begins and rolls the session back on failure
instead of taking a savepoint (``_FirstWrite``). A failure the adapter does not map (an
error raised by the caller's own ``before_insert`` hook during the flush) must still
propagate unchanged, never be swallowed as if the row were written. ``paginate`` of a
custom statement counts and pages that statement (the sync twin's test runs on SQLite).
Real servers: PostgreSQL (asyncpg) and SQLite (aiosqlite).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens_sqlalchemy import AsyncSQLAlchemyRepository
from tests.serpens_sqlalchemy._engines import async_engine_with_tables, sent_statements


class _Base(DeclarativeBase):
    pass


class Note(_Base):
    __tablename__ = "async_first_write_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(sa.String(20))


class HookError(Exception):
    """Raised by the caller's own flush hook: not a database failure."""


@sa.event.listens_for(Note, "before_insert")
def _refuse_marked(_mapper: Any, _conn: Any, target: Note) -> None:
    if target.text == "refused":
        raise HookError(target.text)


@pytest.fixture(name="engine", params=["asyncpg", "aiosqlite"])
async def _engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "aiosqlite":
        engines = async_engine_with_tables(_Base.metadata, sqlite_path=tmp_path / "notes.db")
    else:
        url: str = request.getfixturevalue("postgres_url")
        engines = async_engine_with_tables(_Base.metadata, postgres_url=url)
    async for engine in engines:
        yield engine


async def test_a_first_write_skips_the_savepoint_and_later_writes_use_one(
    engine: AsyncEngine,
) -> None:
    statements = sent_statements(engine.sync_engine)
    async with AsyncSession(engine, autoflush=False, expire_on_commit=False) as sess:
        repo = AsyncSQLAlchemyRepository(sess, Note)
        await repo.add(Note(text="a"))
        assert not [s for s in statements if "SAVEPOINT" in s]
        await repo.add(Note(text="b"))
        assert [s.split()[0] for s in statements if "SAVEPOINT" in s] == ["SAVEPOINT", "RELEASE"]


async def test_an_unmapped_failure_of_the_first_flush_propagates(engine: AsyncEngine) -> None:
    async with AsyncSession(engine, autoflush=False, expire_on_commit=False) as sess:
        repo = AsyncSQLAlchemyRepository(sess, Note)
        with pytest.raises(HookError):
            await repo.add(Note(text="refused"))
        assert not sess.in_transaction()  # rolled back whole: nothing else was there
        await repo.add(Note(text="kept"))
        await sess.commit()
        assert [n.text for n in await repo.list()] == ["kept"]


async def test_paginate_runs_a_custom_statement_with_its_true_total(engine: AsyncEngine) -> None:
    async with AsyncSession(engine, autoflush=False, expire_on_commit=False) as sess:
        repo = AsyncSQLAlchemyRepository(sess, Note)
        await repo.bulk_add([Note(text=t) for t in "abcabc"])
        stmt = repo.query.where(Note.text != "b")
        page = await repo.paginate(stmt, page=2, size=3, order_by="-text")
        assert (page.total, page.pages, [n.text for n in page.items]) == (4, 2, ["a"])
