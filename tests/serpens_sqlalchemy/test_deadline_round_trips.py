"""The deadlines of ``bound_round_trips`` and ``override_transaction``, on a frozen server.

Each test warms a connection, freezes the :class:`~serpens.testing.FaultProxy` in front
of PostgreSQL and checks which deadline ended the call (the ``TIMED_OUT`` mark on the
driver's error): a transaction's own deadline for each of its statements, the engine's
again once that transaction ends, asyncpg's statements, commits and rollbacks, and the
pool's pre-ping. A call that no deadline bounds would wait forever, so every freeze
heals itself after :data:`VALVE_S`: such a call then succeeds and the test fails
instead of hanging. Real server: PostgreSQL (psycopg2, asyncpg).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from serpens.errors import BackendTimeoutError
from serpens.testing import FaultProxy, PostgresServer
from serpens_sqlalchemy import PostgresQueue
from serpens_sqlalchemy._deadline import (
    TIMED_OUT,
    _overrides,
    bound_round_trips,
    override_transaction,
)

ENGINE_S = 1.5  # the engine's deadline (statements, commits, rollbacks)
OWN_S = 0.5  # a transaction's own
VALVE_S = 10.0  # a frozen proxy heals itself after this: an unbounded call returns


@pytest.fixture(name="proxy")
def _proxy(postgres_server: PostgresServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        yield proxy


def _url(proxy: FaultProxy, postgres_url: str, driver: str) -> str:
    return f"postgresql+{driver}://" + proxy.url_for(postgres_url).split("://", 1)[1]


@contextmanager
def _frozen(proxy: FaultProxy) -> Iterator[None]:
    """Freeze *proxy* for the block (healed after it, or after VALVE_S at the latest)."""
    valve = threading.Timer(VALVE_S, proxy.heal)
    proxy.freeze()
    valve.start()
    try:
        yield
    finally:
        valve.cancel()
        proxy.heal()


def _deadline_of(exc: BaseException) -> object:
    """The deadline marked on the driver's error that SQLAlchemy wrapped in *exc*."""
    return getattr(getattr(exc, "orig", None), TIMED_OUT, None)


@pytest.fixture(name="engine")
def _engine(proxy: FaultProxy, postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(
        _url(proxy, postgres_url, "psycopg2"), pool_size=1, connect_args={"connect_timeout": 5}
    )
    bound_round_trips(engine, statement_s=ENGINE_S, ping_s=ENGINE_S)
    yield engine
    engine.dispose()


def test_a_transactions_own_deadline_bounds_each_of_its_statements(
    engine: sa.Engine, proxy: FaultProxy
) -> None:
    with engine.connect() as conn:
        override_transaction(conn.connection.dbapi_connection, OWN_S)
        assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1  # not its only statement
        with _frozen(proxy), pytest.raises(sa.exc.OperationalError) as caught:
            conn.exec_driver_sql("SELECT 2")
    assert _deadline_of(caught.value) == OWN_S


def test_a_connection_cut_by_its_transactions_deadline_leaves_no_deadline_behind(
    engine: sa.Engine, proxy: FaultProxy
) -> None:
    """No commit or rollback reaches a cut connection: the cut itself forgets its deadline.

    Left behind, the entry kept the dead connection, and its deadline, for good.
    """
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        override_transaction(dbapi, OWN_S)
        with _frozen(proxy), pytest.raises(sa.exc.OperationalError):
            conn.exec_driver_sql("SELECT 2")
    assert id(dbapi) not in _overrides


def test_a_connection_reset_mid_transaction_leaves_no_deadline_behind(
    engine: sa.Engine, proxy: FaultProxy
) -> None:
    """A connection lost otherwise than by the deadline is forgotten when the pool drops it.

    Kept, each reset inside a transaction with its own deadline left one dead connection
    in the table for good: a long-running worker on a flaky network grew it without end.
    """
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        override_transaction(dbapi, OWN_S)
        with proxy.reset(), pytest.raises(sa.exc.OperationalError):  # healed after
            conn.exec_driver_sql("SELECT 2")
    assert id(dbapi) not in _overrides
    with engine.connect() as conn:  # the pool opens a new connection, with its own id
        assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_the_engines_deadline_comes_back_when_the_transaction_ends(
    engine: sa.Engine, proxy: FaultProxy, end: str
) -> None:
    with engine.connect() as conn:
        override_transaction(conn.connection.dbapi_connection, OWN_S)
        conn.exec_driver_sql("SELECT 1")
        getattr(conn, end)()
        conn.exec_driver_sql("SELECT 1")  # a new transaction, on the same connection
        with _frozen(proxy), pytest.raises(sa.exc.OperationalError) as caught:
            conn.exec_driver_sql("SELECT 2")
    assert _deadline_of(caught.value) == ENGINE_S


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_commit_or_rollback_on_a_frozen_server_ends_at_the_deadline(
    engine: sa.Engine, proxy: FaultProxy, end: str
) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        with _frozen(proxy), pytest.raises(sa.exc.OperationalError) as caught:
            getattr(conn, end)()
    assert _deadline_of(caught.value) == ENGINE_S


def test_a_ping_on_a_frozen_server_ends_at_its_deadline(
    proxy: FaultProxy, postgres_url: str
) -> None:
    """The pre-ping's deadline passes; the reconnect then fails by libpq's connect_timeout."""
    engine = sa.create_engine(
        _url(proxy, postgres_url, "psycopg2"),
        pool_size=1,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 2},
    )
    pings: list[object] = []
    bound_round_trips(engine, statement_s=0, ping_s=OWN_S)

    def failed_ping(context: sa.engine.ExceptionContext) -> None:
        if context.is_pre_ping:
            pings.append(getattr(context.original_exception, TIMED_OUT, None))

    sa.event.listen(engine, "handle_error", failed_ping)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")  # a pooled connection, pinged on next checkout
        with _frozen(proxy), pytest.raises(sa.exc.OperationalError), engine.connect():
            pass
        assert pings == [OWN_S]
    finally:
        engine.dispose()


async def test_an_asyncpg_statement_on_a_frozen_server_ends_at_the_deadline(
    proxy: FaultProxy, postgres_url: str
) -> None:
    engine = create_async_engine(_url(proxy, postgres_url, "asyncpg"), pool_size=1)
    bound_round_trips(engine.sync_engine, statement_s=OWN_S, ping_s=OWN_S)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("SELECT 1")).scalar_one() == 1
            with _frozen(proxy), pytest.raises(sa.exc.DBAPIError) as caught:
                await conn.exec_driver_sql("SELECT 2")
        assert _deadline_of(caught.value) == OWN_S
    finally:
        await engine.dispose()


def test_a_queues_deadline_bounds_it_on_an_engine_whose_own_deadlines_are_off(
    proxy: FaultProxy, postgres_url: str
) -> None:
    """``DB_CLIENT_TIMEOUT_MS=0`` turns the engine's deadlines off, not the queue's own."""
    engine = sa.create_engine(
        _url(proxy, postgres_url, "psycopg2"),
        pool_size=1,
        pool_pre_ping=False,
        connect_args={"connect_timeout": 5},
    )
    bound_round_trips(engine, statement_s=0, ping_s=0)  # as bind() does with 0
    try:
        queue = PostgresQueue(engine, f"d-{uuid.uuid4().hex[:8]}", deadline=OWN_S)
        queue.create_table()
        queue.send("warm")  # a pooled connection, open
        with _frozen(proxy), pytest.raises(BackendTimeoutError, match=r"within 0\.5 s"):
            queue.send("frozen")
    finally:
        engine.dispose()
