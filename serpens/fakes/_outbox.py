"""In-memory outbox: messages staged as rows of the fake repository's database.

:class:`InMemoryOutbox` stages each message as an ``OutboxRecord`` in an
:class:`~serpens.fakes.InMemorySession`, so it commits, rolls back and suffers outages
with the rows the service writes beside it, as the SQL outbox does in a ``Session``.
:class:`InMemoryOutboxStore` is the relay's side over the same database; its decisions
are those of :mod:`serpens._rules.outbox`, as the PostgreSQL store's are.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence

from serpens._rules.outbox import (
    OutboxRecord,
    check_after,
    check_lease,
    check_limit,
    check_message,
    check_messages,
    claimable,
    due,
    holds,
    lease_lost,
    stage,
    take,
)
from serpens.fakes._outage import OutageSwitch
from serpens.fakes._repository import InMemoryRepository
from serpens.fakes._repository_database import InMemoryDatabase
from serpens.fakes._repository_unit import InMemorySession
from serpens.ports import OutboxMessage, Payload

__all__ = ["InMemoryOutbox", "InMemoryOutboxStore"]

_LOCKS: weakref.WeakKeyDictionary[InMemoryDatabase, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()


def _lock_of(database: InMemoryDatabase) -> threading.Lock:
    """One lock per database: the claims and settlements of its stores take turns.

    As ``FOR UPDATE SKIP LOCKED`` keeps two relays off one message.
    """
    with _LOCKS_LOCK:
        lock = _LOCKS.get(database)
        if lock is None:
            lock = _LOCKS[database] = threading.Lock()
        return lock


class InMemoryOutbox:
    """An :class:`serpens.ports.Outbox` staging messages in an :class:`InMemorySession`.

    Open it on the session the service's repositories share: the messages commit with
    their rows, or are dropped with them.

    Args:
        session: the unit of work (``InMemoryRepository(Model, session=session)``
            shares it); the messages become rows of its database's ``serpens_outbox``.
    """

    def __init__(self, session: InMemorySession) -> None:
        self._rows: InMemoryRepository[OutboxRecord] = InMemoryRepository(
            OutboxRecord, session=session
        )

    def __repr__(self) -> str:
        return f"<InMemoryOutbox on {self._rows.database!r}>"

    def put(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """See :meth:`serpens.ports.Outbox.put`."""
        record = stage(topic, payload, attributes, ordering_key)
        self._rows.add(record)
        return record.key


class InMemoryOutboxStore(OutageSwitch):
    """An :class:`serpens.ports.OutboxStore` over an :class:`InMemoryDatabase`, for unit tests.

    It sees the messages :class:`InMemoryOutbox` staged in units of work on *database*
    once they commit. Each call is a unit of work of its own on the database, so an
    outage of the database (``database.outage()``) or of the store (``store.outage()``)
    makes it raise ``BackendUnavailableError`` having changed nothing.

    Args:
        database: the database the service's units of work commit to.
        clock: seconds since the epoch (default ``time.time``); inject one to move time
            in a test. Leases and delays are counted on it in whole milliseconds
            (the clock rounded to the nearest).
    """

    def __init__(
        self, database: InMemoryDatabase, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.database = database
        self._clock = clock
        self._lock = _lock_of(database)

    def __repr__(self) -> str:
        return f"<InMemoryOutboxStore on {self.database!r}>"

    def _now(self) -> int:
        return round(self._clock() * 1000)

    def _rows(self) -> InMemoryRepository[OutboxRecord]:
        self._check_outage()
        return InMemoryRepository(OutboxRecord, database=self.database)

    async def claim(self, *, limit: int = 100, lease: float = 30.0) -> Sequence[OutboxMessage]:
        """See :meth:`serpens.ports.OutboxStore.claim`."""
        limit = check_limit(limit)
        lease_ms = check_lease(lease)
        with self._lock:
            rows = self._rows()
            now = self._now()
            claimed = [
                take(record, now, lease_ms) for record in due(rows.list(order_by="id"), now, limit)
            ]
            rows.commit()
        return claimed

    async def delivered(self, message: OutboxMessage) -> None:
        """See :meth:`serpens.ports.OutboxStore.delivered`."""
        check_message(message)
        with self._lock:
            rows = self._rows()
            record = rows.get(message.id) if claimable(message) else None
            if record is None or not holds(record, message, self._now()):
                raise lease_lost(message)
            self.database.table(OutboxRecord.__table__).remove((message.id,))

    async def delivered_many(self, messages: Sequence[OutboxMessage]) -> Sequence[OutboxMessage]:
        """See :meth:`serpens.ports.OutboxStore.delivered_many`."""
        checked = check_messages(messages)
        if not checked:
            return []
        with self._lock:
            rows = self._rows()
            now = self._now()
            held = {
                (m.id, m.token) for m in checked if claimable(m) and holds(rows.get(m.id), m, now)
            }
            table = self.database.table(OutboxRecord.__table__)
            for ident, _token in held:
                table.remove((ident,))
        return [m for m in checked if (m.id, m.token) not in held]

    async def retry(self, message: OutboxMessage, *, after: float = 0.0) -> None:
        """See :meth:`serpens.ports.OutboxStore.retry`."""
        check_message(message)
        after_ms = check_after(after)
        with self._lock:
            rows = self._rows()
            record = rows.get(message.id) if claimable(message) else None
            now = self._now()
            if record is None or not holds(record, message, now):
                raise lease_lost(message)
            record.token += 1
            record.hidden_until = now + after_ms
            rows.commit()

    async def pending(self) -> int:
        """See :meth:`serpens.ports.OutboxStore.pending`."""
        return self._rows().count()
