"""Cancel a call after every number of event-loop turns: the async suites' cancel cases.

A call is cancelled after 0, 1, 2, ... turns of the loop, so the cancel lands at every
``await`` it makes (a pool, a write, a read, a wait). A call may finish before its
cancel; one that a cancel found running must end in ``CancelledError``. A library that
swallows the cancel and returns (Python 3.11's ``asyncio.wait_for`` does, when the
cancel meets the end of the future it waits for) lets the caller go on past the
``asyncio.timeout`` or ``TaskGroup`` that stopped it: a call blocking past its deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

TURNS = 40
"""Turns tried: past the last ``await`` of one round trip of every backend served here."""


async def cancels_not_honoured(
    call: Callable[[], Awaitable[Any]],
    *,
    before: Callable[[], Awaitable[Any]] | None = None,
    turns: int = TURNS,
) -> list[str]:
    """How each cancel that found *call* running failed to end it (empty: none failed).

    *before* runs ahead of each attempt (a message to receive, an entry to miss).
    """
    found: list[str] = []
    for waited in range(turns):
        if before is not None:
            await before()
        task = asyncio.ensure_future(call())
        for _ in range(waited):
            await asyncio.sleep(0)
        if task.cancel():
            await asyncio.wait({task}, timeout=5)
            if not task.cancelled():
                ended = task.done() and repr(task.exception() or task.result())
                found.append(f"cancelled after {waited} turns: {ended or 'still running'}")
                task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return found
