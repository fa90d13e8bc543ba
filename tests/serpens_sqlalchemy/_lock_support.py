"""What the SQL stores' deadline tests share: another session's lock, a call given up in time."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from serpens.errors import BackendTimeoutError

__all__ = ["advisory_lock_held", "gives_up_in_time"]


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
