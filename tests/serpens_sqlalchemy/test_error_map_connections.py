"""What a mapped connection failure tells the caller, provoked on the real servers.

The connection half of ``serpens_sqlalchemy._errors``' tests (``test_error_map.py`` has
the refusals of the statements themselves):

- a server that accepts the connection and never answers (the outage cases' "frozen"),
  on asyncpg and on psycopg2, and a statement or COPY past the client-side deadline are
  BackendTimeoutError, the deadline named;
- a refused connection and a connection reset under a session are
  BackendUnavailableError keeping the driver's reason, no password;
- a cancellation reaches the caller unchanged.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from serpens.database import DatabaseSettings
from serpens.database._engine import build_async_engine, build_sync_engine
from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
)
from serpens.testing import FaultProxy, PostgresServer
from serpens.testing._common import free_port
from serpens_contract.repository import Pair, Product
from serpens_sqlalchemy import AsyncRepository, Repository
from tests.serpens_sqlalchemy._engines import contract_tables_schema


def _driver_url(postgres_url: str, driver: str) -> str:
    return f"postgresql+{driver}://" + postgres_url.split("://", 1)[1]


@pytest.fixture(name="schema")
def _schema(postgres_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema holding the contract tables, dropped afterwards."""
    yield from contract_tables_schema(postgres_url)


@pytest.fixture(name="closed_port")
def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connects are refused."""
    return free_port()


@pytest.fixture(name="silent_port")
def _silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections and never says a word (a frozen server)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


async def test_a_server_that_never_answers_the_connect_is_a_timeout_on_asyncpg(
    silent_port: int,
) -> None:
    """asyncpg's connect timeout raises a bare ``TimeoutError``: BackendTimeoutError.

    The connection was accepted, so the server is not refusing: it did not answer in
    time, which the outage cases call "frozen" and map to BackendTimeoutError. (Python's
    ``TimeoutError`` is an ``OSError``: a table checking ``OSError`` first made it
    BackendUnavailableError.)
    """
    engine = create_async_engine(
        f"postgresql+asyncpg://app:s3cret-pw@127.0.0.1:{silent_port}/app",
        connect_args={"timeout": 0.5},
    )
    try:
        async with AsyncSession(engine) as sess:
            with pytest.raises(BackendTimeoutError) as info:
                await AsyncRepository(sess, Product).get(1)
        # asyncpg's TimeoutError carries no text: its type is what the error can say
        assert "TimeoutError" in str(info.value)
        assert "s3cret-pw" not in str(info.value)
    finally:
        await engine.dispose()


def test_a_server_that_never_answers_the_connect_is_a_timeout_on_psycopg2(
    silent_port: int,
) -> None:
    """A passed ``connect_timeout`` of libpq ("timeout expired") is BackendTimeoutError too.

    psycopg2 raises it as an ``OperationalError``, which otherwise reads as an outage
    (BackendUnavailableError): the drivers now agree on a server that accepts the
    connection and says nothing.
    """
    engine = sa.create_engine(
        f"postgresql+psycopg2://app:s3cret-pw@127.0.0.1:{silent_port}/app",
        connect_args={"connect_timeout": 1},
    )
    try:
        with Session(engine) as sess, pytest.raises(BackendTimeoutError) as info:
            Repository(sess, Product).get(1)
        assert "timeout expired" in str(info.value)
        assert "s3cret-pw" not in str(info.value)
    finally:
        engine.dispose()


async def test_a_cancelled_query_stays_cancelled(postgres_url: str, schema: str) -> None:
    """Cancelling a call mid-query raises CancelledError in the caller; nothing swallows it.

    The call counts a table another session holds locked, so it is inside the driver
    when the task is cancelled.
    """
    engine = create_async_engine(_driver_url(postgres_url, "asyncpg"))
    engine = engine.execution_options(schema_translate_map={None: schema})
    try:
        async with AsyncSession(engine) as holder, AsyncSession(engine) as waiter:
            await holder.execute(
                sa.text(f'LOCK TABLE "{schema}".contract_products IN ACCESS EXCLUSIVE MODE')
            )  # held until the rollback below
            call = asyncio.create_task(AsyncRepository(waiter, Product).count())
            done, _ = await asyncio.wait({call}, timeout=0.5)
            assert not done  # still waiting on the lock, inside the driver
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            assert call.cancelled()
            await holder.rollback()
    finally:
        await engine.dispose()


def _driver_first_line(error: BaseException) -> str:
    """The first line of the driver's own exception at the bottom of *error*'s chain."""
    cause = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    assert cause is not error  # a mapped error always chains what it replaced
    return str(cause).strip().splitlines()[0]


@pytest.fixture(name="pg_proxy")
def _pg_proxy(postgres_server: PostgresServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        yield proxy


def test_a_connection_reset_under_a_session_is_unavailable_with_the_drivers_reason(
    postgres_url: str, schema: str, pg_proxy: FaultProxy
) -> None:
    """psycopg2: a pooled connection reset mid-session is BackendUnavailableError.

    SQLAlchemy invalidates the connection and libpq gives no SQLSTATE; the error keeps
    libpq's first line (why the connection went), which is all an operator has.
    """
    url = _driver_url(pg_proxy.url_for(postgres_url), "psycopg2")
    engine = sa.create_engine(url).execution_options(schema_translate_map={None: schema})
    try:
        with Session(engine) as sess:
            repo = Repository(sess, Product)
            assert repo.count() == 0  # the connection is open and in the session
            with pg_proxy.reset(), pytest.raises(BackendUnavailableError) as info:
                repo.count()
        assert _driver_first_line(info.value) in str(info.value)
    finally:
        engine.dispose()


async def test_a_connection_reset_under_a_session_is_unavailable_on_asyncpg_too(
    postgres_url: str, schema: str, pg_proxy: FaultProxy
) -> None:
    """asyncpg: the same BackendUnavailableError, with asyncpg's reason."""
    url = _driver_url(pg_proxy.url_for(postgres_url), "asyncpg")
    engine = create_async_engine(url).execution_options(schema_translate_map={None: schema})
    try:
        async with AsyncSession(engine) as sess:
            repo = AsyncRepository(sess, Product)
            assert await repo.count() == 0
            with pg_proxy.reset():
                await asyncio.sleep(0.1)  # the loop sees the reset before the next call
                with pytest.raises(BackendUnavailableError) as info:
                    await repo.count()
        assert _driver_first_line(info.value) in str(info.value)
    finally:
        await engine.dispose()


