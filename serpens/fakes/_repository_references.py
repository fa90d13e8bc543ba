"""Foreign keys in the in-memory repository: a row must refer to a row that is there.

PostgreSQL (23503) and SQLite (``PRAGMA foreign_keys=ON``, which serpens' SQLite engines
set) refuse a row whose foreign key names no row of the referenced table, when the row
is written: the fake raises the same ``ConflictError``. A foreign key with a NULL in it
refers to nothing and passes (``MATCH SIMPLE``, both databases' default).

A referenced row is there when it is committed, or written by the unit of work that
writes the referring row (a self-referencing table), or written by **another open unit
of work on the same database**. That last one is more lenient than PostgreSQL, where a
row another transaction has not committed is invisible: a service's repositories share
one session in production (an order and its lines in one transaction), while each fake
repository is a unit of work of its own, so the fake cannot tell two repositories of one
session from two sessions. Not emulated, and so not checked: a key to a table no mapped
class of the registry maps (the fake can never hold its rows), and one checked at commit
(``initially="DEFERRED"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serpens._rules.repository import ModelInfo, model_info
from serpens.errors import ConflictError
from serpens.fakes._repository_index import lookup
from serpens.fakes._repository_table import RowStore, TableRows

__all__ = ["ForeignKey", "foreign_keys"]

Row = dict[str, object]
Key = tuple[object, ...]


def foreign_keys(info: ModelInfo, table: Callable[[object], TableRows]) -> tuple[ForeignKey, ...]:
    """One :class:`ForeignKey` per foreign key of *info*'s table the fake can check.

    *table* gives the committed rows of a table (the database's ``table``).
    """
    found = []
    for constraint in info.foreign_keys:
        parent = _mapped(info, constraint.referred_table)
        if parent is None:
            continue
        pairs = {
            parent.key_of(element.column): info.key_of(element.parent)
            for element in constraint.elements
        }
        if None not in pairs and None not in pairs.values():  # every column mapped, both sides
            keys = {str(k): str(v) for k, v in pairs.items()}
            found.append(ForeignKey(info, constraint, parent, keys, table(parent.table)))
    return tuple(found)


def _mapped(info: ModelInfo, table: object) -> ModelInfo | None:
    """The :class:`ModelInfo` of the class *info*'s registry maps to *table*, if any."""
    for mapper in info.mapper.registry.mappers:
        if mapper.local_table is table and not mapper.inherits:
            return model_info(mapper.class_)
    return None


class ForeignKey:
    """One foreign key: the referring attributes, and where their values must be found."""

    __slots__ = ("_by_key", "_local", "_name", "_parent", "_rows", "_target")

    def __init__(
        self,
        info: ModelInfo,
        constraint: Any,
        parent: ModelInfo,
        pairs: dict[str, str],
        rows: TableRows,
    ) -> None:
        """*pairs* maps each referenced attribute of *parent* to the referring one."""
        self._by_key = set(pairs) == set(parent.pk)
        target = parent.pk if self._by_key else _unique_set(parent, set(pairs))
        self._target: tuple[str, ...] = target
        """The referenced attributes: the parent's primary key, or one of its unique sets."""
        self._local = tuple(pairs[k] for k in target)
        """The referring attributes, in :attr:`_target`'s order."""
        self._rows = rows
        self._parent = parent.name
        named = constraint.name if isinstance(constraint.name, str) else None
        self._name = named or f"{info.name}({', '.join(self._local)}) -> {parent.name}"

    def check(self, work: RowStore, row: Row, old: Row | None) -> None:
        """Raise ``ConflictError`` when *row* refers to no row of the referenced table.

        *work* is the writing unit of work, *old* the row before an update (an unchanged
        reference is not checked again, as PostgreSQL does not).
        """
        values = tuple(row[k] for k in self._local)
        if None in values:
            return  # MATCH SIMPLE: a NULL refers to nothing
        if old is not None and values == tuple(old[k] for k in self._local):
            return
        if self._found(work, values):
            return
        shown = ", ".join(self._target)
        raise ConflictError(
            f"foreign key {self._name}: no {self._parent} with ({shown})={values!r}"
        )

    def _found(self, work: RowStore, values: Key) -> bool:
        """Whether a row holding *values* is committed or written by an open unit of work."""
        if getattr(work, "base", None) is self._rows:  # a self-referencing table
            if self._holds(work, values):  # its own writes over the committed rows
                return True
        elif self._holds(self._rows, values):
            return True
        return any(self._written(u, values) for u in self._rows.open_units() if u is not work)

    def _holds(self, store: RowStore, values: Key) -> bool:
        if self._by_key:
            return values in store.rows
        return lookup(store.index(self._target), values) is not None

    def _written(self, unit: Any, values: Key) -> bool:
        """Whether another open unit of work wrote a row holding *values* (read, not indexed)."""
        if self._by_key:
            return values in unit.writes
        target = self._target
        return any(tuple(r[k] for k in target) == values for r in list(unit.writes.values()))


def _unique_set(parent: ModelInfo, referenced: set[str]) -> tuple[str, ...]:
    """The unique set of *parent* a foreign key names (a database demands there is one)."""
    for unique in parent.unique_sets:
        if set(unique) == referenced:
            return unique
    return tuple(sorted(referenced))
