"""One ``DATABASE_URL`` with libpq query parameters works on psycopg2 and asyncpg alike.

asyncpg takes none of libpq's names as keywords: ``?sslmode=...`` used to fail with a raw
``TypeError`` on the first async session. Each parameter is tried against a real
PostgreSQL through ``bind()`` and ``async_bind()``.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from serpens import database
from serpens.database._query import asyncpg_query, split_options
from serpens.errors import ConfigurationError

pytestmark = pytest.mark.postgres

SETTINGS = (
    "select current_setting('application_name'), current_setting('work_mem'), "
    "current_setting('statement_timeout')"
)


def _sync(url: str) -> tuple[str, ...]:
    database.bind(url)
    with database.db_session() as session:
        return tuple(session.execute(text(SETTINGS)).one())


async def _async(url: str) -> tuple[str, ...]:
    database.async_bind(url)
    async with database.async_db_session() as session:
        return tuple((await session.execute(text(SETTINGS))).one())


async def _both(url: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return _sync(url), await _async(url)


def _server_has_ssl(url: str) -> bool:
    database.bind(url)
    with database.db_session() as session:
        return session.scalar(text("show ssl")) == "on"


class TestSharedUrl:
    @pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
    async def test_sslmodes_a_server_without_tls_accepts_work_on_both(
        self, pg_url: str, mode: str
    ) -> None:
        sync, asynchronous = await _both(f"{pg_url}?sslmode={mode}")
        assert sync == asynchronous == ("serpens", "4MB", "5s")

    async def test_sslmode_require_fails_clearly_on_both_without_tls(self, pg_url: str) -> None:
        if _server_has_ssl(pg_url):
            assert (await _both(f"{pg_url}?sslmode=require"))[1][0] == "serpens"
            return
        with pytest.raises(Exception, match="SSL") as caught:
            _sync(f"{pg_url}?sslmode=require")
        assert not isinstance(caught.value, TypeError)
        with pytest.raises(Exception, match="SSL") as caught:
            await _async(f"{pg_url}?sslmode=require")
        assert not isinstance(caught.value, TypeError)

    async def test_connect_timeout_and_application_name_work_on_both(self, pg_url: str) -> None:
        sync, asynchronous = await _both(f"{pg_url}?connect_timeout=3&application_name=billing")
        assert sync == asynchronous == ("billing", "4MB", "5s")

    async def test_options_settings_reach_both_but_the_configured_timeouts_win(
        self, pg_url: str
    ) -> None:
        options = quote("-c work_mem=5MB -c statement_timeout=0")
        sync, asynchronous = await _both(f"{pg_url}?options={options}")
        assert sync == asynchronous == ("serpens", "5MB", "5s")

    async def test_a_parameter_neither_driver_takes_fails_at_bind_masked(self, pg_url: str) -> None:
        url = make_url(pg_url).set(password="Pw-S3cr3t").render_as_string(hide_password=False)
        for bind in (database.bind, database.async_bind):
            with pytest.raises(ConfigurationError, match="sslmod") as caught:
                bind(f"{url}?sslmod=require")
            assert "Pw-S3cr3t" not in str(caught.value)

    def test_libpq_parameters_asyncpg_cannot_honour_fail_at_async_bind(self, pg_url: str) -> None:
        with pytest.raises(ConfigurationError, match="channel_binding=require"):
            database.async_bind(f"{pg_url}?channel_binding=require")
        with pytest.raises(ConfigurationError, match="sslmode must be one of"):
            database.async_bind(f"{pg_url}?sslmode=bogus")
        with pytest.raises(ConfigurationError, match="connect_timeout must be a number"):
            database.async_bind(f"{pg_url}?connect_timeout=soon")
        with pytest.raises(ConfigurationError, match="-i"):
            database.async_bind(f"{pg_url}?options=-i")


class TestAsyncpgQuery:
    def test_translates_each_libpq_parameter(self) -> None:
        url = make_url(
            "postgresql+asyncpg://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem"
            "&connect_timeout=3&application_name=x&keepalives=1&keepalives_idle=40"
            "&gssencmode=disable&prepared_statement_cache_size=0"
        )
        rest, args = asyncpg_query(url, "<url>")
        assert dict(rest.query) == {"prepared_statement_cache_size": "0"}
        assert args == {
            "timeout": 3.0,
            "server_settings": {"application_name": "x", "tcp_keepalives_idle": "40"},
            "dsn": "postgresql://?sslmode=verify-full&sslrootcert=%2Fca.pem",
        }

    def test_options_are_split_as_libpq_splits_them(self) -> None:
        assert split_options(r"-c search_path=a\ b -cwork_mem=5MB --geqo=off", "") == {
            "search_path": "a b",
            "work_mem": "5MB",
            "geqo": "off",
        }