#: the client-side deadline of every round trip (serpens_sqlalchemy._deadline): 0.5 s
DEADLINES = DatabaseSettings(
    pool_size=1, statement_timeout_ms=0, client_timeout_ms=500, ping_timeout_ms=500
)


def test_a_statement_past_the_client_deadline_is_a_timeout_naming_the_deadline(
    postgres_url: str, schema: str, pg_proxy: FaultProxy
) -> None:
    """psycopg2 on a frozen server: BackendTimeoutError saying it waited 0.5 s.

    The deadline is the caller's setting (``client_timeout_ms``), not the server's
    ``statement_timeout``: the error says which limit ended the call.
    """
    url = sa.make_url(_driver_url(pg_proxy.url_for(postgres_url), "psycopg2"))
    engine = build_sync_engine(url, DEADLINES)
    try:
        with Session(engine.execution_options(schema_translate_map={None: schema})) as sess:
            repo = Repository(sess, Product)
            assert repo.count() == 0  # a warm connection, in the session
            with pg_proxy.freeze(), pytest.raises(BackendTimeoutError) as info:
                repo.count()
        assert "0.5 s" in str(info.value)
        # and what became of the connection: the transaction it held is gone with it
        assert str(info.value).endswith("(client-side deadline); the connection was dropped")
    finally:
        engine.dispose()


