"""One unit of work of the in-memory repository: pending writes over the committed rows.

A :class:`PendingRows` holds the rows one repository (one "session") wrote and has not
committed, layered over the shared :class:`~serpens.fakes._repository_rows.TableRows`. Reads inside
the unit of work see its own writes; other units of work see only committed rows, as under
PostgreSQL's READ COMMITTED. :meth:`PendingRows.publish` applies every pending row at once
or none (a duplicate key or a stale version committed meanwhile raises ``ConflictError``);
:meth:`PendingRows.discard` forgets them. Key sequences are not transactional, as in SQL:
keys handed out by a discarded unit of work are never reused.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from serpens._rules.repository import ModelInfo
from serpens.errors import ConflictError
from serpens.fakes._repository_index import (
    OrderKey,
    Unique,
    duplicate,
    lookup,
    precedes,
    sort_rows,
    unique_key,
)
from serpens.fakes._repository_rows import TableRows

__all__ = ["PendingRows"]

Row = dict[str, object]
Key = tuple[object, ...]
# Below this many committed rows a filtered ordered read sorts its matches; above it, when
# the matches are a large share of the table, it walks the ordered index instead.
_WALK_MIN_ROWS = 256


def _own(row: Row, kind: Any) -> bool:  # a single-table subclass's row (kind: Inheritance)
    return kind is None or bool(kind.sees(row[kind.key]))


def _matches(row: Row, filters: Mapping[str, object]) -> bool:
    for key, value in filters.items():
        got = row[key]
        # identity first, as dicts and tuples compare: the one stored NaN equals itself
        if (got is not None) if value is None else (got is not value and got != value):
            return False
    return True


class _Merged:
    """The rows as this unit of work sees them: its own writes over the committed rows."""

    __slots__ = ("_base", "_writes")

    def __init__(self, writes: dict[Key, Row], base: dict[Key, Row]) -> None:
        self._writes = writes
        self._base = base

    def get(self, pk: Key, default: Row | None = None) -> Row | None:
        row = self._writes.get(pk)
        if row is not None:
            return row
        return self._base.get(pk, default)

    def __contains__(self, pk: object) -> bool:
        return pk in self._writes or pk in self._base

    def __getitem__(self, pk: Key) -> Row:
        row = self._writes.get(pk)
        return self._base[pk] if row is None else row


class _MergedIndex:
    """A unique index as this unit of work sees it."""

    __slots__ = ("_base", "_mine", "_writes")

    def __init__(self, mine: dict[Key, Key], base: dict[Key, Key], writes: dict[Key, Row]) -> None:
        self._mine = mine
        self._base = base
        self._writes = writes

    def get(self, values: Key) -> Key | None:
        pk = self._mine.get(values)
        if pk is not None:
            return pk
        pk = self._base.get(values)
        # A committed holder this unit of work rewrote no longer holds the values (else its
        # pending row would be in this unit of work's own index).
        return None if pk is None or pk in self._writes else pk


class PendingRows:
    """Pending writes of one unit of work to one table; quacks like ``TableRows`` for writes."""

    __slots__ = (
        "__weakref__",
        "_indexes",
        "_undo",
        "_views",
        "base",
        "info",
        "origins",
        "rows",
        "uniques",
        "writes",
    )

    def __init__(self, base: TableRows, info: ModelInfo, uniques: Sequence[Unique]) -> None:
        self.base = base
        self.info = info
        self.uniques = uniques
        """Every unique set but the primary key: the row rules' ``uniques``."""
        self.writes: dict[Key, Row] = {}
        self.origins: dict[Key, Row | None] = {}  # the committed row when first written
        self.rows = _Merged(self.writes, base.rows)
        self._indexes: dict[Unique, dict[Key, Key]] = {}
        self._views: dict[Unique, _MergedIndex] = {}  # one view per index, kept
        self._undo: list[tuple[Key, Row | None, bool]] | None = None

    # -- the TableRows interface RowRules writes through ---------------------------------
    def next_id(self) -> int:
        """The table's key sequence (shared and never rolled back, like a SQL sequence)."""
        return self.base.next_id()

    def index(self, unique: Unique) -> _MergedIndex | dict[Key, Key]:
        """The unique index of *unique* as this unit of work sees it.

        Until this unit of work writes, that is the committed index itself (no view to
        build); a view merging its own rows is built, and kept current, from the first
        write on.
        """
        merged = self._views.get(unique)
        if merged is None:
            if not self.writes:
                return self.base.index(unique)
            mine = self._indexes[unique] = {}
            for pk, row in self.writes.items():
                values = unique_key(row, unique)
                if values is not None:
                    mine[values] = pk
            merged = self._views[unique] = _MergedIndex(mine, self.base.index(unique), self.writes)
        return merged

    def write(self, pk: Key, row: Row) -> None:
        """Record *row* as this unit of work's version of *pk*."""
        old = self.writes.get(pk)
        first = pk not in self.origins
        if self._undo is not None:
            self._undo.append((pk, old, first))
        if first:
            if not self.origins:  # this unit's first write: open until it ends
                self.base.opened(self)
            self.origins[pk] = self.base.rows.get(pk)
        self._set(pk, old, row)

    def _set(self, pk: Key, old: Row | None, row: Row | None) -> None:
        for unique, index in self._indexes.items():
            if old is not None:
                values = unique_key(old, unique)
                if values is not None and index.get(values) == pk:
                    del index[values]
            if row is not None:
                values = unique_key(row, unique)
                if values is not None:
                    index[values] = pk
        if row is None:
            self.writes.pop(pk, None)
        else:
            self.writes[pk] = row

    def atomic(self) -> _Atomic:
        """Undo every write of the block if it raises (keys taken stay taken)."""
        return _Atomic(self)

    # -- reads ---------------------------------------------------------------------------
    def get(self, pk: Key) -> Row | None:
        """The row with key *pk* as this unit of work sees it."""
        row = self.writes.get(pk)
        return self.base.rows.get(pk) if row is None else row

    def find_unique(self, filters: Mapping[str, object]) -> Row | bool | None:
        """The only row that can match *filters*, via a unique index; ``False`` if none applies."""
        info = self.info
        for unique in info.unique_within(tuple(filters)):
            values = tuple(map(filters.__getitem__, unique))
            if None not in values:  # NULL matches no unique value: try the next set
                pk = values if unique == info.pk else lookup(self.index(unique), values)
                row = None if pk is None else self.get(pk)
                return row if row is not None and _matches(row, filters) else None
        return False

    def _candidates(self, filters: Mapping[str, object]) -> Iterator[Row]:
        """Committed rows not rewritten here that may match, then this unit's own rows."""
        base = self.base
        bucket: set[Key] | None = None
        for key, value in filters.items():
            index = base.equal(key)
            if index is not None:
                found = index.get(value)
                if bucket is None or len(found) < len(bucket):
                    bucket = found
        writes = self.writes
        rows = base.rows
        if bucket is None:
            committed: Iterator[Row] = (
                iter(rows.values())
                if not writes
                else (r for pk, r in rows.items() if pk not in writes)
            )
        else:
            committed = (rows[pk] for pk in bucket if pk not in writes)
        return itertools.chain(committed, writes.values())

    def matching(self, filters: Mapping[str, object], kind: Any = None) -> list[Row]:
        """Every row matching *filters* (and *kind*: :func:`_own`), in no particular order."""
        with self.base.lock:  # another thread's commit whole or not at all
            if kind is not None:
                return [
                    r for r in self._candidates(filters) if _matches(r, filters) and _own(r, kind)
                ]
            if not filters:
                if not self.writes:
                    return list(self.base.rows.values())
                return list(self._candidates(filters))
            return [r for r in self._candidates(filters) if _matches(r, filters)]

    def count(self, filters: Mapping[str, object], kind: Any = None) -> int:
        """How many rows match *filters* (no sorting, one index bucket when filtered)."""
        with self.base.lock:  # another thread's commit whole or not at all
            if kind is not None:
                return len(self.matching(filters, kind))
            base = self.base
            if not filters:
                if not self.writes:
                    return len(base.rows)
                return len(base.rows) + sum(1 for pk in self.writes if pk not in base.rows)
            if len(filters) == 1 and not self.writes:
                ((key, value),) = filters.items()
                index = base.equal(key)
                if index is not None:
                    return len(index.get(value))
            return sum(1 for r in self._candidates(filters) if _matches(r, filters))

    def window(
        self,
        order: OrderKey,
        filters: Mapping[str, object],
        *,
        offset: int = 0,
        limit: int | None = None,
        after: Callable[[Row], bool] | None = None,
        kind: Any = None,
    ) -> list[Row]:
        """Rows matching *filters* (and *after*, monotone along *order*), in *order*, windowed."""
        with self.base.lock:  # another thread's commit whole or not at all
            # no table holds sys.maxsize rows: a deeper window (paginate's offset is not
            # bounded by bigint) is empty, and islice takes no larger bound
            offset = min(offset, sys.maxsize)
            stop = None if limit is None else min(offset + limit, sys.maxsize)
            base = self.base
            if filters or kind is not None:
                found = self.matching(filters, kind)
                if after is not None:
                    found = [r for r in found if after(r)]
                walk = (
                    stop is not None
                    and len(base.rows) >= _WALK_MIN_ROWS
                    and len(found) * 4 > len(base.rows)
                )
                if not walk:
                    return sort_rows(found, order)[offset:stop]
            index = base.ordered(order)
            rows = base.rows
            start = 0 if after is None else index.first_true(rows, after)
            if not self.writes and not filters and kind is None:
                keys = index.keys
                first = start + offset
                return [rows[k] for k in keys[first : None if stop is None else start + stop]]
            merged = self._merged(index.keys, start, order, after)
            if filters or kind is not None:
                merged = (r for r in merged if _matches(r, filters) and _own(r, kind))
            return list(itertools.islice(merged, offset, stop))

    def _merged(
        self,
        keys: list[Key],
        start: int,
        order: OrderKey,
        after: Callable[[Row], bool] | None,
    ) -> Iterator[Row]:
        """Committed rows from *start* merged with this unit's own rows, in *order*."""
        writes = self.writes
        rows = self.base.rows
        mine = [r for r in writes.values() if after is None or after(r)]
        mine = sort_rows(mine, order)
        at = 0
        for pk in itertools.islice(keys, start, None):
            if pk in writes:
                continue
            row = rows[pk]
            while at < len(mine) and precedes(mine[at], row, order):
                yield mine[at]
                at += 1
            yield row
        yield from mine[at:]

    # -- end of the unit of work ---------------------------------------------------------
    def publish(self) -> None:
        """Apply every pending row to the committed rows at once, or raise ``ConflictError``.

        A row another unit of work committed meanwhile conflicts when this unit inserted
        the same key or the model has a ``version_id_col`` (first committer wins, as a
        versioned ``UPDATE`` finds on PostgreSQL); without one, this unit's changed columns
        are applied over the newer row, as a plain ``UPDATE`` does under READ COMMITTED.
        """
        with self.base.lock:  # check and write as one step: no other commit between
            self.apply(self.prepare())
        self.discard()

    def prepare(self) -> list[tuple[Key, Row]]:
        """The rows :meth:`publish` writes, checked against the committed rows.

        ``ConflictError`` as :meth:`publish` says. The caller holds ``base.lock`` until it
        has applied them (:meth:`apply`), so no other commit comes between.
        """
        base, info = self.base, self.info
        final: list[tuple[Key, Row]] = []
        for pk, row in self.writes.items():
            origin = self.origins[pk]
            current = base.rows.get(pk)
            if current is not origin:
                if origin is None:
                    raise ConflictError(f"duplicate key: {info.name} id={pk!r} exists")
                if current is None or info.versions.moved(current, origin):
                    raise ConflictError(f"stale version: {info.name} id={pk!r} changed meanwhile")
                changes = {k: v for k, v in row.items() if v != origin[k]}
                row = {**current, **changes}  # noqa: PLW2901 - the row to store
            final.append((pk, row))
        for unique in self.uniques:
            committed = base.index(unique)
            seen: dict[Key, Key] = {}
            for pk, row in final:
                values = unique_key(row, unique)
                if values is None:
                    continue
                holder = committed.get(values)
                clash = values in seen or (
                    holder is not None and holder != pk and holder not in self.writes
                )
                if clash:
                    raise duplicate(info, unique, row)
                seen[values] = pk
        return final

    def apply(self, final: list[tuple[Key, Row]]) -> None:
        """Write the rows :meth:`prepare` checked (under ``base.lock``)."""
        for pk, row in final:
            self.base.write(pk, row)

    def discard(self) -> None:
        """Forget every pending row."""
        if not self.origins:  # nothing written here (each key written has its origin)
            return  # a view left by an undone write stays current: _set keeps it so
        self.base.ended(self)
        self.writes.clear()
        self.origins.clear()
        self._indexes.clear()
        self._views.clear()


class _Atomic:
    """Context of :meth:`PendingRows.atomic` (a class: it runs on every fake write)."""

    __slots__ = ("_outer", "_work")

    def __init__(self, work: PendingRows) -> None:
        self._work = work
        self._outer = False

    def __enter__(self) -> None:
        if self._work._undo is None:  # noqa: SLF001 - its own helper
            self._work._undo = []  # noqa: SLF001
            self._outer = True

    def __exit__(self, _type: object, exc: BaseException | None, _tb: object) -> None:
        if not self._outer:
            return
        work = self._work
        undo, work._undo = work._undo or [], None  # noqa: SLF001
        if exc is None:
            return
        for pk, old, first in reversed(undo):
            work._set(pk, work.writes.get(pk), old)  # noqa: SLF001
            if first:
                work.origins.pop(pk, None)
