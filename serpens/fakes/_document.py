"""In-memory DocumentStore with DynamoDB's observable semantics."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from serpens._rules.document import (
    KeyType,
    check_item_size,
    check_query,
    check_table,
    check_table_name,
    from_stored,
    key_type_code,
    stored_key,
    to_stored,
)
from serpens.errors import ConflictError, NotFoundError
from serpens.fakes._outage import OutageSwitch
from serpens.ports import Item, KeyValue

__all__ = ["InMemoryDocumentStore"]


@dataclass
class _Table:
    partition_key: str
    sort_key: str | None
    types: dict[str, KeyType]
    items: dict[tuple[object, ...], dict[str, object]] = field(default_factory=dict)

    def key_of(self, values: Mapping[str, object], *, exact: bool) -> tuple[object, ...]:
        key = stored_key(values, self.partition_key, self.sort_key, exact=exact, types=self.types)
        return tuple(key.values())


class InMemoryDocumentStore(OutageSwitch):
    """A :class:`serpens.ports.DocumentStore` kept in a dict, for unit tests.

    Tables must be created first with :meth:`create_table`, as on DynamoDB. Items are
    stored as normalised copies, so mutating what you put or got changes nothing here.
    DynamoDB's limits hold here too: key attributes of their declared type, an item of at
    most 400 KB counted as DynamoDB counts it (see :func:`serpens.ports.DocumentStore`).
    A query returns every matching item at once (DynamoDB's 1 MB pages are followed by
    the adapter). Safe to share between threads: a conditional put checks and writes as
    one step, as DynamoDB does, so of threads racing to create one item exactly one wins.
    """

    def __init__(self) -> None:
        self._tables: dict[str, _Table] = {}
        self._lock = threading.Lock()  # held by every check-then-write and every read of many

    def create_table(
        self,
        table: str,
        partition_key: str,
        sort_key: str | None = None,
        *,
        partition_type: KeyType = str,
        sort_type: KeyType = str,
    ) -> None:
        """Create *table* keyed by *partition_key* (and *sort_key*); existing -> ConflictError.

        *partition_type* and *sort_type* (``str``, ``int`` or ``bytes``) are the key
        attributes' types: a key of another type is a ValidationError, as on DynamoDB.
        Names DynamoDB refuses are a ValidationError too (see
        :meth:`serpens.ports.DocumentStore`): an empty table or key name, a sort key named
        like the partition key.
        """
        check_table(table, partition_key, sort_key)
        types = {partition_key: partition_type}
        key_type_code(partition_type)
        if sort_key is not None:
            key_type_code(sort_type)
            types[sort_key] = sort_type
        with self._lock:
            if table in self._tables:
                raise ConflictError(f"table {table!r} already exists")
            self._tables[table] = _Table(partition_key, sort_key, types)

    def _table(self, table: str) -> _Table:
        check_table_name(table)  # before any I/O, as the adapter checks it
        self._check_outage()  # every port operation starts here
        try:
            return self._tables[table]
        except KeyError:
            raise NotFoundError(f"table {table!r} does not exist") from None

    def put(self, table: str, item: Mapping[str, object], *, if_absent: bool = False) -> None:
        """See :meth:`serpens.ports.DocumentStore.put`."""
        target = self._table(table)
        key = target.key_of(item, exact=False)
        stored = to_stored(item)
        check_item_size(stored)  # type: ignore[arg-type] # to_stored of a Mapping is a dict
        with self._lock:
            if if_absent and key in target.items:
                raise ConflictError(f"an item with key {key!r} already exists in {table!r}")
            target.items[key] = stored  # type: ignore[assignment] # to_stored of a Mapping is a dict

    def get(self, table: str, key: Mapping[str, KeyValue]) -> Item | None:
        """See :meth:`serpens.ports.DocumentStore.get`."""
        target = self._table(table)
        stored = target.items.get(target.key_of(key, exact=True))
        return None if stored is None else from_stored(stored)  # type: ignore[return-value]  # a new copy

    def delete(self, table: str, key: Mapping[str, KeyValue]) -> bool:
        """See :meth:`serpens.ports.DocumentStore.delete`."""
        target = self._table(table)
        wanted = target.key_of(key, exact=True)
        with self._lock:
            return target.items.pop(wanted, None) is not None

    def query(
        self,
        table: str,
        partition: KeyValue,
        *,
        sort_prefix: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> Sequence[Item]:
        """See :meth:`serpens.ports.DocumentStore.query`."""
        target = self._table(table)
        check_query(
            table,
            target.partition_key,
            target.sort_key,
            partition,
            sort_prefix=sort_prefix,
            limit=limit,
            types=target.types,
        )
        wanted = to_stored(partition)
        with self._lock:  # another thread's put would change the dict under the loop
            rows = [(key, item) for key, item in target.items.items() if key[0] == wanted]
        if sort_prefix is not None:  # check_query made sure the sort key holds strings
            rows = [(key, item) for key, item in rows if str(key[1]).startswith(sort_prefix)]
        rows.sort(key=lambda row: _sort_value(row[0]), reverse=descending)
        selected = rows if limit is None else rows[:limit]
        return [from_stored(item) for _, item in selected]  # type: ignore[misc]  # new copies


def _sort_value(key: tuple[object, ...]) -> Any:
    """Order like DynamoDB: strings by UTF-8 bytes (code points), numbers numerically."""
    return key[1] if len(key) > 1 else 0
