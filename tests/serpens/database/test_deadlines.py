"""No repository call blocks past its deadline when PostgreSQL freezes after the pool is warm.

A :class:`~serpens.testing.FaultProxy` sits between the engine (built by ``bind`` /
``async_bind`` with the proxy's URL) and the test PostgreSQL. Frozen (accepts, never
answers) or black-holed (reads and drops everything), the server's ``statement_timeout``
never fires: only the client-side bounds do. Each call must raise
``BackendTimeoutError``/``BackendUnavailableError`` within ``statement_timeout`` + the
client grace + a small margin, on psycopg2 and asyncpg, mid-transaction (a connection
held) and from a warm pool (the bounded pre-ping, then a bounded reconnect).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, Integer, String, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool

from serpens import database
from serpens.errors import BackendTimeoutError, BackendUnavailableError
from serpens.testing import FaultProxy
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository
from tests._postgres_probes import _proxy  # noqa: F401 - fixture

STATEMENT_TIMEOUT_S = 1.0
CLIENT_GRACE_S = 1.0  # DB_CLIENT_TIMEOUT_MS = statement timeout + this
PING_S = 0.5
CONNECT_S = 2  # libpq's minimum connect_timeout
# Scheduling on a loaded 2-core CI runner: one run there measured 4.45 s on the pre-ping
# path (2.5 s here, every time, also with both cores busy). Still far below what an
# unbounded call costs: without the ping's or connect's bound it never returns.
MARGIN_S = 2.5
# the worst path: a ping past its deadline, then a reconnect past connect_timeout
BUDGET_S = max(STATEMENT_TIMEOUT_S + CLIENT_GRACE_S, PING_S + CONNECT_S) + MARGIN_S
OUTAGE = (BackendTimeoutError, BackendUnavailableError)


class Base(DeclarativeBase):
    pass


class Gadget(Base):
    __tablename__ = "deadline_gadgets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


@pytest.fixture(name="proxied_url")
def _proxied_url(proxy: FaultProxy, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    sync_url = make_url(pg_url).set(drivername="postgresql+psycopg2")
    admin = create_engine(sync_url, poolclass=NullPool)
    Base.metadata.create_all(admin)
    with admin.begin() as conn:
        conn.execute(Gadget.__table__.delete())
        rows = [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}]
        conn.execute(Gadget.__table__.insert(), rows)
    admin.dispose()
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", str(int(STATEMENT_TIMEOUT_S * 1000)))
    monkeypatch.setenv(
        "DB_CLIENT_TIMEOUT_MS", str(int((STATEMENT_TIMEOUT_S + CLIENT_GRACE_S) * 1000))
    )
    monkeypatch.setenv("DB_PING_TIMEOUT_MS", str(int(PING_S * 1000)))
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", str(CONNECT_S))
    return proxy.url_for(pg_url)


FAULTS: dict[str, Callable[[FaultProxy], object]] = {
    "freeze": FaultProxy.freeze,
    "blackhole": FaultProxy.blackhole,
}


def _report(driver: str, fault: str, where: str, seconds: float, error: BaseException) -> None:
    print(f"\ndeadline {driver} {fault} {where}: {seconds:.2f} s -> {type(error).__name__}")


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_psycopg2_calls_end_within_the_deadline(
    fault: str, proxy: FaultProxy, proxied_url: str
) -> None:
    database.bind(proxied_url)
    held = database.SessionLocal()
    try:
        assert SQLAlchemyRepository(held, Gadget).get(1) is not None  # a transaction open
        with database.SessionLocal() as warm:  # and one idle connection in the pool
            assert SQLAlchemyRepository(warm, Gadget).get(1) is not None
        FAULTS[fault](proxy)
        started = time.monotonic()  # a new session: the pool's pre-ping, then a reconnect
        with pytest.raises(OUTAGE) as pooled, database.SessionLocal() as session:
            SQLAlchemyRepository(session, Gadget).get(1)
        elapsed = time.monotonic() - started
        _report("psycopg2", fault, "pre-ping", elapsed, pooled.value)
        assert elapsed < BUDGET_S
        started = time.monotonic()  # the held connection: the statement's deadline
        with pytest.raises(OUTAGE) as mid_tx:
            SQLAlchemyRepository(held, Gadget).get(2)
        elapsed = time.monotonic() - started
        _report("psycopg2", fault, "mid-transaction", elapsed, mid_tx.value)
        assert isinstance(mid_tx.value, BackendTimeoutError)
        assert elapsed < BUDGET_S
    finally:
        held.close()
    proxy.heal()
    with database.SessionLocal() as session:  # recovered: new connections work
        assert SQLAlchemyRepository(session, Gadget).get(1) is not None


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_asyncpg_calls_end_within_the_deadline(
    fault: str, proxy: FaultProxy, proxied_url: str
) -> None:
    database.async_bind(proxied_url)
    held = database.AsyncSessionLocal()
    try:
        assert await AsyncSQLAlchemyRepository(held, Gadget).get(1) is not None
        async with database.AsyncSessionLocal() as warm:
            assert await AsyncSQLAlchemyRepository(warm, Gadget).get(1) is not None
        FAULTS[fault](proxy)
        started = time.monotonic()
        with pytest.raises(OUTAGE) as pooled:
            async with database.AsyncSessionLocal() as session:
                await AsyncSQLAlchemyRepository(session, Gadget).get(1)
        elapsed = time.monotonic() - started
        _report("asyncpg", fault, "pre-ping", elapsed, pooled.value)
        assert elapsed < BUDGET_S
        started = time.monotonic()
        with pytest.raises(OUTAGE) as mid_tx:
            await AsyncSQLAlchemyRepository(held, Gadget).get(2)
        elapsed = time.monotonic() - started
        _report("asyncpg", fault, "mid-transaction", elapsed, mid_tx.value)
        assert isinstance(mid_tx.value, BackendTimeoutError)
        assert elapsed < BUDGET_S
    finally:
        await held.close()
    proxy.heal()
    async with database.AsyncSessionLocal() as session:
        assert await AsyncSQLAlchemyRepository(session, Gadget).get(1) is not None


def test_a_session_allowed_a_longer_statement_timeout_keeps_it(
    proxy: FaultProxy, proxied_url: str
) -> None:
    """``db_session(statement_timeout_ms=...)`` moves the client deadline, for its transaction."""
    database.bind(proxied_url)
    with database.db_session(statement_timeout_ms=4000) as session:
        started = time.monotonic()
        session.execute(text("SELECT pg_sleep(2.5)"))  # past the engine's 2 s client deadline
        assert time.monotonic() - started >= 2.5
    # the next session on the same pooled connection has the engine's deadline again
    with database.SessionLocal() as session:
        repo = SQLAlchemyRepository(session, Gadget)
        assert repo.count() == 2  # a transaction open on the pooled connection
        proxy.freeze()
        started = time.monotonic()
        with pytest.raises(BackendTimeoutError):
            repo.count()
        elapsed = time.monotonic() - started
    proxy.heal()
    assert elapsed < STATEMENT_TIMEOUT_S + CLIENT_GRACE_S + MARGIN_S / 2


def test_a_session_with_its_own_statement_timeout_gives_up_on_a_frozen_server(
    proxy: FaultProxy, proxied_url: str
) -> None:
    """A session's own timeout bounds its round trips too: that timeout plus 2 s.

    ``db_session(statement_timeout_ms=100)`` on a frozen server gives up after about 2.1 s,
    never later and never unbounded (the engine's own client deadline is 2 s here). A
    timer heals the proxy after 8 s, so a call left unbounded ends, and fails the test.
    """
    database.bind(proxied_url)
    healer = threading.Timer(8.0, proxy.heal)

    def frozen_call() -> None:
        with database.db_session(statement_timeout_ms=100) as session:
            session.execute(text("SELECT 1"))  # the transaction began: SET LOCAL, its deadline
            proxy.freeze()
            healer.start()
            session.execute(text("SELECT 1"))

    started = time.monotonic()
    try:
        with pytest.raises(OperationalError) as cut:  # a raw session's error, as in 2.9
            frozen_call()
    finally:
        healer.cancel()
        proxy.heal()
    elapsed = time.monotonic() - started
    assert cut.value.connection_invalidated  # cut by the client-side deadline
    assert 2.0 <= elapsed < 0.1 + 2.0 + MARGIN_S / 2


def _freeze_after_savepoint(engine: Engine, proxy: FaultProxy) -> None:
    """Freeze *proxy* once the write's SAVEPOINT is answered: its next round trip is the write."""

    def freeze(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("SAVEPOINT"):
            proxy.freeze()

    event.listen(engine, "after_cursor_execute", freeze)


WRITES = ["bulk_insert (COPY)", "upsert_many (unnest)"]


@pytest.mark.parametrize("write", WRITES)
def test_psycopg2_fast_paths_end_within_the_deadline(
    write: str, proxy: FaultProxy, proxied_url: str
) -> None:
    """psycopg2's COPY (``copy_expert``, on the driver) and unnest upsert are bounded too."""
    database.bind(proxied_url)
    reasons: list[BaseException | None] = []
    event.listen(database.get_engine().pool, "invalidate", lambda *a: reasons.append(a[2]))
    with database.SessionLocal() as held:
        repo = SQLAlchemyRepository(held, Gadget)
        assert repo.get(1) is not None  # a transaction open: the write takes a savepoint
        _freeze_after_savepoint(held.get_bind(), proxy)
        rows = [{"id": i, "name": f"g{i}"} for i in range(10, 20)]

        def call() -> int:
            if write.startswith("bulk_insert"):
                return repo.bulk_insert(rows)
            return repo.upsert_many(rows, conflict_on=["id"], update_fields=["name"])

        started = time.monotonic()
        with pytest.raises(BackendTimeoutError):
            call()
        elapsed = time.monotonic() - started
        _report("psycopg2", "freeze", write, elapsed, BackendTimeoutError())
        assert proxy.fault == "freeze"  # frozen by the savepoint: the write itself timed out
        assert elapsed < STATEMENT_TIMEOUT_S + CLIENT_GRACE_S + MARGIN_S
        # the cut connection is invalidated with the driver's error as the reason, which
        # SQLAlchemy logs and hands to the pool's listeners
        assert [type(reason).__name__ for reason in reasons] == ["OperationalError"], reasons
    proxy.heal()


@pytest.mark.parametrize("write", WRITES)
async def test_asyncpg_driver_fast_paths_end_within_the_deadline(
    write: str, proxy: FaultProxy, proxied_url: str
) -> None:
    """COPY and the unnest upsert go to asyncpg directly: the same client deadline holds."""
    database.async_bind(proxied_url)
    async with database.AsyncSessionLocal() as held:
        repo = AsyncSQLAlchemyRepository(held, Gadget)
        assert await repo.get(1) is not None  # a transaction open: the write takes a savepoint
        _freeze_after_savepoint(held.bind.sync_engine, proxy)
        rows = [{"id": i, "name": f"g{i}"} for i in range(10, 20)]

        async def call() -> int:
            if write.startswith("bulk_insert"):
                return await repo.bulk_insert(rows)
            return await repo.upsert_many(rows, conflict_on=["id"], update_fields=["name"])

        started = time.monotonic()
        with pytest.raises(BackendTimeoutError):
            await call()
        elapsed = time.monotonic() - started
        _report("asyncpg", "freeze", write, elapsed, BackendTimeoutError())
        assert proxy.fault == "freeze"
        assert elapsed < STATEMENT_TIMEOUT_S + CLIENT_GRACE_S + MARGIN_S
    proxy.heal()


def test_a_sessions_longer_deadline_holds_for_psycopg2s_copy(
    proxied_url: str, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COPY (``copy_expert``, on the driver) keeps ``db_session``'s own deadline too.

    Another session holds a lock that COPY waits for 2.5 s, past the engine's 2 s client
    deadline; the session allows 4 s (and the client 6 s), so the COPY completes.
    """
    monkeypatch.setenv("DB_LOCK_TIMEOUT_MS", "10000")  # the wait is the test, not a refusal
    database.bind(proxied_url)
    locker = create_engine(make_url(pg_url).set(drivername="postgresql+psycopg2"))
    rows = [{"id": i, "name": f"g{i}"} for i in range(10, 20)]
    try:
        with locker.connect() as other:
            other.execute(text("LOCK TABLE deadline_gadgets IN SHARE MODE"))  # COPY must wait
            release = threading.Timer(2.5, other.rollback)
            release.start()
            with database.db_session(statement_timeout_ms=4000) as session:
                started = time.monotonic()
                assert SQLAlchemyRepository(session, Gadget).bulk_insert(rows) == len(rows)
                waited = time.monotonic() - started
            release.join()
    finally:
        locker.dispose()
    assert waited >= 2.0  # past the engine's deadline
    with database.SessionLocal() as session:
        assert SQLAlchemyRepository(session, Gadget).count() == 2 + len(rows)
