"""A call made while every connection of a redis-py pool is held: its answer and its wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any


async def with_the_pool_full(pool: Any, call: Awaitable[object]) -> tuple[object, float]:
    """What *call* answers while every connection of *pool* is held, and how long it took."""
    held = [await pool.get_connection() for _ in range(pool.max_connections)]
    try:
        began = time.monotonic()
        answer = await asyncio.wait_for(call, timeout=5)
        return answer, time.monotonic() - began
    finally:
        for connection in held:
            await pool.release(connection)