def test_a_psycopg2_copy_past_the_client_deadline_is_a_timeout_naming_the_deadline(
    postgres_url: str, schema: str, pg_proxy: FaultProxy
) -> None:
    """psycopg2's COPY (``copy_expert`` on the driver, its error unwrapped) on a frozen server.

    The driver's own ``OperationalError`` carries no SQLSTATE: only the deadline's mark
    says it is a timeout; unmarked, it would not be mapped at all.
    """
    url = sa.make_url(_driver_url(pg_proxy.url_for(postgres_url), "psycopg2"))
    engine = build_sync_engine(url, DEADLINES)

    def freeze_after_savepoint(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("SAVEPOINT"):
            pg_proxy.freeze()

    try:
        with Session(engine.execution_options(schema_translate_map={None: schema})) as sess:
            repo = Repository(sess, Pair)  # no Python-side default: COPY applies
            assert repo.count() == 0  # a transaction open: the write takes a savepoint
            sa.event.listen(engine, "after_cursor_execute", freeze_after_savepoint)
            rows = [{"left": "a", "right": str(i), "code": str(i)} for i in range(10)]
            with pytest.raises(BackendTimeoutError) as info:
                repo.bulk_insert(rows)
            assert pg_proxy.fault == "freeze"  # the COPY, not the savepoint, timed out
            pg_proxy.heal()
        assert "0.5 s" in str(info.value)
    finally:
        pg_proxy.heal()
        engine.dispose()


async def test_a_copy_past_the_client_deadline_is_a_timeout_naming_the_deadline(
    postgres_url: str, schema: str, pg_proxy: FaultProxy
) -> None:
    """asyncpg's COPY (a driver call beside SQLAlchemy's execute) on a frozen server.

    The server freezes once the write's SAVEPOINT is answered, so the COPY itself hits
    the deadline; the watchdog drops the connection and asyncpg reports it closed: still
    BackendTimeoutError naming the 0.5 s, not an unreachable server.
    """
    url = sa.make_url(_driver_url(pg_proxy.url_for(postgres_url), "asyncpg"))
    engine = build_async_engine(url, DEADLINES)

    def freeze_after_savepoint(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("SAVEPOINT"):
            pg_proxy.freeze()

    try:
        options = engine.execution_options(schema_translate_map={None: schema})
        async with AsyncSession(options) as sess:
            repo = AsyncRepository(sess, Pair)  # no Python-side default: COPY applies
            assert await repo.count() == 0  # a transaction open: the write takes a savepoint
            sa.event.listen(engine.sync_engine, "after_cursor_execute", freeze_after_savepoint)
            rows = [{"left": "a", "right": str(i), "code": str(i)} for i in range(10)]
            with pytest.raises(BackendTimeoutError) as info:
                await repo.bulk_insert(rows)
            assert pg_proxy.fault == "freeze"  # the COPY, not the savepoint, timed out
            pg_proxy.heal()
        assert "0.5 s" in str(info.value)
    finally:
        pg_proxy.heal()
        await engine.dispose()


def test_a_refused_connection_is_unavailable_with_the_drivers_reason(closed_port: int) -> None:
    """psycopg2, nothing listening: BackendUnavailableError keeping libpq's first line."""
    engine = sa.create_engine(f"postgresql+psycopg2://app:s3cret-pw@127.0.0.1:{closed_port}/app")
    try:
        with Session(engine) as sess, pytest.raises(BackendUnavailableError) as info:
            Repository(sess, Product).get(1)
        assert _driver_first_line(info.value) in str(info.value)
        assert "s3cret-pw" not in str(info.value)
    finally:
        engine.dispose()


async def test_a_refused_connection_is_unavailable_on_asyncpg_with_its_reason(
    closed_port: int,
) -> None:
    """asyncpg raises the OS's ``ConnectionRefusedError`` itself: the same error, its reason."""
    engine = create_async_engine(f"postgresql+asyncpg://app:s3cret-pw@127.0.0.1:{closed_port}/app")
    try:
        async with AsyncSession(engine) as sess:
            with pytest.raises(BackendUnavailableError) as info:
                await AsyncRepository(sess, Product).get(1)
        assert _driver_first_line(info.value) in str(info.value)
        assert "s3cret-pw" not in str(info.value)
    finally:
        await engine.dispose()
