"""Unique indexes the in-memory repository computes: partial (``WHERE``) and expression ones.

``Index("ux_live_email", "email", unique=True, postgresql_where=text("NOT deleted"))``
(the soft-delete pattern) holds only the rows its predicate selects, and
``Index("ux_handle", func.lower(handle), unique=True)`` compares what the expression
gives. The fake cannot read SQL, so it has an in-memory SQLite database evaluate the
index's expressions and predicate on each written row: the SQL the index was declared
with, compiled for SQLite. Text compares as in a database with the C locale, as the
fake's ordering does: ``lower``/``upper`` map ASCII letters only, as PostgreSQL's do
there (under a UTF-8 locale they map every letter). An index SQLite cannot evaluate is a
``ConfigurationError`` when the repository is built, never a silent miss. Neither kind
is a conflict target (an ``ON CONFLICT`` naming its columns fails on PostgreSQL and
SQLite alike), so the shared rules leave them out of ``unique_sets`` and only the fake
needs them.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import sqlite3
import threading
import uuid
import weakref
from decimal import Decimal
from typing import Any

from serpens._rules.repository import ModelInfo, hashable
from serpens.errors import ConfigurationError

__all__ = ["ComputedUnique", "computed_uniques"]

Row = dict[str, object]


def computed_uniques(info: ModelInfo) -> tuple[ComputedUnique, ...]:
    """One :class:`ComputedUnique` per partial or expression unique index of *info*'s table."""
    return tuple(ComputedUnique(info, index) for index in info.computed_unique_indexes)


class ComputedUnique:
    """The key one partial or expression unique index gives a row (``None``: no key).

    Hashable by identity: it names its own index in the fake's tables, next to the
    column tuples of the plain unique sets.
    """

    __slots__ = (
        "__weakref__",
        "_columns",
        "_connection",
        "_lock",
        "_named",
        "_plain",
        "_sql",
        "name",
    )

    def __init__(self, info: ModelInfo, index: Any) -> None:
        import sqlalchemy as sa  # noqa: PLC0415 - the fake repository needs it anyway
        from sqlalchemy.dialects import sqlite  # noqa: PLC0415

        self.name = f"{info.name} index {index.name}"
        keys = {column: info.key_of(column) for column in index.table.columns}
        self._columns = [(column.name, key) for column, key in keys.items() if key is not None]
        self._named = tuple(key for c in index.columns if (key := keys.get(c)) is not None)
        dialect = sqlite.dialect()

        def compiled(clause: Any) -> str:
            if isinstance(clause, str):
                return clause
            options = {"include_table": False, "literal_binds": True}
            return str(clause.compile(dialect=dialect, compile_kwargs=options))

        expressions = [sa.column(e) if isinstance(e, str) else e for e in index.expressions]
        self._plain = tuple(keys.get(e) if isinstance(e, sa.Column) else None for e in expressions)
        """Per expression, the attribute a bare column stands for (its value is the key)."""
        where = index.dialect_options["postgresql"]["where"]
        if where is None:
            where = index.dialect_options["sqlite"]["where"]
        selected = [compiled(e) for e in expressions]
        selected.append("1" if where is None else f"CASE WHEN ({compiled(where)}) THEN 1 END")
        values = ", ".join(f'? AS "{name}"' for name, _ in self._columns)
        self._sql = f"SELECT {', '.join(selected)} FROM (SELECT {values})"  # noqa: S608 - the model's own SQL
        self._connection = sqlite3.connect(":memory:", check_same_thread=False)
        # closed with this index (Python 3.13 warns of a connection left to the collector)
        weakref.finalize(self, self._connection.close)
        self._lock = threading.Lock()
        try:
            self._run([None] * len(self._columns))
        except sqlite3.Error as exc:
            raise ConfigurationError(
                f"the in-memory repository cannot emulate the unique {self.name} "
                f"({self._sql}): {exc}"
            ) from exc

    def _run(self, params: list[object]) -> tuple[object, ...]:
        with self._lock:
            found: tuple[object, ...] = self._connection.execute(self._sql, params).fetchone()
        return found

    def key(self, row: Row) -> tuple[object, ...] | None:
        """*row*'s key in this index, or ``None`` (no conflict possible).

        ``None`` when the predicate leaves the row out, or a value is NULL (NULLs never
        conflict, as in SQL).
        """
        *values, selected = self._run([_sqlite_value(row[key]) for _, key in self._columns])
        if selected is None:
            return None
        key = tuple(
            value if attribute is None else row[attribute]
            for value, attribute in zip(values, self._plain, strict=True)
        )
        if None in key:
            return None
        return hashable(key)  # type: ignore[no-any-return]

    def given(self, row: Row) -> tuple[object, ...]:
        """The row's values of the columns this index names, for a conflict's message."""
        return tuple(row[key] for key in self._named)


def _sqlite_value(value: object) -> object:  # noqa: PLR0911 - one exit per kind
    """*value* as SQLite holds it in a predicate: SQLAlchemy's SQLite storage forms."""
    if value is None or isinstance(value, str | int | float | bytes):
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    return json.dumps(value, default=str)
