"""The committed rows of one table of the in-memory repository, and where rules write.

:class:`TableRows` is the shared, committed state (with its unique, ordered and equality
indexes); :class:`RowStore` is what the row rules write through, so the same rules serve
the committed rows and a unit of work's pending rows
(:class:`~serpens.fakes._repository_work.PendingRows`).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Protocol

from serpens.errors import ValidationError
from serpens.fakes._repository_index import (
    EqualityIndex,
    OrderedIndex,
    OrderKey,
    Unique,
    unique_key,
)

__all__ = ["RowStore", "TableRows"]

Row = dict[str, object]


class TableRows:
    """Committed rows of one table keyed by primary-key tuple, with their indexes.

    Written only by a unit of work's commit (``PendingRows.publish``), which checks every
    row before it writes any: a commit is stored completely or not at all. Units of work
    on other threads share it: :attr:`lock` is held by a commit, by a read of many rows
    (so it sees a commit whole or not at all, as a SQL statement does) and while an index
    is built; the key sequence hands out each number once.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[object, ...], Row] = {}
        self.last_id = 0
        self.lock = threading.RLock()
        self._indexes: dict[Unique, dict[tuple[object, ...], tuple[object, ...]]] = {}
        self._ordered: dict[OrderKey, OrderedIndex] = {}
        self._equal: dict[str, EqualityIndex | None] = {}  # None: a value has no stand-in
        self._units: weakref.WeakSet[Any] = weakref.WeakSet()

    def opened(self, unit: object) -> None:
        """Note a unit of work that has written to this table and not yet ended."""
        with self.lock:
            self._units.add(unit)

    def ended(self, unit: object) -> None:
        """Forget *unit* (committed or discarded): see :meth:`opened`."""
        with self.lock:
            self._units.discard(unit)

    def open_units(self) -> list[Any]:
        """The units of work with uncommitted writes to this table (a foreign key's look)."""
        with self.lock:
            return list(self._units)

    def next_id(self) -> int:
        """The key sequence's next number: never the same twice, whatever thread asks."""
        with self.lock:
            self.last_id += 1
            return self.last_id

    def index(self, unique: Unique) -> dict[tuple[object, ...], tuple[object, ...]]:
        """Values -> primary key for one unique column set (rows with a NULL are left out)."""
        found = self._indexes.get(unique)
        if found is None:
            with self.lock:  # built from every row: no commit may land halfway
                found = self._indexes.get(unique)
                if found is None:
                    found = {}
                    for pk, row in self.rows.items():
                        self._link(unique, found, row, pk)
                    self._indexes[unique] = found
        return found

    def ordered(self, order: OrderKey) -> OrderedIndex:
        """The keys in *order* (a total order: the primary key is its last term)."""
        found = self._ordered.get(order)
        if found is None:
            with self.lock:
                found = self._ordered.get(order)
                if found is None:
                    found = self._ordered[order] = OrderedIndex(self.rows, order)
        return found

    def equal(self, column: str) -> EqualityIndex | None:
        """Values of *column* -> keys; ``None`` when a value has no hashable stand-in."""
        if column in self._equal:
            return self._equal[column]
        with self.lock:
            if column in self._equal:
                return self._equal[column]
            try:
                found: EqualityIndex | None = EqualityIndex(self.rows, column)
            except ValidationError:  # neither hashable nor picklable: scanned instead
                found = None
            self._equal[column] = found
            return found

    @staticmethod
    def _link(unique: Unique, index: dict[Any, Any], row: Row, pk: Any) -> None:
        values = unique_key(row, unique)
        if values is not None:
            index[values] = pk

    def write(self, pk: tuple[object, ...], row: Row) -> None:
        """Store *row* under *pk*, keeping the indexes current."""
        old = self.rows.get(pk)
        for unique, index in self._indexes.items():
            if old is not None:
                values = unique_key(old, unique)
                if values is not None and index.get(values) == pk:  # another row may hold them
                    del index[values]
            self._link(unique, index, row, pk)
        if old is not None:
            self._unindex(pk, old)
        self.rows[pk] = row
        self._reindex(pk, row)

    def remove(self, pk: tuple[object, ...]) -> None:
        """Delete the row under *pk*, if any, keeping the indexes current.

        The repository port deletes nothing; the in-memory outbox store deletes the
        messages it delivered, as the SQL store does.
        """
        with self.lock:
            old = self.rows.get(pk)
            if old is None:
                return
            for unique, index in self._indexes.items():
                values = unique_key(old, unique)
                if values is not None and index.get(values) == pk:
                    del index[values]
            self._unindex(pk, old)
            del self.rows[pk]

    def _unindex(self, pk: tuple[object, ...], old: Row) -> None:
        """Drop *old* from the secondary indexes (it is still stored under *pk*)."""
        for ordered in self._ordered.values():
            ordered.remove(self.rows, pk, old)
        for equal in self._equal.values():
            if equal is not None:
                equal.discard(pk, old)

    def _reindex(self, pk: tuple[object, ...], row: Row) -> None:
        """Add *row*, now stored under *pk*, to the secondary indexes."""
        for ordered in self._ordered.values():
            ordered.insert(self.rows, pk, row)
        for column, equal in self._equal.items():
            if equal is not None:
                try:
                    equal.add(pk, row)
                except ValidationError:  # a value with no stand-in: this column is scanned
                    self._equal[column] = None


class RowStore(Protocol):
    """Where :class:`RowRules` writes: committed ``TableRows`` or a unit of work's pending rows."""

    def next_id(self) -> int:
        """The table's key sequence's next number."""
        ...

    @property
    def rows(self) -> Any:
        """Stored rows by key (``get``, ``in``, ``[]``)."""
        ...

    def index(self, unique: Unique) -> Any:
        """Values -> key for one unique column set (``get``)."""
        ...

    def write(self, pk: tuple[object, ...], row: Row) -> None:
        """Store *row* under *pk*."""
        ...
