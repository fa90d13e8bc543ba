"""The Repository contract, run unchanged against every implementation.

The in-memory fake (sync and async), SQLite through pysqlite and aiosqlite, and
PostgreSQL through psycopg2 and asyncpg. Every "database" is isolated: a fresh SQLite file,
or a fresh PostgreSQL schema (``schema_translate_map``) dropped at teardown.

Outages: the fakes' ``outage()`` switch; PostgreSQL is reached through a
:class:`~serpens.testing.FaultProxy` (refuse, freeze, reset) with engines built as
``bind()``/``async_bind()`` build them, client-side deadlines included. SQLite is a file:
it declares no outage capability, and those cases are reported skips.
"""

import asyncio
import dataclasses
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens.database import DatabaseSettings
from serpens.database._engine import build_async_engine, build_sync_engine
from serpens.testing import FaultProxy, PostgresServer
from serpens_contract import RepositoryContract
from serpens_contract.repository import (
    ContractBase,
    FakeDatabase,
    Outage,
    OutageFault,
    RepositoryCapabilities,
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


ALL_OUTAGES = frozenset({"unreachable", "frozen", "reset"})
FAKE = RepositoryCapabilities(
    outages=ALL_OUTAGES,
    outage_deadline_s=0.0,
    exact_decimal=True,
    sequence_keys=True,
    shared_units_of_work=True,
)
# The engines' bounds: statements 1.8 s on the server, 2 s on the client; ping 0.5 s;
# connect 2 s (libpq's minimum). The worst call: a late ping, then a connect timing out.
# The server's bound plays no part in an outage (a statement the proxy holds never reaches
# it); it only has to pass a healthy statement on a loaded machine: at 1 s, a five-row
# seed insert was cancelled in a CI run whose two cores ran a dozen busy processes.
PG_SETTINGS = DatabaseSettings(
    pool_size=2,
    statement_timeout_ms=1800,
    client_timeout_ms=2000,
    ping_timeout_ms=500,
    connect_timeout=2,
    idle_in_tx_timeout_ms=3000,  # the server ends the sessions of connections a fault cut
)
PG = RepositoryCapabilities(
    outages=ALL_OUTAGES,
    outage_deadline_s=2.5,
    exact_decimal=True,
    sequence_keys=True,
    shared_units_of_work=True,
)
SQLITE = RepositoryCapabilities(shared_units_of_work=True)


def _fake_outage(db: RepositoryDatabase) -> Outage:
    assert isinstance(db, FakeDatabase)

    @contextmanager
    def outage(fault: OutageFault) -> Iterator[object]:
        with db.database.outage(timeout=fault == "frozen"):
            yield db

    return outage


def _proxy_outage(proxy: FaultProxy) -> Outage:
    faults: dict[str, Callable[[], AbstractContextManager[object]]] = {
        "unreachable": proxy.refuse,
        "frozen": proxy.freeze,
        "reset": proxy.reset,
    }
    return lambda fault: faults[fault]()


@pytest.fixture(scope="module", name="runner")
def _runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as runner:
        yield runner


class TestInMemoryRepository(RepositoryContract):
    capabilities = dataclasses.replace(FAKE, threads=True)

    @pytest.fixture
    def open_repository_database(self) -> OpenDatabase:
        return FakeDatabase

    @pytest.fixture
    def repository_outage(self, db: RepositoryDatabase) -> Outage:
        return _fake_outage(db)


class TestAsyncInMemoryRepository(RepositoryContract):
    capabilities = FAKE

    @pytest.fixture
    def open_repository_database(self, runner: asyncio.Runner) -> OpenDatabase:
        return lambda: FakeDatabase(runner)

    @pytest.fixture
    def repository_outage(self, db: RepositoryDatabase) -> Outage:
        return _fake_outage(db)


class TestSQLiteRepository(RepositoryContract):
    capabilities = dataclasses.replace(SQLITE, threads=True)

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
    capabilities = SQLITE

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


@pytest.fixture(scope="module", name="pg_proxy")
def _pg_proxy(postgres_server: PostgresServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        yield proxy


@pytest.fixture(scope="module", name="psycopg2_engine")
def _psycopg2_engine(postgres_url: str, pg_proxy: FaultProxy) -> Iterator[sa.Engine]:
    url = sa.make_url(_driver_url(pg_proxy.url_for(postgres_url), "psycopg2"))
    engine = build_sync_engine(url, PG_SETTINGS)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", name="asyncpg_engine")
def _asyncpg_engine(
    postgres_url: str, pg_proxy: FaultProxy, runner: asyncio.Runner
) -> Iterator[AsyncEngine]:
    url = sa.make_url(_driver_url(pg_proxy.url_for(postgres_url), "asyncpg"))
    engine = build_async_engine(url, PG_SETTINGS)
    yield engine
    runner.run(engine.dispose())


@pytest.fixture(scope="module", name="admin_engine")
def _admin_engine(postgres_url: str) -> Iterator[sa.Engine]:
    """Straight to the server (no proxy, no timeouts): DDL waits for cut sessions to end."""
    engine = sa.create_engine(_driver_url(postgres_url, "psycopg2"), pool_size=1)
    yield engine
    engine.dispose()


@pytest.fixture(name="schemas")
def _schemas(admin_engine: sa.Engine) -> Iterator[Callable[[], str]]:
    """Create fresh schemas holding the contract tables; drop them all at teardown."""
    made: list[str] = []

    def make() -> str:
        schema = contract_schema()
        with admin_engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            translated = conn.execution_options(schema_translate_map={None: schema})
            ContractBase.metadata.create_all(translated)
        made.append(schema)
        return schema

    yield make
    for schema in made:  # one transaction each: a shrinking differential run makes hundreds
        with admin_engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


class TestPsycopg2Repository(RepositoryContract):
    capabilities = dataclasses.replace(PG, threads=True)

    @pytest.fixture
    def repository_outage(self, pg_proxy: FaultProxy) -> Outage:
        return _proxy_outage(pg_proxy)

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
    capabilities = PG

    @pytest.fixture
    def repository_outage(self, pg_proxy: FaultProxy) -> Outage:
        return _proxy_outage(pg_proxy)

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
