"""Mismatched wiring is a ConfigurationError at construction, never a silent no-op.

The defect: a sync ``Repository`` given an ``AsyncSession`` built coroutines nobody awaited,
so ``add()`` wrote nothing and raised nothing. Each mismatch below is tried against real
engines (SQLite and PostgreSQL, both drivers), and the accepted shapes still write.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_scoped_session,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    scoped_session,
    sessionmaker,
)

from serpens.errors import ConfigurationError, ValidationError
from serpens.fakes import AsyncInMemoryRepository, InMemoryRepository
from serpens_sqlalchemy import (
    AsyncPostgresQueue,
    AsyncRepository,
    PostgresQueue,
    Repository,
    configure_sqlite,
)


class Base(DeclarativeBase):
    pass


class Gadget(Base):
    __tablename__ = "mismatch_gadgets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))


class GadgetRepo(Repository[Gadget]):
    model = Gadget


class AsyncGadgetRepo(AsyncRepository[Gadget]):
    model = Gadget


@dataclass
class Engines:
    sync: sa.Engine
    asynchronous: AsyncEngine

    def count(self) -> int:
        with self.sync.connect() as connection:
            return int(connection.scalar(sa.select(sa.func.count()).select_from(Gadget)) or 0)


@pytest.fixture(
    name="engines", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def _engines(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engines]:
    if request.param == "sqlite":
        path = tmp_path / "gadgets.db"
        sync = sa.create_engine(f"sqlite:///{path}")
        configure_sqlite(sync)
        asynchronous = create_async_engine(f"sqlite+aiosqlite:///{path}")
    else:
        url = sa.engine.make_url(str(request.getfixturevalue("postgres_url")))
        sync = sa.create_engine(url.set(drivername="postgresql+psycopg2"))
        asynchronous = create_async_engine(url.set(drivername="postgresql+asyncpg"))
    Base.metadata.drop_all(sync)
    Base.metadata.create_all(sync)
    yield Engines(sync, asynchronous)
    Base.metadata.drop_all(sync)
    sync.dispose()
    await asynchronous.dispose()  # on the loop its connections were opened on


@pytest.fixture(name="async_sess")
async def _async_sess(engines: Engines) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engines.asynchronous) as sess:
        yield sess


class TestSyncRepository:
    async def test_an_async_session_is_refused_and_nothing_is_silently_lost(
        self, engines: Engines, async_sess: AsyncSession
    ) -> None:
        with pytest.raises(ConfigurationError) as caught:
            GadgetRepo(async_sess)
        message = str(caught.value)
        assert "GadgetRepo needs a sqlalchemy.orm.Session" in message
        assert "given an AsyncSession" in message
        assert "use AsyncRepository" in message
        assert engines.count() == 0

    @pytest.mark.parametrize(
        ("make", "shown"),
        [
            (lambda e: sessionmaker(e.sync), "a session factory (sessionmaker)"),
            (lambda e: e.sync, "an Engine"),
            (lambda e: e.asynchronous, "an AsyncEngine"),
            (lambda e: None, "a NoneType"),
            (lambda e: "sqlite://", "a str"),  # a URL where the session goes
            (lambda e: Gadget, "the class Gadget"),
        ],
    )
    def test_anything_but_a_session_is_refused(
        self, engines: Engines, make: Any, shown: str
    ) -> None:
        with pytest.raises(ConfigurationError, match=re.escape(f"given {shown}")):
            GadgetRepo(make(engines))

    def test_a_connection_is_refused(self, engines: Engines) -> None:
        with (
            engines.sync.connect() as connection,
            pytest.raises(ConfigurationError, match="given a Connection"),
        ):
            GadgetRepo(connection)

    def test_a_scoped_session_is_refused_and_what_it_holds_works(self, engines: Engines) -> None:
        scoped = scoped_session(sessionmaker(engines.sync))
        with pytest.raises(ConfigurationError, match=re.escape("Repo(scoped())")):
            GadgetRepo(scoped)
        GadgetRepo(scoped()).add(Gadget(name="scoped"))
        scoped.commit()
        scoped.remove()
        with Session(engines.sync) as sess:
            GadgetRepo(sess).add(Gadget(name="plain"))
            sess.commit()
        assert engines.count() == 2


class TestAsyncRepository:
    def test_a_sync_session_is_refused(self, engines: Engines) -> None:
        with Session(engines.sync) as sess, pytest.raises(ConfigurationError) as caught:
            AsyncGadgetRepo(sess)
        message = str(caught.value)
        assert "AsyncGadgetRepo needs an AsyncSession" in message
        assert "given a Session" in message
        assert "use Repository" in message

    async def test_a_factory_an_engine_or_a_sync_scoped_session_is_refused(
        self, engines: Engines
    ) -> None:
        with pytest.raises(ConfigurationError, match=r"async_sessionmaker.*AsyncSessionLocal\(\)"):
            AsyncGadgetRepo(async_sessionmaker(engines.asynchronous))
        with pytest.raises(ConfigurationError, match="given an AsyncEngine"):
            AsyncGadgetRepo(engines.asynchronous)
        with pytest.raises(ConfigurationError, match="given a scoped_session"):
            AsyncGadgetRepo(scoped_session(sessionmaker(engines.sync)))
        async with engines.asynchronous.connect() as connection:
            with pytest.raises(ConfigurationError, match="given an AsyncConnection"):
                AsyncGadgetRepo(connection)

    async def test_an_async_scoped_session_is_refused_and_what_it_holds_works(
        self, engines: Engines, async_sess: AsyncSession
    ) -> None:
        scoped = async_scoped_session(
            async_sessionmaker(engines.asynchronous), scopefunc=asyncio.current_task
        )
        with pytest.raises(ConfigurationError, match="given an async_scoped_session"):
            AsyncGadgetRepo(scoped)
        await AsyncGadgetRepo(scoped()).add(Gadget(name="scoped"))
        await scoped.commit()
        await scoped.remove()
        await AsyncGadgetRepo(async_sess).add(Gadget(name="plain"))
        await async_sess.commit()
        assert engines.count() == 2


class TestFakes:
    def test_a_fake_given_a_session_says_it_needs_none(self, engines: Engines) -> None:
        with Session(engines.sync) as sess:
            with pytest.raises(ConfigurationError, match="the fake needs no SQLAlchemy session"):
                InMemoryRepository(sess)  # type: ignore[arg-type]
            with pytest.raises(ConfigurationError, match="the fake needs no SQLAlchemy session"):
                AsyncInMemoryRepository(sess)  # type: ignore[arg-type]
            with pytest.raises(ConfigurationError, match="needs an InMemoryDatabase"):
                InMemoryRepository(Gadget, database=sess)  # type: ignore[arg-type]


class TestQueueAndSqliteHelpers:
    @pytest.mark.postgres
    def test_postgres_queue_refuses_an_async_engine(self, postgres_url: str) -> None:
        url = sa.engine.make_url(postgres_url).set(drivername="postgresql+asyncpg")
        engine = create_async_engine(url)
        with pytest.raises(ConfigurationError, match=r"given an AsyncEngine.*AsyncPostgresQueue"):
            PostgresQueue(engine, "jobs")  # type: ignore[arg-type]
        asyncio.run(engine.dispose())

    def test_async_postgres_queue_refuses_sync_and_sqlite_engines(self, tmp_path: Path) -> None:
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'q.db'}")
        with pytest.raises(ConfigurationError, match=r"needs a sqlalchemy AsyncEngine.*Engine"):
            AsyncPostgresQueue(engine, "jobs")  # type: ignore[arg-type]
        engine.dispose()
        async_engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
        with pytest.raises(ConfigurationError, match=r"needs a PostgreSQL engine.*'sqlite'"):
            AsyncPostgresQueue(async_engine, "jobs")
        asyncio.run(async_engine.dispose())

    @pytest.mark.postgres
    def test_postgres_queues_refuse_a_deadline_that_is_not_positive(
        self, postgres_url: str
    ) -> None:
        url = sa.engine.make_url(postgres_url)
        engine = sa.create_engine(url.set(drivername="postgresql+psycopg2"))
        async_engine = create_async_engine(url.set(drivername="postgresql+asyncpg"))
        with pytest.raises(ValidationError, match="deadline must be a positive"):
            PostgresQueue(engine, "jobs", deadline=0)
        with pytest.raises(ValidationError, match="deadline must be a positive"):
            AsyncPostgresQueue(async_engine, "jobs", deadline=-1.0)
        engine.dispose()
        asyncio.run(async_engine.dispose())

    def test_postgres_queue_refuses_sqlite_and_sessions(self, tmp_path: Path) -> None:
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'q.db'}")
        with pytest.raises(ConfigurationError, match=r"needs a PostgreSQL engine.*'sqlite'"):
            PostgresQueue(engine, "jobs")
        with Session(engine) as sess, pytest.raises(ConfigurationError, match="given a Session"):
            PostgresQueue(sess, "jobs")  # type: ignore[arg-type]
        engine.dispose()

    @pytest.mark.postgres
    def test_configure_sqlite_refuses_a_postgresql_engine(self, postgres_url: str) -> None:
        engine = sa.create_engine(
            sa.engine.make_url(postgres_url).set(drivername="postgresql+psycopg2")
        )
        with pytest.raises(ConfigurationError, match=r"needs a SQLite engine.*'postgresql'"):
            configure_sqlite(engine)
        with engine.connect() as connection:  # untouched: still a working engine
            assert connection.scalar(sa.select(1)) == 1
        engine.dispose()
