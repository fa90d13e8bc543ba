"""``connection_socket`` finds the socket the watchdog shuts down, for every shape it gets.

The deadlines wrap the dialect's calls, which hand over a psycopg2 connection, the
pool's proxy of one (commit, rollback, ping), SQLAlchemy's asyncpg adapter, the pool's
proxy of that, or a bare asyncpg connection (COPY, ``unnest``). Each must lead to the
socket connected to the server; a connection without one (a closed psycopg2 one,
SQLite) to ``None``, so the call runs unbounded rather than failing. ``has_deadlines``
tells whether an engine was given deadlines, ``0`` included. Real servers: PostgreSQL,
SQLite.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from serpens.testing import PostgresServer
from serpens_sqlalchemy._deadline import bound_round_trips, connection_socket, has_deadlines


def _peer_port(fd: int | None) -> int:
    """The remote port of the socket *fd* (looked at through a duplicate, left open)."""
    assert fd is not None
    sock = socket.socket(fileno=os.dup(fd))
    try:
        return int(sock.getpeername()[1])
    finally:
        sock.close()


def _url(postgres_url: str, driver: str) -> str:
    return f"postgresql+{driver}://" + postgres_url.split("://", 1)[1]


def test_a_psycopg2_connection_and_its_pool_proxy_lead_to_the_servers_socket(
    postgres_url: str, postgres_server: PostgresServer
) -> None:
    engine = sa.create_engine(_url(postgres_url, "psycopg2"))
    try:
        proxy: Any = engine.raw_connection()
        raw = proxy.dbapi_connection
        assert _peer_port(connection_socket(raw)) == postgres_server.port
        assert connection_socket(proxy) == connection_socket(raw) == raw.fileno()
        proxy.invalidate()  # closes the driver's connection: no socket any more
        assert raw.closed
        assert connection_socket(raw) is None
    finally:
        engine.dispose()


async def test_asyncpgs_adapter_its_pool_proxy_and_the_bare_connection_lead_to_the_socket(
    postgres_url: str, postgres_server: PostgresServer
) -> None:
    engine = create_async_engine(_url(postgres_url, "asyncpg"))
    try:
        async with engine.connect() as conn:
            proxy: Any = await conn.get_raw_connection()
            adapted = proxy.dbapi_connection
            bare = proxy.driver_connection
            fd = connection_socket(bare)
            assert _peer_port(fd) == postgres_server.port
            assert connection_socket(adapted) == fd
            assert connection_socket(proxy) == fd
    finally:
        await engine.dispose()


def test_a_connection_without_a_socket_is_none() -> None:
    engine = sa.create_engine("sqlite://")
    try:
        proxy: Any = engine.raw_connection()
        assert connection_socket(proxy.dbapi_connection) is None
        assert connection_socket(proxy) is None
        proxy.close()
    finally:
        engine.dispose()
    assert connection_socket(object()) is None


def test_an_engine_has_deadlines_once_bounded_even_at_zero(postgres_url: str) -> None:
    engine = sa.create_engine(_url(postgres_url, "psycopg2"))
    other = sa.create_engine(_url(postgres_url, "psycopg2"))
    try:
        assert not has_deadlines(engine)
        bound_round_trips(engine, statement_s=0, ping_s=0)
        assert has_deadlines(engine)
        assert not has_deadlines(other)  # only this engine's dialect changed
        with engine.connect() as conn:  # unbounded calls still run
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        engine.dispose()
        other.dispose()
