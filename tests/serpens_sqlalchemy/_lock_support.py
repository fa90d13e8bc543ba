"""What the SQL stores' deadline tests share: another session's lock, a call given up in time."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from serpens.errors import BackendTimeoutError

__all__ = ["advisory_lock_held", "gives_up_in_time", "locked_before_the_second"]


@asynccontextmanager
async def advisory_lock_held(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """Another session holds the advisory lock keyed ``hashtext(name)`` inside the block,
    as a creator taking its turn does; it is released when the block ends."""
    async with engine.connect() as holder:
        await holder.execute(sa.select(sa.func.pg_advisory_lock(sa.func.hashtext(name))))
        try:
            yield
        finally:
            await holder.execute(sa.text("SELECT pg_advisory_unlock_all()"))
            await holder.commit()


async def gives_up_in_time(call: Awaitable[object], match: str, *, most: float) -> None:
    """*call* raises ``BackendTimeoutError`` matching *match* within *most* seconds."""
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError, match=match):
        await call
    assert time.monotonic() - started < most


@contextmanager
def locked_before_the_second(
    engine: AsyncEngine, postgres_url: str, marker: str, lock: str
) -> Iterator[list[str]]:
    """Another session runs *lock* just before *engine*'s second statement holding *marker*.

    A real ``before_cursor_execute`` hook; the other session (psycopg2) keeps its lock
    until the block ends, when it rolls back. Yields the statements holding *marker*.
    """
    locker = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    seen: list[str] = []
    held: list[sa.Connection] = []

    def lock_before_the_second(*args: Any) -> None:
        if marker in args[2]:
            seen.append(args[2])
            if len(seen) == 2:
                held.append(locker.connect())
                held[0].execute(sa.text(lock))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", lock_before_the_second)
    try:
        yield seen
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", lock_before_the_second)
        for conn in held:
            conn.close()  # rolls the lock back
        locker.dispose()
