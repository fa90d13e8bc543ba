"""Session factories and helpers on SQLite (pysqlite, aiosqlite) and PostgreSQL (both drivers)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import Integer, String, create_engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens import database

# Imported before any bind(): these names must keep working once bound.
from serpens.database import (
    AsyncSessionLocal,
    SessionLocal,
    _sessions,
    async_bind,
    async_db_session,
    async_dispose,
    bind,
    db_session,
    dispose,
    fastapi_async_session,
    fastapi_session,
    get_async_engine,
    get_engine,
)
from serpens.errors import ConfigurationError, ConflictError, NotInitializedError


class Model(DeclarativeBase):
    pass


class Note(Model):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(String(50))


class BoomError(Exception):
    pass


@pytest.fixture(name="sqlite_url")
def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'notes.db'}"


@pytest.fixture(
    name="backend_url", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def _backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'notes.db'}"
    return str(request.getfixturevalue("fresh_pg_url"))


@pytest.fixture(name="sync_db")
def _sync_db(backend_url: str) -> str:
    engine = bind(backend_url)
    Model.metadata.create_all(engine)
    return backend_url


@pytest.fixture(name="async_db")
async def _async_db(backend_url: str) -> str:
    engine = async_bind(backend_url)
    async with engine.begin() as connection:
        await connection.run_sync(Model.metadata.create_all)
    return backend_url


def _fail_inside_db_session(body: str) -> None:
    with db_session() as session:
        session.add(Note(body=body))
        session.flush()
        raise BoomError


async def _fail_inside_async_db_session(body: str) -> None:
    async with async_db_session() as session:
        session.add(Note(body=body))
        await session.flush()
        raise BoomError


def _bodies() -> list[str]:
    with SessionLocal() as session:
        return list(session.scalars(select(Note.body).order_by(Note.id)))


async def _async_bodies() -> list[str]:
    async with AsyncSessionLocal() as session:
        return list(await session.scalars(select(Note.body).order_by(Note.id)))


class TestUnbound:
    def test_opening_a_session_before_bind_says_to_call_bind(self) -> None:
        with pytest.raises(ConfigurationError, match=r"call serpens\.database\.bind\(\)"):
            SessionLocal()
        with pytest.raises(ConfigurationError, match=r"DATABASE_URL is not set"), db_session():
            pass
        with pytest.raises(ConfigurationError, match=r"bind\(\)"):
            get_engine()

    def test_use_before_bind_is_a_runtime_error_as_in_2_9(self) -> None:
        for call in (SessionLocal, AsyncSessionLocal, get_engine, get_async_engine):
            with pytest.raises(RuntimeError) as raised:
                call()
            assert isinstance(raised.value, NotInitializedError)
            assert isinstance(raised.value, ConfigurationError)

    async def test_opening_an_async_session_before_bind_says_to_call_async_bind(self) -> None:
        with pytest.raises(ConfigurationError, match=r"call serpens\.database\.async_bind\(\)"):
            AsyncSessionLocal()
        with pytest.raises(ConfigurationError, match=r"DATABASE_URL is not set.*async_bind"):
            async with async_db_session():
                pass
        with pytest.raises(ConfigurationError, match=r"async_bind\(\)"):
            get_async_engine()

    def test_a_session_given_its_own_engine_opens_before_bind(self, sqlite_url: str) -> None:
        engine = create_engine(sqlite_url)
        try:
            with SessionLocal(bind=engine) as session:
                assert session.execute(text("select 1")).scalar() == 1
        finally:
            engine.dispose()

    async def test_an_async_session_given_its_own_engine_opens_before_async_bind(
        self, tmp_path: Path
    ) -> None:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'own.db'}")
        try:
            async with AsyncSessionLocal(bind=engine) as session:
                assert (await session.execute(text("select 1"))).scalar() == 1
        finally:
            await engine.dispose()

    def test_dispose_unbinds_again(self, sqlite_url: str) -> None:
        bind(sqlite_url)
        SessionLocal().close()
        dispose()
        with pytest.raises(ConfigurationError):
            SessionLocal()


class TestSyncSessions:
    def test_factory_imported_before_bind_works_after_it(self, sync_db: str) -> None:
        assert SessionLocal is database.SessionLocal
        with SessionLocal() as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1

    def test_sessions_do_not_autoflush_or_expire_on_commit(self, sync_db: str) -> None:
        with SessionLocal() as session:
            assert session.autoflush is False
            note = Note(body="pending")
            session.add(note)
            assert session.scalars(select(Note)).all() == []  # no autoflush
            session.commit()
            assert "body" in note.__dict__  # still loaded: not expired

    def test_db_session_commits_on_success(self, sync_db: str) -> None:
        with db_session() as session:
            session.add(Note(body="kept"))
        assert _bodies() == ["kept"]

    def test_db_session_rolls_back_on_error_and_reraises(self, sync_db: str) -> None:
        with pytest.raises(BoomError):
            _fail_inside_db_session("lost")
        assert _bodies() == []

    def test_db_session_always_closes(self, sync_db: str) -> None:
        pool = get_engine().pool
        with db_session() as session:
            session.execute(text("SELECT 1"))
            assert pool.checkedout() == 1  # type: ignore[attr-defined]
        assert pool.checkedout() == 0  # type: ignore[attr-defined]
        with pytest.raises(BoomError):
            _fail_inside_db_session("lost")
        assert pool.checkedout() == 0  # type: ignore[attr-defined]

    def test_rebinding_replaces_the_engine_and_its_options(self, sync_db: str) -> None:
        first = get_engine()
        second = bind(sync_db, echo=True)
        assert second is not first
        assert get_engine() is second
        assert second.echo is True
        with SessionLocal() as session:
            assert session.get_bind() is second


class TestAsyncSessions:
    async def test_async_db_session_commits_rolls_back_and_closes(self, async_db: str) -> None:
        async with async_db_session() as session:
            session.add(Note(body="kept"))
        with pytest.raises(BoomError):
            await _fail_inside_async_db_session("lost")
        assert await _async_bodies() == ["kept"]
        assert get_async_engine().pool.checkedout() == 0  # type: ignore[attr-defined]

    async def test_async_sessions_do_not_expire_on_commit(self, async_db: str) -> None:
        async with AsyncSessionLocal() as session:
            note = Note(body="fresh")
            session.add(note)
            await session.commit()
            assert note.body == "fresh"  # no lazy load (that would need the greenlet)

    async def test_async_bind_again_inside_a_running_loop(self, async_db: str) -> None:
        first = get_async_engine()
        second = async_bind(async_db)
        assert second is not first
        await asyncio.sleep(0)  # let the old engine's disposal run
        assert await _async_bodies() == []
        await async_dispose()
        # it waited for the replaced engine's disposal too: nothing of it outlives the loop
        assert not [t for t in _sessions._pending_disposals if not t.done()]

    async def test_async_dispose_waits_for_a_replaced_engine_still_closing(
        self, async_db: str
    ) -> None:
        first = get_async_engine()
        async with first.connect() as one, first.connect() as other:  # two to close later
            await one.exec_driver_sql("select 1")
            await other.exec_driver_sql("select 1")
        async_bind(async_db)
        disposals = set(_sessions._pending_disposals)
        assert disposals
        assert not any(task.done() for task in disposals)  # it has not started yet
        await async_dispose()
        assert all(task.done() for task in disposals)


class TestSQLiteFlavours:
    def test_sync_in_memory_sqlite(self) -> None:
        engine = bind("sqlite://")
        Model.metadata.create_all(engine)
        with db_session() as session:
            session.add(Note(body="mem"))
        assert _bodies() == ["mem"]

    async def test_async_in_memory_sqlite(self) -> None:
        engine = async_bind("sqlite://")
        async with engine.begin() as connection:
            await connection.run_sync(Model.metadata.create_all)
        async with async_db_session() as session:
            session.add(Note(body="mem"))
        assert await _async_bodies() == ["mem"]

    async def test_async_sqlite_uses_aiosqlite(self, sqlite_url: str) -> None:
        engine = async_bind(sqlite_url)
        assert engine.url.drivername == "sqlite+aiosqlite"
        async with engine.begin() as connection:
            await connection.run_sync(Model.metadata.create_all)
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one()
        assert foreign_keys == 1
        async with async_db_session() as session:
            session.add(Note(body="async"))
        assert await _async_bodies() == ["async"]


class TestFastAPI:
    async def test_fastapi_session_dependency(self, sync_db: str) -> None:
        app = FastAPI()

        @app.post("/notes/{body}")
        def create(body: str, db: Annotated[Session, Depends(fastapi_session)]) -> dict[str, int]:
            note = Note(body=body)
            db.add(note)
            db.commit()
            return {"id": note.id}

        @app.get("/fail")
        def fail(db: Annotated[Session, Depends(fastapi_session)]) -> None:
            db.add(Note(body="never"))
            db.flush()
            raise BoomError

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.post("/notes/hello")).json() == {"id": 1}
            assert (await client.get("/fail")).status_code == 500
        assert _bodies() == ["hello"]
        assert get_engine().pool.checkedout() == 0  # type: ignore[attr-defined]

    async def test_fastapi_async_session_dependency(self, async_db: str) -> None:
        app = FastAPI()

        @app.post("/notes/{body}")
        async def create(
            body: str, db: Annotated[AsyncSession, Depends(fastapi_async_session)]
        ) -> dict[str, int]:
            note = Note(body=body)
            db.add(note)
            await db.commit()
            return {"id": note.id}

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/notes/async")
        assert response.json() == {"id": 1}
        assert await _async_bodies() == ["async"]


class TestSQLiteTransactions:
    """A savepoint released first thing must not commit the outer transaction."""

    def test_outer_rollback_undoes_a_released_savepoint(self, sqlite_url: str) -> None:
        Model.metadata.create_all(bind(sqlite_url))
        with SessionLocal() as session:
            with session.begin_nested():
                session.add(Note(body="inner"))
            session.rollback()
        assert _bodies() == []

    async def test_outer_rollback_undoes_a_released_savepoint_async(self, sqlite_url: str) -> None:
        engine = async_bind(sqlite_url)
        async with engine.begin() as connection:
            await connection.run_sync(Model.metadata.create_all)
        async with AsyncSessionLocal() as session:
            async with session.begin_nested():
                session.add(Note(body="inner"))
            await session.rollback()
        assert await _async_bodies() == []

    def test_a_rolled_back_savepoint_keeps_the_outer_work(self, sqlite_url: str) -> None:
        Model.metadata.create_all(bind(sqlite_url))
        with db_session() as session:
            session.add(Note(body="outer"))
            session.flush()
            savepoint = session.begin_nested()
            session.add(Note(body="inner"))
            session.flush()
            savepoint.rollback()
        assert _bodies() == ["outer"]


class UniqueNote(Model):
    __tablename__ = "unique_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(String(50), unique=True)


class TestCommitTimeErrors:
    """Writes left pending are flushed by the commit: its failures are serpens errors too."""

    def test_db_session_commit_conflict_is_a_conflict_error(self, sync_db: str) -> None:
        from serpens_sqlalchemy import SQLAlchemyRepository  # noqa: PLC0415

        with db_session() as session:
            session.add(UniqueNote(id=1, body="taken"))
        with pytest.raises(ConflictError) as info, db_session() as session:
            SQLAlchemyRepository(session, UniqueNote).add(
                UniqueNote(id=2, body="taken"), flush=False
            )
        assert isinstance(info.value.__cause__, IntegrityError)
        with SessionLocal() as session:  # rolled back: nothing half-written, the pool is fine
            assert session.scalars(select(UniqueNote.body)).all() == ["taken"]
        assert get_engine().pool.checkedout() == 0  # type: ignore[attr-defined]

    async def test_async_db_session_commit_conflict_is_a_conflict_error(
        self, async_db: str
    ) -> None:
        from serpens_sqlalchemy import AsyncSQLAlchemyRepository  # noqa: PLC0415

        async with async_db_session() as session:
            session.add(UniqueNote(id=1, body="taken"))

        async def add_unflushed() -> None:
            async with async_db_session() as session:
                repo = AsyncSQLAlchemyRepository(session, UniqueNote)
                await repo.add(UniqueNote(id=2, body="taken"), flush=False)

        with pytest.raises(ConflictError):
            await add_unflushed()
        async with AsyncSessionLocal() as session:
            assert (await session.scalars(select(UniqueNote.body))).all() == ["taken"]
