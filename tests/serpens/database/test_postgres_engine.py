"""Engines against a real PostgreSQL: timeouts, application_name, keepalives, pooler mode."""

from __future__ import annotations

import logging
from typing import Any

import psycopg2
import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from serpens import database
from serpens.database import AsyncSessionLocal, SessionLocal, TimeoutMode
from serpens.database._engine import _verify_timeouts
from serpens.errors import ConfigurationError

pytestmark = pytest.mark.postgres

TIMEOUTS = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
DEFAULTS = {
    "statement_timeout": "5s",
    "lock_timeout": "2s",
    "idle_in_transaction_session_timeout": "10s",
}


def _show_sync() -> dict[str, str]:
    with SessionLocal() as session:
        return {name: session.execute(text(f"SHOW {name}")).scalar_one() for name in TIMEOUTS}


async def _show_async() -> dict[str, str]:
    async with AsyncSessionLocal() as session:
        return {
            name: (await session.execute(text(f"SHOW {name}"))).scalar_one() for name in TIMEOUTS
        }


@pytest.fixture(params=["startup", "set"])
def timeout_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DB_TIMEOUT_MODE", request.param)
    return str(request.param)


class TestTimeouts:
    def test_sync_engine_applies_timeouts_and_keeps_them_after_rollback(
        self, pg_url: str, timeout_mode: str
    ) -> None:
        database.bind(pg_url)
        assert _show_sync() == DEFAULTS
        with SessionLocal() as session:
            with pytest.raises(DBAPIError):
                session.execute(text("SELECT 1/0"))
            session.rollback()
            assert session.execute(text("SHOW statement_timeout")).scalar_one() == "5s"
            session.execute(text("SET LOCAL statement_timeout = 100"))
            session.rollback()
            assert session.execute(text("SHOW statement_timeout")).scalar_one() == "5s"
        assert _show_sync() == DEFAULTS  # the same pooled connection, checked out again

    async def test_async_engine_applies_timeouts_and_keeps_them_after_rollback(
        self, pg_url: str, timeout_mode: str
    ) -> None:
        database.async_bind(pg_url)
        assert await _show_async() == DEFAULTS
        async with AsyncSessionLocal() as session:
            with pytest.raises(DBAPIError):
                await session.execute(text("SELECT 1/0"))
            await session.rollback()
            assert (await session.execute(text("SHOW statement_timeout"))).scalar_one() == "5s"
        assert await _show_async() == DEFAULTS

    async def test_configured_values_reach_both_drivers(
        self, pg_url: str, monkeypatch: pytest.MonkeyPatch, timeout_mode: str
    ) -> None:
        monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "1500")
        monkeypatch.setenv("DB_LOCK_TIMEOUT_MS", "250")
        monkeypatch.setenv("DB_IDLE_IN_TX_TIMEOUT_MS", "0")
        expected = {
            "statement_timeout": "1500ms",
            "lock_timeout": "250ms",
            "idle_in_transaction_session_timeout": "0",
        }
        database.bind(pg_url)
        database.async_bind(pg_url)
        assert _show_sync() == expected
        assert await _show_async() == expected

    async def test_statement_timeout_cancels_on_both_drivers(
        self, pg_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "150")
        database.bind(pg_url)
        database.async_bind(pg_url)
        with SessionLocal() as session, pytest.raises(OperationalError) as sync_error:
            session.execute(text("SELECT pg_sleep(2)"))
        assert sync_error.value.orig.pgcode == "57014"  # type: ignore[union-attr]
        async with AsyncSessionLocal() as session:
            with pytest.raises(DBAPIError) as async_error:
                await session.execute(text("SELECT pg_sleep(2)"))
        assert async_error.value.orig.pgcode == "57014"  # type: ignore[union-attr]

    def test_off_mode_leaves_the_server_defaults(
        self, pg_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DB_TIMEOUT_MODE", "off")
        database.bind(pg_url)
        assert _show_sync()["statement_timeout"] == "0"

    def test_db_session_statement_timeout_applies_to_its_transactions_only(
        self, pg_url: str
    ) -> None:
        database.bind(pg_url)
        with database.db_session(statement_timeout_ms=300) as session:
            assert session.execute(text("SHOW statement_timeout")).scalar_one() == "300ms"
            session.commit()  # a new transaction gets the override again
            assert session.execute(text("SHOW statement_timeout")).scalar_one() == "300ms"
        assert _show_sync()["statement_timeout"] == "5s"

    async def test_async_db_session_statement_timeout(self, pg_url: str) -> None:
        database.async_bind(pg_url)
        async with database.async_db_session(statement_timeout_ms=120) as session:
            with pytest.raises(DBAPIError) as caught:
                await session.execute(text("SELECT pg_sleep(1)"))
        assert caught.value.orig.pgcode == "57014"  # type: ignore[union-attr]
        assert (await _show_async())["statement_timeout"] == "5s"

    def test_a_non_numeric_statement_timeout_is_a_configuration_error(self, pg_url: str) -> None:
        database.bind(pg_url)
        for bad, kind in (("soon", "str"), ([300], "list"), (True, "bool")):
            with pytest.raises(ConfigurationError, match=f"statement_timeout_ms.*got {kind}$"):  # noqa: SIM117
                with database.db_session(statement_timeout_ms=bad):  # type: ignore[arg-type]
                    pass

    def test_timeouts_a_pooler_dropped_are_reported(self, pg_url: str) -> None:
        url = make_url(pg_url)
        # A plain connection without the startup options: what PgBouncer's
        # ignore_startup_parameters would hand us.
        raw = psycopg2.connect(host=url.host, port=url.port, user=url.username, dbname=url.database)
        try:
            expected = {
                "statement_timeout": "5000",
                "lock_timeout": "2000",
                "idle_in_transaction_session_timeout": "10000",
            }
            with pytest.raises(ConfigurationError, match="DB_TIMEOUT_MODE=set"):
                _verify_timeouts(raw, expected, TimeoutMode.STARTUP)
        finally:
            raw.close()

    def test_an_engine_checks_its_first_connection(self, pg_url: str) -> None:
        """A ``connect`` hook run before serpens' changes one timeout, as a pooler's
        connect query would: the engine refuses the connection, naming it."""
        engine = database.bind(pg_url)

        def like_a_pooler(dbapi_connection: Any, _record: object) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
            dbapi_connection.commit()

        event.listen(engine, "connect", like_a_pooler, insert=True)
        with pytest.raises(ConfigurationError, match=r"lock_timeout='0' \(expected 2000\)"):
            engine.connect().close()
        event.remove(engine, "connect", like_a_pooler)
        with engine.connect() as connection:  # checked again, as none passed yet
            assert connection.exec_driver_sql("SHOW lock_timeout").scalar_one() == "2s"

    def test_the_report_names_each_wrong_value_and_the_hint_of_the_mode(self, pg_url: str) -> None:
        url = make_url(pg_url)
        raw = psycopg2.connect(host=url.host, port=url.port, user=url.username, dbname=url.database)
        try:
            with raw.cursor() as cursor:  # what a pooler that lost two of the SETs leaves
                cursor.execute("SET statement_timeout = 5000")
                cursor.execute("SET lock_timeout = 0")
                cursor.execute("SET idle_in_transaction_session_timeout = 3000")
            raw.commit()
            expected = {
                "statement_timeout": "5000",
                "lock_timeout": "2000",
                "idle_in_transaction_session_timeout": "10000",
            }
            named = (
                "PostgreSQL did not apply the configured timeouts: "
                "idle_in_transaction_session_timeout='3000' (expected 10000), "
                "lock_timeout='0' (expected 2000); "
            )
            with pytest.raises(ConfigurationError) as in_set_mode:
                _verify_timeouts(raw, expected, TimeoutMode.SET)
            assert str(in_set_mode.value) == (
                named + "the SET statements did not take effect; check the pooler's mode"
            )
            with pytest.raises(ConfigurationError) as at_startup:
                _verify_timeouts(raw, expected, TimeoutMode.STARTUP)
            assert str(at_startup.value) == (
                named + "a connection pooler may drop startup options; set DB_TIMEOUT_MODE=set"
            )
            _verify_timeouts(raw, {"statement_timeout": "5000"}, TimeoutMode.SET)  # all applied
        finally:
            raw.close()


class TestIdentification:
    @pytest.mark.parametrize(
        ("env", "expected"),
        [
            pytest.param({"APP_NAME": "billing"}, "billing", id="APP_NAME"),
            pytest.param(
                {"APP_NAME": "billing", "K_SERVICE": "billing-run"}, "billing-run", id="K_SERVICE"
            ),
            pytest.param(
                {"APP_NAME": "billing", "AWS_LAMBDA_FUNCTION_NAME": "billing-fn"},
                "billing-fn",
                id="AWS_LAMBDA_FUNCTION_NAME",
            ),
        ],
    )
    async def test_application_name_on_both_drivers(
        self, pg_url: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
    ) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        database.bind(pg_url)
        database.async_bind(pg_url)
        with SessionLocal() as session:
            assert session.execute(text("SHOW application_name")).scalar_one() == expected
        async with AsyncSessionLocal() as session:
            assert (await session.execute(text("SHOW application_name"))).scalar_one() == expected

    def test_lambda_pool_is_one_connection_without_overflow(
        self, pg_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
        engine = database.bind(pg_url)
        assert engine.pool.size() == 1  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 0  # type: ignore[attr-defined]

    def test_psycopg2_connections_carry_client_keepalives(self, pg_url: str) -> None:
        engine = database.bind(pg_url)
        with engine.connect() as connection:
            dsn = connection.connection.dbapi_connection.get_dsn_parameters()  # type: ignore[union-attr]
        assert (dsn["keepalives"], dsn["keepalives_idle"]) == ("1", "30")
        assert (dsn["keepalives_interval"], dsn["keepalives_count"]) == ("10", "3")
        assert dsn["connect_timeout"] == "5"

    async def test_asyncpg_connections_carry_server_keepalives(self, pg_url: str) -> None:
        database.async_bind(pg_url)
        async with AsyncSessionLocal() as session:
            idle = (await session.execute(text("SHOW tcp_keepalives_idle"))).scalar_one()
        assert idle == "30"

    async def test_set_mode_disables_asyncpg_statement_caches(
        self, pg_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DB_TIMEOUT_MODE", "set")
        engine = database.async_bind(pg_url)
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            adapted = raw.dbapi_connection
            assert adapted._prepared_statement_cache is None  # type: ignore[union-attr]
            assert adapted._connection._stmt_cache.get_max_size() == 0  # type: ignore[union-attr]


class TestSecrets:
    PASSWORD = "s3cr3t-pw"

    def test_failed_connection_never_shows_the_password(
        self, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DB_ECHO", "true")
        caplog.set_level(logging.DEBUG)
        url = f"postgresql://app:{self.PASSWORD}@127.0.0.1:1/app"
        engine = database.bind(url)
        assert self.PASSWORD not in repr(engine)
        assert self.PASSWORD not in str(engine.url)
        with pytest.raises(OperationalError) as caught:
            SessionLocal().execute(text("SELECT 1"))
        assert self.PASSWORD not in str(caught.value)
        assert self.PASSWORD not in repr(caught.value)
        assert self.PASSWORD not in caplog.text
        assert "app:***@127.0.0.1" in caplog.text

    async def test_failed_async_connection_never_shows_the_password(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        engine = database.async_bind(f"postgresql://app:{self.PASSWORD}@127.0.0.1:1/app")
        assert self.PASSWORD not in repr(engine)
        async with AsyncSessionLocal() as session:
            with pytest.raises(OSError) as caught:
                await session.execute(text("SELECT 1"))
        assert self.PASSWORD not in str(caught.value)
        assert self.PASSWORD not in caplog.text

    def test_working_connection_logs_never_show_the_password(
        self, pg_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DB_ECHO", "true")
        caplog.set_level(logging.DEBUG)
        url = make_url(pg_url).set(password=self.PASSWORD)  # trust auth ignores it
        database.bind(url)
        with SessionLocal() as session:
            session.execute(text("SELECT 1"))
        assert "SELECT 1" in caplog.text
        assert self.PASSWORD not in caplog.text


class TestLifecycle:
    @staticmethod
    def _connections(pg_url: str, application_name: str) -> int:
        engine = create_engine(
            make_url(pg_url).set(drivername="postgresql+psycopg2"), poolclass=NullPool
        )
        try:
            with engine.connect() as connection:
                return int(
                    connection.execute(
                        text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                        {"n": application_name},
                    ).scalar_one()
                )
        finally:
            engine.dispose()

    async def test_dispose_closes_the_pooled_connections(
        self, pg_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("APP_NAME", "serpens-dispose-test")
        database.bind(pg_url)
        database.async_bind(pg_url)
        with SessionLocal() as session:
            session.execute(text("SELECT 1"))
        async with AsyncSessionLocal() as session:
            await session.execute(text("SELECT 1"))
        assert self._connections(pg_url, "serpens-dispose-test") == 2
        database.dispose()
        await database.async_dispose()
        assert self._connections(pg_url, "serpens-dispose-test") == 0
