"""The outbox contract on PostgreSQL: ``SQLAlchemyOutbox`` with ``AsyncPostgresOutboxStore``.

Two cells: messages staged in an ``AsyncSession`` (asyncpg) and in a ``Session``
(psycopg2). Each test has a schema of its own, named to every engine by its
``schema_translate_map``; the stores reach the server through a FaultProxy.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from serpens.ports import OutboxStore
from serpens.testing import FaultProxy, PostgresServer
from serpens_contract.outage import ALL_KINDS, OutageCapabilities, OutageHook, proxy_outage
from serpens_contract.outbox import OutboxContract, OutboxUnit, UnitMaker
from serpens_sqlalchemy import AsyncPostgresOutboxStore, SQLAlchemyOutbox


def _url(postgres_url: str, driver: str) -> str:
    return postgres_url.replace("postgresql://", f"postgresql+{driver}://", 1)


@pytest.fixture(name="postgres_proxy", scope="module")
def _postgres_proxy(postgres_server: PostgresServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        yield proxy


@pytest.fixture(name="sync_engine", scope="module")
def _sync_engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(_url(postgres_url, "psycopg2"))
    yield engine
    engine.dispose()


@pytest.fixture(name="schema")
def _schema(sync_engine: Engine) -> Iterator[str]:
    """A schema of this test's own; the store's first call creates the table in it."""
    schema = f"outbox_{uuid.uuid4().hex[:12]}"
    with sync_engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield schema
    with sync_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


_DEADLINE = 3.0


class _PostgresCell(OutboxContract):
    # asyncpg through the proxy; each test runs its own event loop, so each store's engine
    # opens a connection per call (NullPool). Frozen or trickled: the connect ends at
    # asyncpg's connect timeout, a statement at the store's deadline: both _DEADLINE (3 s;
    # at 2 s a claim through the proxy, on a new connection, ran out twice in CI runs).
    outage_capabilities = OutageCapabilities(kinds=ALL_KINDS | {"trickled"}, deadline=_DEADLINE)

    @pytest.fixture
    def outage(self, postgres_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(postgres_proxy)

    @pytest.fixture
    async def open_outbox_store(
        self, postgres_url: str, postgres_proxy: FaultProxy, schema: str
    ) -> AsyncIterator[Callable[[], OutboxStore]]:
        url = _url(postgres_proxy.url_for(postgres_url), "asyncpg")
        engines: list[AsyncEngine] = []

        def open_store() -> OutboxStore:
            # an engine per store, as two relay processes have: same rows
            engines.append(
                create_async_engine(url, poolclass=NullPool, connect_args={"timeout": _DEADLINE})
            )
            placed = engines[-1].execution_options(schema_translate_map={None: schema})
            return AsyncPostgresOutboxStore(placed, deadline=_DEADLINE)

        yield open_store
        for engine in engines:
            await engine.dispose()


@pytest.mark.postgres
class TestSQLAlchemyOutboxInAnAsyncSession(_PostgresCell):
    @pytest.fixture
    async def open_outbox_unit(
        self, postgres_url: str, schema: str, store: OutboxStore
    ) -> AsyncIterator[UnitMaker]:
        await store.create_table()  # type: ignore[attr-defined]
        engine = create_async_engine(_url(postgres_url, "asyncpg"), poolclass=NullPool)
        placed = engine.execution_options(schema_translate_map={None: schema})

        @asynccontextmanager
        async def open_unit() -> AsyncIterator[OutboxUnit]:
            async with AsyncSession(placed) as session:
                yield OutboxUnit(
                    SQLAlchemyOutbox(session), session.commit, session.rollback, session.flush
                )

        yield open_unit
        await engine.dispose()


@pytest.mark.postgres
class TestSQLAlchemyOutboxInASession(_PostgresCell):
    @pytest.fixture
    async def open_outbox_unit(
        self, sync_engine: Engine, schema: str, store: OutboxStore
    ) -> UnitMaker:
        await store.create_table()  # type: ignore[attr-defined]
        placed = sync_engine.execution_options(schema_translate_map={None: schema})

        @asynccontextmanager
        async def open_unit() -> AsyncIterator[OutboxUnit]:
            with Session(placed) as session:
                yield OutboxUnit(
                    SQLAlchemyOutbox(session), session.commit, session.rollback, session.flush
                )

        return open_unit
