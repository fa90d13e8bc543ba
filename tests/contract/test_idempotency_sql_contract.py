"""The IdempotencyStore contract on PostgreSQL: ``AsyncPostgresIdempotencyStore`` (asyncpg)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from serpens.ports import IdempotencyStore
from serpens.testing import FaultProxy, PostgresServer
from serpens_contract.idempotency import IdempotencyContract
from serpens_contract.outage import ALL_KINDS, OutageCapabilities, OutageHook, proxy_outage
from serpens_sqlalchemy import AsyncPostgresIdempotencyStore


@pytest.fixture(name="postgres_proxy", scope="module")
def _postgres_proxy(postgres_server: PostgresServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        yield proxy


@pytest.fixture(name="idempotency_table", scope="module")
def _idempotency_table(postgres_url: str) -> Iterator[str]:
    """A table of this module's own: the first call creates it, the teardown drops it."""
    table = f"idem_contract_{uuid.uuid4().hex[:8]}"
    yield table
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


@pytest.mark.postgres
class TestAsyncPostgresIdempotencyStore(IdempotencyContract):
    # asyncpg through the proxy; each test runs its own event loop, so each store's engine
    # opens a connection per call (NullPool) and none outlives its loop. Frozen or
    # trickled: the connect ends at asyncpg's 2 s connect timeout, a statement at the
    # store's 2 s deadline (as AsyncPostgresQueue's cell).
    outage_capabilities = OutageCapabilities(kinds=ALL_KINDS | {"trickled"}, deadline=2.0)

    @pytest.fixture
    def outage(self, postgres_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(postgres_proxy)

    @pytest.fixture
    async def open_idempotency_store(
        self, postgres_url: str, postgres_proxy: FaultProxy, idempotency_table: str
    ) -> AsyncIterator[Callable[[str], IdempotencyStore]]:
        url = postgres_proxy.url_for(postgres_url).replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )
        engines: list[AsyncEngine] = []

        def open_store(namespace: str) -> IdempotencyStore:
            # an engine per store, as two processes of one service have: same rows
            engines.append(
                create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 2})
            )
            return AsyncPostgresIdempotencyStore(
                engines[-1], namespace, table=idempotency_table, deadline=2.0
            )

        yield open_store
        for engine in engines:
            await engine.dispose()
