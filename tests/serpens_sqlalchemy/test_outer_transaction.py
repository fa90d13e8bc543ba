"""A repository on a session bound to the caller's transaction never rolls that transaction back.

The pattern of test fixtures and of code that composes its own transaction: begin on a
``Connection``, bind a ``Session`` to it, write through a repository. A failed first write
used to take the "first write of an untouched session" shortcut and roll the session back,
which rolled back the caller's outer transaction (its earlier work lost) while later writes
went on in a new one. Real servers: PostgreSQL (psycopg2, asyncpg) and SQLite.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConflictError
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository
from tests.serpens_sqlalchemy._engines import async_engine_with_tables, engine_with_tables


class _Base(DeclarativeBase):
    pass


class Ledger(_Base):
    __tablename__ = "outer_tx_ledger"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)


def _codes(conn: sa.Connection) -> list[str]:
    return list(conn.scalars(sa.select(Ledger.code).order_by(Ledger.code)))


@pytest.fixture(name="sync_engine", params=["psycopg2", "sqlite"])
def _sync_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    yield from engine_with_tables(request, tmp_path, _Base.metadata)


def test_a_failed_first_write_keeps_the_callers_transaction(sync_engine: sa.Engine) -> None:
    with sync_engine.connect() as conn:
        outer = conn.begin()
        conn.execute(sa.insert(Ledger), [{"id": 1, "code": "earlier"}])  # the caller's work
        session = Session(bind=conn, autoflush=False, expire_on_commit=False)
        repo = SQLAlchemyRepository(session, Ledger)
        with pytest.raises(ConflictError):
            repo.add(Ledger(id=2, code="earlier"))  # the session's first write fails
        assert _codes(conn) == ["earlier"]  # the outer transaction is intact
        repo.add(Ledger(id=3, code="later"))
        assert outer.is_active
        outer.rollback()  # the caller decides: everything goes, later writes included
        assert _codes(conn) == []
        session.close()


def test_a_model_bound_to_the_callers_connection_keeps_its_transaction(
    sync_engine: sa.Engine,
) -> None:
    """The same through ``Session(binds={Model: conn})``: the model's bind is what counts."""
    with sync_engine.connect() as conn:
        outer = conn.begin()
        conn.execute(sa.insert(Ledger), [{"id": 1, "code": "earlier"}])
        session = Session(binds={Ledger: conn}, autoflush=False, expire_on_commit=False)
        repo = SQLAlchemyRepository(session, Ledger)
        with pytest.raises(ConflictError):
            repo.add(Ledger(id=2, code="earlier"))
        assert _codes(conn) == ["earlier"]
        assert outer.is_active
        outer.rollback()
        session.close()


@pytest.fixture(name="asyncpg_engine")
async def _asyncpg_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    async for engine in async_engine_with_tables(_Base.metadata, postgres_url=postgres_url):
        yield engine


async def test_async_a_failed_first_write_keeps_the_callers_transaction(
    asyncpg_engine: AsyncEngine,
) -> None:
    async with asyncpg_engine.connect() as conn:
        outer = await conn.begin()
        await conn.execute(sa.insert(Ledger), [{"id": 1, "code": "earlier"}])
        session = AsyncSession(bind=conn, autoflush=False, expire_on_commit=False)
        repo = AsyncSQLAlchemyRepository(session, Ledger)
        with pytest.raises(ConflictError):
            await repo.bulk_insert([{"id": 2, "code": "earlier"}])
        assert await conn.run_sync(_codes) == ["earlier"]
        await repo.add(Ledger(id=3, code=f"later-{uuid.uuid4().hex[:4]}"))
        assert outer.is_active
        await outer.commit()  # the caller commits: its work and the later write, not the failed one
        assert len(await conn.run_sync(_codes)) == 2
        await session.close()


async def test_async_a_model_bound_to_the_callers_connection_keeps_its_transaction(
    asyncpg_engine: AsyncEngine,
) -> None:
    async with asyncpg_engine.connect() as conn:
        outer = await conn.begin()
        await conn.execute(sa.insert(Ledger), [{"id": 1, "code": "earlier"}])
        session = AsyncSession(binds={Ledger: conn}, autoflush=False, expire_on_commit=False)
        repo = AsyncSQLAlchemyRepository(session, Ledger)
        with pytest.raises(ConflictError):
            await repo.add(Ledger(id=2, code="earlier"))
        assert await conn.run_sync(_codes) == ["earlier"]
        row = await repo.upsert({"id": 4, "code": "later"}, conflict_on=["code"])
        assert (row.id, await conn.run_sync(_codes)) == (4, ["earlier", "later"])
        assert outer.is_active
        await outer.rollback()
        await session.close()
