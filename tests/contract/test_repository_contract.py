"""The Repository contract, run unchanged against every implementation.

The in-memory fake (sync and async), SQLite through pysqlite and aiosqlite, and
PostgreSQL through psycopg2 and asyncpg. Every "database" is isolated: a fresh SQLite file,
or a fresh PostgreSQL schema (``schema_translate_map``) dropped at teardown.
"""

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens_contract import RepositoryContract
from serpens_contract.repository import (
    ContractBase,
    FakeDatabase,
    RepositoryDatabase,
    SQLAlchemyDatabase,
    contract_schema,
)
from serpens_sqlalchemy import configure_sqlite

OpenDatabase = Callable[[], RepositoryDatabase]


def _driver_url(url: str, driver: str) -> str:
    scheme, rest = url.split("://", 1)
    assert scheme in {"postgres", "postgresql"} or scheme.startswith("postgresql+"), scheme
    return f"postgresql+{driver}://{rest}"


@pytest.fixture(scope="module", name="runner")
def _runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as runner:
        yield runner


class TestInMemoryRepository(RepositoryContract):
    @pytest.fixture
    def open_repository_database(self) -> OpenDatabase:
        return FakeDatabase


class TestAsyncInMemoryRepository(RepositoryContract):
    @pytest.fixture
    def open_repository_database(self, runner: asyncio.Runner) -> OpenDatabase:
        return lambda: FakeDatabase(runner)


class TestSQLiteRepository(RepositoryContract):
    @pytest.fixture
    def open_repository_database(self, tmp_path: Path) -> Iterator[OpenDatabase]:
        opened: list[SQLAlchemyDatabase] = []

        def open_database() -> RepositoryDatabase:
            engine = sa.create_engine(f"sqlite:///{tmp_path / uuid.uuid4().hex}.db")
            configure_sqlite(engine)
            ContractBase.metadata.create_all(engine)
            opened.append(SQLAlchemyDatabase(engine))
            return opened[-1]

        yield open_database
        for db in opened:
            db.close()
            db.engine.dispose()  # type: ignore[union-attr]


class TestAiosqliteRepository(RepositoryContract):
    @pytest.fixture
    def open_repository_database(
        self, tmp_path: Path, runner: asyncio.Runner
    ) -> Iterator[OpenDatabase]:
        opened: list[SQLAlchemyDatabase] = []

        async def create(engine: AsyncEngine) -> None:
            async with engine.begin() as conn:
                await conn.run_sync(ContractBase.metadata.create_all)

        def open_database() -> RepositoryDatabase:
            engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / uuid.uuid4().hex}.db")
            configure_sqlite(engine)
            runner.run(create(engine))
            opened.append(SQLAlchemyDatabase(engine, runner))
            return opened[-1]

        yield open_database
        for db in opened:
            db.close()
            runner.run(db.engine.dispose())  # type: ignore[union-attr]


@pytest.fixture(scope="module", name="psycopg2_engine")
def _psycopg2_engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(_driver_url(postgres_url, "psycopg2"), pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", name="asyncpg_engine")
def _asyncpg_engine(postgres_url: str, runner: asyncio.Runner) -> Iterator[AsyncEngine]:
    engine = create_async_engine(_driver_url(postgres_url, "asyncpg"), pool_size=2)
    yield engine
    runner.run(engine.dispose())


@pytest.fixture(name="schemas")
def _schemas(psycopg2_engine: sa.Engine) -> Iterator[Callable[[], str]]:
    """Create fresh schemas holding the contract tables; drop them all at teardown."""
    made: list[str] = []

    def make() -> str:
        schema = contract_schema()
        with psycopg2_engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            translated = conn.execution_options(schema_translate_map={None: schema})
            ContractBase.metadata.create_all(translated)
        made.append(schema)
        return schema

    yield make
    with psycopg2_engine.begin() as conn:
        for schema in made:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


class TestPsycopg2Repository(RepositoryContract):
    @pytest.fixture
    def open_repository_database(
        self, psycopg2_engine: sa.Engine, schemas: Callable[[], str]
    ) -> Iterator[OpenDatabase]:
        opened: list[SQLAlchemyDatabase] = []

        def open_database() -> RepositoryDatabase:
            engine = psycopg2_engine.execution_options(schema_translate_map={None: schemas()})
            opened.append(SQLAlchemyDatabase(engine))
            return opened[-1]

        yield open_database
        for db in opened:
            db.close()


class TestAsyncpgRepository(RepositoryContract):
    @pytest.fixture
    def open_repository_database(
        self, asyncpg_engine: AsyncEngine, runner: asyncio.Runner, schemas: Callable[[], str]
    ) -> Iterator[OpenDatabase]:
        opened: list[SQLAlchemyDatabase] = []

        def open_database() -> RepositoryDatabase:
            engine: Any = asyncpg_engine.execution_options(schema_translate_map={None: schemas()})
            opened.append(SQLAlchemyDatabase(engine, runner))
            return opened[-1]

        yield open_database
        for db in opened:
            db.close()
