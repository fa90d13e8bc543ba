"""What the outbox suite's parts share: the capabilities, units of work, the topic.

Kept apart from the cases so that importing the suite registers every name a case's
``@requires(...)`` may use, whichever case module is read first.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Literal

# Imported first: the outage cases register a "strict_outage" of every port.
import serpens_contract.outage  # noqa: F401
from serpens.ports import Outbox, OutboxStore
from serpens_contract._clock import ManualClock
from serpens_contract.capabilities import register_capability

__all__ = [
    "TOPIC",
    "ManualClock",
    "OutboxCapabilities",
    "OutboxUnit",
    "StoreMaker",
    "UnitMaker",
    "commit_messages",
    "settle",
]

TOPIC = "projects/contract/topics/orders"
"""The topic of the suite's messages (any well-formed topic would do: nothing publishes)."""


@dataclass(frozen=True)
class OutboxUnit:
    """One unit of work of the service, with the outbox opened on it.

    ``commit`` and ``rollback`` are the unit's own (a ``Session``'s methods, an
    ``AsyncSession``'s, an ``InMemorySession``'s): sync or async, the suite awaits
    what they return. ``flush`` writes the staged messages without committing (a
    ``Session``'s ``flush``; on the fake, a repository's of ``OutboxRecord`` on the
    session), so they take their ids; ``None`` skips the cases that need it.
    """

    outbox: Outbox
    commit: Callable[[], Awaitable[None] | None]
    rollback: Callable[[], Awaitable[None] | None]
    flush: Callable[[], Awaitable[None] | None] | None = None


UnitMaker = Callable[[], AbstractAsyncContextManager[OutboxUnit]]
"""Opens a unit of work; leaving the block closes it (uncommitted messages dropped)."""

StoreMaker = Callable[[], OutboxStore]
"""Opens a store on the outbox the units commit to: each call another relay's."""


async def settle(result: Awaitable[None] | None) -> None:
    """Await *result* when a unit's method returned an awaitable (async sessions)."""
    if inspect.isawaitable(result):
        await result


async def commit_messages(open_unit: UnitMaker, *messages: dict[str, Any]) -> list[str]:
    """Put *messages* (``put``'s keyword arguments) in one unit of work, commit it: the keys."""
    async with open_unit() as work:
        keys = [work.outbox.put(**{"topic": TOPIC, **message}) for message in messages]
        await settle(work.commit())
    return keys


@dataclass(frozen=True)
class OutboxCapabilities:
    """Honest differences between outbox stores.

    Attributes:
        clock: ``"injected"`` when the store reads time from the suite's ``clock``
            fixture; ``"real"`` when time is the server's or the process's own.
        time_unit: a lease or delay the store honours to within a tenth of itself in
            real time (PostgreSQL: 0.3 s).
    """

    clock: Literal["injected", "real"] = "real"
    time_unit: float = 0.3


register_capability(
    "outbox",
    "injected_clock",
    lambda c: c.clock == "injected",
    "leases and delays follow the suite's ManualClock (boundaries tested without sleeping)",
)
