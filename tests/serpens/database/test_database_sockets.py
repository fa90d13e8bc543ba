"""What each connection of serpens' engines carries on a real PostgreSQL: socket options
and ``search_path`` values that need escaping in libpq's ``options``.

asyncpg has no keepalive option: serpens sets TCP keepalives and ``TCP_USER_TIMEOUT``
on its socket once connected, read back here with ``getsockopt``. libpq splits
``options`` on whitespace, so a schema name with a space or a backslash must be escaped
to reach the server whole.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from serpens import database
from serpens_sqlalchemy._deadline import connection_socket

pytestmark = pytest.mark.postgres

_TCP = [
    ("TCP_KEEPIDLE", 30),
    ("TCP_KEEPINTVL", 10),
    ("TCP_KEEPCNT", 3),
]


def _options(fd: int) -> dict[str, int]:
    sock = socket.socket(fileno=fd)
    try:
        found = {"SO_KEEPALIVE": sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)}
        for name, _ in [*_TCP, ("TCP_USER_TIMEOUT", 0)]:
            found[name] = sock.getsockopt(socket.IPPROTO_TCP, getattr(socket, name))
        return found
    finally:
        sock.detach()


async def _asyncpg_socket_options() -> dict[str, int]:
    async with database.AsyncSessionLocal() as session:
        connection = await session.connection()
        raw: Any = await connection.get_raw_connection()
        fd = connection_socket(raw.dbapi_connection)
        assert fd is not None
        return _options(fd)


@pytest.mark.skipif(not hasattr(socket, "TCP_USER_TIMEOUT"), reason="Linux socket options")
class TestAsyncpgSocket:
    async def test_keepalives_and_the_user_timeout_are_set(self, pg_url: str) -> None:
        database.async_bind(pg_url)
        assert await _asyncpg_socket_options() == {
            "SO_KEEPALIVE": 1,
            **dict(_TCP),
            "TCP_USER_TIMEOUT": 7000,
        }

    async def test_the_user_timeout_follows_db_client_timeout_ms(
        self, pg_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DB_CLIENT_TIMEOUT_MS", "4500")
        database.async_bind(pg_url)
        assert (await _asyncpg_socket_options())["TCP_USER_TIMEOUT"] == 4500
        monkeypatch.setenv("DB_CLIENT_TIMEOUT_MS", "0")
        database.async_bind(pg_url)
        options = await _asyncpg_socket_options()
        assert (options["SO_KEEPALIVE"], options["TCP_USER_TIMEOUT"]) == (1, 0)


_ODD = ["odd schema", "back\\slash"]


@pytest.fixture(name="odd_schemas")
def _odd_schemas(fresh_pg_url: str) -> str:
    engine = create_engine(
        make_url(fresh_pg_url).set(drivername="postgresql+psycopg2"), poolclass=NullPool
    )
    try:
        with engine.begin() as connection:
            for name in _ODD:
                quoted = '"' + name.replace('"', '""') + '"'
                connection.exec_driver_sql(f"CREATE SCHEMA {quoted}")
    finally:
        engine.dispose()
    return fresh_pg_url


class TestSearchPathEscaping:
    async def test_names_with_blanks_and_backslashes_reach_both_drivers_whole(
        self, odd_schemas: str
    ) -> None:
        path = ",".join(_ODD)
        query = text("SELECT current_schemas(false)")
        database.bind(odd_schemas, search_path=path)
        with database.db_session() as session:
            assert session.execute(query).scalar_one() == _ODD
        database.async_bind(odd_schemas, search_path=path)
        async with database.async_db_session() as async_session:
            assert (await async_session.execute(query)).scalar_one() == _ODD

    def test_set_mode_sets_them_whole_too(
        self, odd_schemas: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DB_TIMEOUT_MODE", "set")
        database.bind(odd_schemas, search_path=",".join(_ODD))
        with database.db_session() as session:
            assert session.execute(text("SELECT current_schemas(false)")).scalar_one() == _ODD
