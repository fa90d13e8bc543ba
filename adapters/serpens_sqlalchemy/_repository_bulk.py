"""The COPY fast paths of ``bulk_insert``: binary on asyncpg, text on psycopg2.

Both hand the rows to the driver under the session's transaction (and savepoint),
skipping SQLAlchemy's per-row parameter processing: asyncpg's
``copy_records_to_table`` of plain tuples, psycopg2's ``copy_expert`` of the rows in
COPY's text format (3x faster than SQLAlchemy's batched INSERT). SQLite has no COPY: its
rows go to the driver's executemany (:mod:`._repository_executemany`, which also holds
``upsert_many``'s unnest statement). Each applies only where the ordinary path would
store the same values, and says so by returning ``False`` otherwise, so the caller takes
the ordinary SQLAlchemy path.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from serpens._rules.repository import DefaultContext, column_values
from serpens.errors import FieldError, ValidationError
from serpens_sqlalchemy._deadline import bound_driver_call
from serpens_sqlalchemy._repository_executemany import aexecute_many, execute_many, on_driver

__all__ = ["acopy_records", "aexecute_many", "copy_records", "execute_many"]


@dataclass(frozen=True, slots=True)
class _CopyPlan:
    """What COPY sends: the column names, and the values by column or by row.

    The common case holds the batch checks' per-column lists; rows with Python defaults
    or bind processing are built row by row. Each driver asks for the shape it sends
    (psycopg2's text is built column by column, asyncpg takes rows), and the other
    shape is made from the one held only when asked for.
    """

    names: list[str]
    columns: list[Sequence[object]] | None = None
    records: list[tuple[object, ...]] | None = None

    def by_column(self) -> list[Sequence[object]]:
        """Each column's values, in row order."""
        if self.columns is not None:
            return self.columns
        return list(zip(*self.records or (), strict=True))

    def by_row(self) -> Iterable[tuple[object, ...]]:
        """Each row's values, in column order."""
        if self.records is not None:
            return self.records
        return zip(*self.columns or (), strict=True)


def _copy_plan(
    dialect: sa.Dialect, table: sa.Table, params: list[dict[str, object]]
) -> _CopyPlan | None:
    """The column names and values for COPY, Python defaults and bind processing applied.

    ``None`` when a missing column has a SQL-expression default COPY cannot evaluate, or
    when the rows name no column at all.
    """
    given = list(params[0])
    fill: dict[str, Any] = {}
    for col in table.columns:
        if col.name in params[0] or col.default is None:
            continue
        default: Any = col.default
        if not (default.is_scalar or default.is_callable):
            return None
        fill[col.name] = default
    names = given + list(fill)
    if not names:  # rows of no column: each takes its server-side defaults (DEFAULT VALUES)
        return None
    # the dialect's own type (a generic Numeric's processor makes floats of Decimals)
    processors = [
        table.columns[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
    ]
    if not fill and not any(processors):
        # The common case (plain values, nothing to fill in): the lists the batch checks
        # gathered, as they are.
        return _CopyPlan(names, columns=[column_values(params, name) for name in given])
    records: list[tuple[object, ...]] = []
    given_values: Iterable[tuple[object, ...]] = (
        zip(*(column_values(params, n) for n in given), strict=True)
        if given
        else [()] * len(params)
    )
    for i, given_row in enumerate(given_values):  # the checks' lists: their floats made exact
        values = list(given_row)
        for default in fill.values():
            if default.is_callable:  # it gets the row so far, as SQLAlchemy's context holds it
                values.append(default.arg(DefaultContext(dict(zip(names, values, strict=False)))))
            else:
                values.append(default.arg)
        try:
            records.append(tuple(p(v) if p else v for p, v in zip(processors, values, strict=True)))
        except (TypeError, ValueError):
            _refuse_unbindable(names, processors, values, i)
            raise  # pragma: no cover - the value that failed fails again
    return _CopyPlan(names, records=records)


def _refuse_unbindable(
    names: list[str], processors: list[Any], values: list[object], row: int
) -> None:
    """Raise ``ValidationError`` naming the value a column type's bind processor refuses.

    SQLAlchemy wraps a processor's ``TypeError`` or ``ValueError`` (a ``JSON`` value with
    no JSON text, say) in ``StatementError``, which serpens maps to ``ValidationError``;
    COPY runs the processors itself, so it says the same.
    """
    for name, processor, value in zip(names, processors, values, strict=True):
        if processor is None:
            continue
        try:
            processor(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"bad value for {name}", [FieldError(f"rows[{row}].{name}", str(exc))]
            ) from exc


async def acopy_records(
    conn: AsyncConnection, table: sa.Table, params: list[dict[str, object]]
) -> bool:
    """COPY *params* into *table* on asyncpg; ``False`` when COPY does not apply here.

    On aiosqlite, which has no COPY, the driver's own executemany (:func:`aexecute_many`).
    """
    if conn.dialect.driver == "aiosqlite":
        return await aexecute_many(conn, sa.insert(table), params)
    if conn.dialect.driver != "asyncpg":
        return False
    plan = _copy_plan(conn.dialect, table, params)
    if plan is None:
        return False
    async with on_driver(conn) as driver:
        await driver.copy_records_to_table(
            table.name, records=plan.by_row(), columns=plan.names, schema_name=_target(conn, table)
        )
    return True


def _target(conn: sa.Connection | AsyncConnection, table: sa.Table) -> str | None:
    """The schema *table* is in on this connection (its ``schema_translate_map`` applied)."""
    sync_conn: Any = conn.sync_connection if isinstance(conn, AsyncConnection) else conn
    translate = sync_conn.get_execution_options().get("schema_translate_map") or {}
    schema: str | None = translate.get(table.schema, table.schema)
    return schema


# PostgreSQL's COPY text format: tab-separated, one line per row, \N for NULL, and a
# backslash escape for the characters that would end a field or a line.
_COPY_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE: Final = re.compile(r"[\\\t\n\r]")
_NULL: Final = "\\N"
_STR_OR_NONE: Final = frozenset((str, type(None)))
# The text of each value type as PostgreSQL's input functions read it, the same value
# psycopg2 would send as a literal; any other type (a subclass, an Enum, the
# psycopg2.Binary a LargeBinary column's processor makes) sends the batch down the
# ordinary path.
_COPY_TEXT: Final[dict[type, Callable[[Any], str]]] = {
    str: lambda v: v.translate(_COPY_ESCAPES),
    int: int.__repr__,
    bool: lambda v: "t" if v else "f",
    float: float.__repr__,  # the shortest exact text; inf, -inf and nan are read as such
    Decimal: lambda v: "NaN" if v.is_nan() else str(v),  # PostgreSQL reads no -NaN, no sNaN
    dt.datetime: dt.datetime.isoformat,
    dt.date: dt.date.isoformat,
    dt.time: dt.time.isoformat,
    uuid.UUID: str,
    type(None): lambda _v: _NULL,
}


def _copy_text(columns: list[Sequence[Any]]) -> str | None:
    """The rows of *columns* in COPY's text format; ``None`` for a type COPY does not take.

    Column by column: a column of plain ``str`` (``None`` allowed) without a character to
    escape, or of ``int``, is turned into text at C speed; others value by value.
    """
    texts: list[Any] = []
    for values in columns:
        kinds = set(map(type, values))
        if str in kinds and kinds <= _STR_OR_NONE:
            if _NEEDS_ESCAPE.search("".join(filter(None, values))) is not None:
                texts.append([_NULL if v is None else v.translate(_COPY_ESCAPES) for v in values])
            elif len(kinds) == 1:
                texts.append(values)
            else:
                texts.append([_NULL if v is None else v for v in values])
        elif kinds == {int}:
            texts.append(list(map(int.__repr__, values)))
        elif kinds <= _COPY_TEXT.keys():
            texts.append([_COPY_TEXT[type(v)](v) for v in values])
        else:
            return None
    return "\n".join(map("\t".join, zip(*texts, strict=True))) + "\n"


def copy_records(conn: sa.Connection, table: sa.Table, params: list[dict[str, object]]) -> bool:
    """COPY *params* into *table* on psycopg2 (text format); ``False`` when it does not apply.

    On SQLite, which has no COPY, the driver's own executemany (:func:`execute_many`).
    """
    if conn.dialect.driver == "pysqlite":
        return execute_many(conn, sa.insert(table), params)
    if conn.dialect.driver != "psycopg2":
        return False
    plan = _copy_plan(conn.dialect, table, params)
    if plan is None:
        return False
    names = plan.names
    text = _copy_text(plan.by_column())
    if text is None:
        return False
    quote = conn.dialect.identifier_preparer.quote
    schema = _target(conn, table)
    name = quote(table.name) if schema is None else f"{quote(schema)}.{quote(table.name)}"
    # only quoted identifiers of the table reach the SQL text, never a value
    sql = f"COPY {name} ({', '.join(map(quote, names))}) FROM STDIN"
    dbapi: Any = conn.connection.dbapi_connection
    try:
        with bound_driver_call(conn.dialect, dbapi, dbapi), dbapi.cursor() as cursor:
            cursor.copy_expert(sql, io.StringIO(text), size=_COPY_CHUNK)
    except Exception as exc:
        if dbapi.closed:  # as in on_driver: never pooled again, the savepoint not tried
            conn.invalidate(exc)
        raise
    return True


_COPY_CHUNK: Final = 1 << 16  # characters per write to the server (psycopg2's default: 8192)
