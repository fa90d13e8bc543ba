"""What the in-memory repository has SQLite compute: CHECK constraints, computed indexes.

The fake cannot read SQL, so it has an in-memory SQLite database evaluate, on each
written row, the SQL a table declares (compiled for SQLite):

- ``CHECK`` constraints (:class:`ComputedCheck`): ``CheckConstraint("price >= 0")``
  refuses a negative price with ``ValidationError``, as PostgreSQL's 23514 does; a NULL
  (unknown) result passes, as in SQL.
- Attributes a SQL expression computes (:class:`ComputedAttribute`):
  ``column_property(price * quantity)`` is set on each written row, as a database
  computes it on each read. One SQLite cannot compute from the row alone (a subquery
  over another table) is a ``ConfigurationError``, unless it is ``deferred`` (not loaded
  by a repository's query; on an object the fake built, reading it raises
  SQLAlchemy's ``DetachedInstanceError``, loudly).
- Partial and expression unique indexes (:class:`ComputedUnique`):
  ``Index("ux_live_email", "email", unique=True, postgresql_where=text("NOT deleted"))``
  (the soft-delete pattern) holds only the rows its predicate selects, and
  ``Index("ux_handle", func.lower(handle), unique=True)`` compares what the expression
  gives. Neither is a conflict target (an ``ON CONFLICT`` naming its columns fails on
  PostgreSQL and SQLite alike), so the shared rules leave them out of ``unique_sets``
  and only the fake needs them.

Text compares as in a database with the C locale, as the fake's ordering does:
``lower``/``upper`` map ASCII letters only, as PostgreSQL's do there (under a UTF-8
locale they map every letter). SQL that SQLite cannot evaluate is a
``ConfigurationError`` when the repository is built, never a silent miss.
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
from serpens.errors import ConfigurationError, ValidationError

__all__ = [
    "ComputedAttribute",
    "ComputedCheck",
    "ComputedUnique",
    "computed_attributes",
    "computed_checks",
    "computed_uniques",
]

Row = dict[str, object]


def computed_uniques(info: ModelInfo) -> tuple[ComputedUnique, ...]:
    """One :class:`ComputedUnique` per partial or expression unique index of *info*'s table."""
    return tuple(ComputedUnique(info, index) for index in info.computed_unique_indexes)


def computed_attributes(info: ModelInfo) -> tuple[ComputedAttribute, ...]:
    """One :class:`ComputedAttribute` per loaded SQL-expression attribute of *info*."""
    return tuple(
        ComputedAttribute(info, key, expression)
        for key, expression in info.expressions.items()
        if not info.mapper.column_attrs[key].deferred
    )


def computed_checks(info: ModelInfo) -> tuple[ComputedCheck, ...]:
    """One :class:`ComputedCheck` per ``CHECK`` constraint of *info*'s table."""
    return tuple(ComputedCheck(info, check) for check in info.check_constraints)


class _RowSql:
    """One ``SELECT`` over a row's columns, run by an in-memory SQLite database.

    *selected* are SQLite's SQL over the table's column names (see :func:`_compiled`);
    :meth:`run` gives their values for one row.
    """

    __slots__ = ("__weakref__", "_columns", "_connection", "_lock", "sql")

    def __init__(self, info: ModelInfo, selected: list[str], what: str, hint: str) -> None:
        keys = {column: info.key_of(column) for column in info.table.columns}
        self._columns = [(column.name, key) for column, key in keys.items() if key is not None]
        values = ", ".join(f'? AS "{name}"' for name, _ in self._columns)
        self.sql = f"SELECT {', '.join(selected)} FROM (SELECT {values})"  # noqa: S608 - the model's own SQL
        self._connection = sqlite3.connect(":memory:", check_same_thread=False)
        # closed with this object (Python 3.13 warns of a connection left to the collector)
        weakref.finalize(self, self._connection.close)
        self._lock = threading.Lock()
        try:
            self._select([None] * len(self._columns))
        except sqlite3.Error as exc:
            raise ConfigurationError(
                f"the in-memory repository cannot emulate the {what} ({self.sql}): {exc}; {hint}"
            ) from exc

    def _select(self, params: list[object]) -> tuple[object, ...]:
        with self._lock:
            found: tuple[object, ...] = self._connection.execute(self.sql, params).fetchone()
        return found

    def run(self, row: Row) -> tuple[object, ...]:
        """The selected values for *row*, its values given as SQLite holds them."""
        return self._select([_sqlite_value(row[key]) for _, key in self._columns])


