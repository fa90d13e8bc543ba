"""A terminate made outside any task keeps SQLAlchemy's behaviour: the close is forced.

``close_at_once`` runs a terminate made in a task apart; SQLAlchemy also terminates
outside one (the pool's cleanup of a connection lost to the garbage collector, with no
loop running), where its asyncpg adapter forces the close at once, and so must the
hooked dialect. Real server: PostgreSQL (asyncpg).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from serpens_sqlalchemy._terminate import close_at_once


def test_a_terminate_with_no_loop_running_forces_the_close(postgres_url: str) -> None:
    engine = create_async_engine("postgresql+asyncpg://" + postgres_url.split("://", 1)[1])
    close_at_once(engine.sync_engine)
    loop = asyncio.new_event_loop()

    async def checkout() -> tuple[AsyncConnection, Any]:
        conn = await engine.connect()
        assert (await conn.exec_driver_sql("SELECT 1")).scalar_one() == 1
        return conn, (await conn.get_raw_connection()).dbapi_connection

    try:
        conn, adapted = loop.run_until_complete(checkout())
        assert not adapted._connection.is_closed()
        engine.sync_engine.dialect.do_terminate(adapted)  # no loop running, no task
        assert adapted._connection.is_closed()
        loop.run_until_complete(conn.invalidate())  # the pool lets it go
        loop.run_until_complete(conn.close())
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()