class ComputedUnique:
    """The key one partial or expression unique index gives a row (``None``: no key).

    Hashable by identity: it names its own index in the fake's tables, next to the
    column tuples of the plain unique sets.
    """

    __slots__ = ("_named", "_plain", "_select", "name")

    def __init__(self, info: ModelInfo, index: Any) -> None:
        import sqlalchemy as sa  # noqa: PLC0415 - the fake repository needs it anyway

        self.name = f"{info.name} index {index.name}"
        self._named = tuple(key for c in index.columns if (key := info.key_of(c)) is not None)
        expressions = [sa.column(e) if isinstance(e, str) else e for e in index.expressions]
        self._plain = tuple(
            info.key_of(e) if isinstance(e, sa.Column) else None for e in expressions
        )
        """Per expression, the attribute a bare column stands for (its value is the key)."""
        where = index.dialect_options["postgresql"]["where"]
        if where is None:
            where = index.dialect_options["sqlite"]["where"]
        selected = [_compiled(e) for e in expressions]
        selected.append("1" if where is None else f"CASE WHEN ({_compiled(where)}) THEN 1 END")
        hint = "write SQL SQLite runs too, or give SQLite's spelling in sqlite_where"
        self._select = _RowSql(info, selected, f"unique {self.name}", hint)

    def key(self, row: Row) -> tuple[object, ...] | None:
        """*row*'s key in this index, or ``None`` (no conflict possible).

        ``None`` when the predicate leaves the row out, or a value is NULL (NULLs never
        conflict, as in SQL).
        """
        *values, selected = self._select.run(row)
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


class ComputedAttribute:
    """An attribute a SQL expression computes from its row (``column_property(a * 2)``)."""

    __slots__ = ("_process", "_select", "key")

    def __init__(self, info: ModelInfo, key: str, expression: Any) -> None:
        from sqlalchemy.dialects import sqlite  # noqa: PLC0415 - the fake repository needs it

        self.key = key
        element = getattr(expression, "element", expression)  # the label's expression
        what = f"attribute {info.name}.{key}"
        hint = (
            "give it SQL SQLite computes from the row alone, or declare it "
            "column_property(..., deferred=True) and cover it against the database"
        )
        self._select = _RowSql(info, [_compiled(element)], what, hint)
        self._process = element.type.result_processor(sqlite.dialect(), None)

    def value(self, row: Row) -> object:
        """The attribute's value for *row*, as the database would read it back."""
        (value,) = self._select.run(row)
        return value if self._process is None or value is None else self._process(value)


class ComputedCheck:
    """One ``CHECK`` constraint: a row breaks it when its expression is false.

    As in SQL, a NULL (unknown) result passes: ``CHECK (price >= 0)`` holds a NULL price.
    """

    __slots__ = ("_model", "_select", "name")

    def __init__(self, info: ModelInfo, check: Any) -> None:
        sql = _compiled(check.sqltext)
        self.name = check.name if isinstance(check.name, str) else sql
        self._model = info.name
        # NOT (expression): 1 when false, NULL when unknown
        what = f"check constraint {self.name!r} of {info.name}"
        hint = (
            "write SQL SQLite runs too, or declare it for PostgreSQL only with "
            '.ddl_if(dialect="postgresql") and cover it against the database'
        )
        self._select = _RowSql(info, [f"NOT ({sql})"], what, hint)

    def check(self, row: Row) -> None:
        """Raise ``ValidationError`` when *row* breaks this constraint (as PostgreSQL's 23514)."""
        (broken,) = self._select.run(row)
        if broken:
            raise ValidationError(
                f"a row of {self._model} breaks its check constraint {self.name!r}"
            )


def _compiled(clause: Any) -> str:
    """*clause* (a SQLAlchemy clause, or SQL text) as SQLite's SQL, values inline."""
    if isinstance(clause, str):
        return clause
    from sqlalchemy.dialects import sqlite  # noqa: PLC0415 - the fake repository needs it

    options = {"include_table": False, "literal_binds": True}
    return str(clause.compile(dialect=sqlite.dialect(), compile_kwargs=options))


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
