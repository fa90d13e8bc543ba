"""The fast paths of ``bulk_insert`` (COPY) and ``upsert_many`` (one ``unnest`` statement).

On asyncpg both hand plain tuples to the driver under the session's transaction (and
savepoint), skipping SQLAlchemy's per-row parameter processing: a binary COPY, and one
``INSERT ... SELECT * FROM unnest($1::t[], ...)``. On psycopg2, ``bulk_insert`` is a text
COPY (``copy_expert``) and ``upsert_many`` the same ``unnest`` statement, built by
SQLAlchemy with one array parameter per column: psycopg2's executemany runs one
statement per row (SQLAlchemy batches plain INSERTs, not ``ON CONFLICT`` ones), 17x the
unnest statement for 10k rows, and a COPY is 3x faster than SQLAlchemy's batched INSERT.
On SQLite (pysqlite and aiosqlite) both are ``sqlite3``'s executemany of plain tuples.
Each applies only where the ordinary path would store the same values, and says so by
returning ``False`` otherwise, so the caller takes the ordinary SQLAlchemy path.
"""

from __future__ import annotations

import datetime as dt
import io
import operator
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from serpens.errors import FieldError, ValidationError
from serpens_sqlalchemy._deadline import bound_driver_call

__all__ = ["acopy_records", "aexecute_many", "copy_records", "execute_many"]


def _copy_plan(
    dialect: sa.Dialect, table: sa.Table, params: list[dict[str, object]]
) -> tuple[list[str], list[tuple[object, ...]]] | None:
    """Column names and records for COPY, with Python defaults and bind processing applied.

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
        # The common case (plain values, nothing to fill in): one C-level getter per row.
        getter = operator.itemgetter(*given)
        if len(given) == 1:
            return names, [(getter(row),) for row in params]
        return names, list(map(getter, params))
    records: list[tuple[object, ...]] = []
    for i, row in enumerate(params):
        values = [row[n] for n in given]
        values.extend(d.arg(None) if d.is_callable else d.arg for d in fill.values())
        try:
            records.append(tuple(p(v) if p else v for p, v in zip(processors, values, strict=True)))
        except (TypeError, ValueError):
            _refuse_unbindable(names, processors, values, i)
            raise  # pragma: no cover - the value that failed fails again
    return names, records


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


@asynccontextmanager
async def _on_driver(conn: AsyncConnection) -> AsyncIterator[Any]:
    """The asyncpg connection, inside the session's transaction, for one bounded call.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement; a write
    sent straight to the driver before that would commit on its own and survive a
    rollback. The deadline bounds the driver call as the engine bounds its statements;
    a call that leaves the connection closed (its deadline passed, the server went away)
    invalidates it, as SQLAlchemy does after its own statements, so the savepoint's
    rollback does not try the dead connection and hide the call's own error.
    """
    raw = await conn.get_raw_connection()
    if not getattr(raw.dbapi_connection, "_started", False):
        await conn.exec_driver_sql("SELECT 1")
    driver: Any = raw.driver_connection
    try:
        with bound_driver_call(conn.dialect, raw.dbapi_connection, driver):
            yield driver
    except Exception as exc:
        if driver.is_closed():
            await conn.invalidate(exc)
        raise


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
    names, records = plan
    async with _on_driver(conn) as driver:
        await driver.copy_records_to_table(
            table.name, records=records, columns=names, schema_name=_target(conn, table)
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


def _copy_text(records: list[tuple[object, ...]]) -> str | None:
    """*records* in COPY's text format; ``None`` when a value has a type it does not take.

    Column by column: a column of plain ``str`` (``None`` allowed) without a character to
    escape, or of ``int``, is turned into text at C speed; others value by value.
    """
    texts: list[Any] = []
    for values in zip(*records, strict=True):
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
    names, records = plan
    text = _copy_text(records)
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
        if dbapi.closed:  # as in _on_driver: never pooled again, the savepoint not tried
            conn.invalidate(exc)
        raise
    return True


_COPY_CHUNK: Final = 1 << 16  # characters per write to the server (psycopg2's default: 8192)


def _binds_as_given(dialect: sa.Dialect, compiled: Any, keys: list[str]) -> bool:
    """Whether *compiled* sends the rows' values as they are, each row's *keys* bound.

    Not when SQLAlchemy computes a value per row (Python-side column defaults), renders
    one into the SQL, or a column type processes its values in Python.
    """
    if (
        compiled.insert_prefetch  # Python-side column defaults, computed per row by SA
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.post_compile_params
    ):
        return False
    for bind in compiled.binds.values():
        if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
            return False
    return set(keys) <= set(compiled.binds)


def _compiled_plan(
    dialect: sa.Dialect, stmt: Any, params: list[dict[str, object]]
) -> tuple[str, list[str], list[str], dict[str, object]] | None:
    """SQL, positional parameter names, row keys and statement constants of *stmt*.

    ``None`` when SQLAlchemy must bind the values itself (Python-side defaults, bind
    processors, expanding parameters).
    """
    keys = list(params[0])
    compiled: Any = stmt.compile(dialect=dialect, column_keys=keys, for_executemany=True)
    order = compiled.positiontup
    if order is None or not _binds_as_given(dialect, compiled, keys):
        return None
    fixed = compiled.construct_params(params=params[0])  # statement-level values too
    constants = {name: fixed[name] for name in order if name not in keys}
    return compiled.string, list(order), keys, constants


def _executemany_plan(
    dialect: sa.Dialect, stmt: Any, params: list[dict[str, object]]
) -> tuple[str, list[tuple[object, ...]]] | None:
    """The SQL and positional records for *stmt* over *params*; ``None`` if SA must bind."""
    plan = _compiled_plan(dialect, stmt, params)
    if plan is None:
        return None
    sql, order, keys, constants = plan
    return sql, _records(order, keys, constants, params)


def _records(
    order: list[str], keys: list[str], constants: dict[str, object], params: list[dict[str, object]]
) -> list[tuple[object, ...]]:
    if order == keys:
        pick = operator.itemgetter(*keys)
        if len(keys) == 1:
            return [(row[keys[0]],) for row in params]
        return list(map(pick, params))
    return [
        tuple([row[name] if name in row else constants[name] for name in order]) for row in params
    ]


async def aexecute_many(conn: AsyncConnection, stmt: Any, params: list[dict[str, object]]) -> bool:
    """Run *stmt* for every row of *params* on the driver's fastest path.

    On asyncpg one ``unnest`` statement (an executemany for another statement shape); on
    aiosqlite ``sqlite3``'s executemany of plain tuples, as :func:`execute_many` on
    SQLite. ``False`` (nothing run) on other drivers, under a ``schema_translate_map``,
    or when a left-out column has a Python-side default or a column type processes its
    values in Python.
    """
    driver_name = conn.dialect.driver
    if driver_name not in {"asyncpg", "aiosqlite"}:
        return False
    sync_conn: Any = conn.sync_connection
    if sync_conn.get_execution_options().get("schema_translate_map"):
        return False
    if driver_name == "aiosqlite":
        records = _executemany_plan(conn.dialect, stmt, params)
        if records is None:
            return False
        await conn.exec_driver_sql(records[0], records[1])
        return True
    plan = _compiled_plan(conn.dialect, stmt, params)
    if plan is None:
        return False
    sql, order, keys, constants = plan
    unnest = _unnest_plan(sql, order, keys, constants, params)
    async with _on_driver(conn) as driver:
        if unnest is None:
            await driver.executemany(sql, _records(order, keys, constants, params))
        else:  # one statement, one round trip, whatever the number of rows
            await driver.execute(unnest[0], *unnest[1])
    return True


# ``VALUES ($1::VARCHAR, $2::INTEGER, ...)`` of a compiled INSERT: one placeholder per column,
# each with its bind cast, as SQLAlchemy's asyncpg dialect renders them.
_VALUES = re.compile(r" VALUES \((\$\d+::\w+(?:, \$\d+::\w+)*)\)")
_PLACEHOLDER = re.compile(r"\$(\d+)::(\w+)")


def _unnest_plan(
    sql: str,
    order: list[str],
    keys: list[str],
    constants: dict[str, object],
    params: list[dict[str, object]],
) -> tuple[str, list[object]] | None:
    """``INSERT ... SELECT * FROM unnest($1::t[], ...)``: the rows as one array per column.

    PostgreSQL zips the arrays back into rows, so the batch is one statement: the fastest
    raw path for an upsert from Python (an executemany runs one statement per row).
    Placeholders outside ``VALUES`` (the ``ON CONFLICT ... SET`` clause's constants) stay
    scalars. ``None`` when the statement has another shape, or for a single row.
    """
    match = _VALUES.search(sql)
    if match is None or len(params) < 2:  # noqa: PLR2004 - one row: a plain INSERT is as fast
        return None
    in_values = [(int(n) - 1, typ) for n, typ in _PLACEHOLDER.findall(match.group(1))]
    present = set(keys)
    if [i for i, _ in in_values] != list(range(len(in_values))) or present.intersection(
        order[len(in_values) :]
    ):
        return None
    arrays = [f"${i + 1}::{typ}[]" for i, typ in in_values]
    # only placeholders and type names SQLAlchemy compiled: no value reaches the SQL text
    select = f" SELECT * FROM unnest({', '.join(arrays)})"  # noqa: S608
    rewritten = sql[: match.start()] + select + sql[match.end() :]
    args: list[object] = [
        list(map(operator.itemgetter(name), params))
        if name in present
        else [constants[name]] * len(params)
        for name in order[: len(in_values)]
    ]
    args.extend(constants[name] for name in order[len(in_values) :])
    return rewritten, args


def _element_type(column_type: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    """The array parameter's element type: the column's, without a length or precision.

    A cast to ``VARCHAR(40)[]`` checks every element's length (a third of a 10k-row
    upsert's time); the column applies its own length and scale as the rows go in, as
    it does for a plain INSERT.
    """
    if isinstance(column_type, sa.String):
        return sa.String()
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        return sa.Numeric()
    return column_type


def _unnest_statement(
    dialect: sa.Dialect, stmt: Any, params: list[dict[str, object]]
) -> tuple[Any, dict[str, Any]] | None:
    """*stmt* as ``INSERT ... SELECT * FROM unnest(...)``, one array parameter per column.

    SQLAlchemy renders each parameter with its array cast (``%(p)s::VARCHAR(40)[]``), so
    PostgreSQL reads every column as its own type, and binds it with the column type's
    own processing of each item. The ``ON CONFLICT`` clause stays as it was. ``None``
    when a column left out has a Python-side default (SQLAlchemy computes those per row)
    or the statement binds more than the rows' values and its own constants.
    """
    if len(params) < 2:  # noqa: PLR2004 - one row: a plain INSERT is as fast
        return None
    keys = list(params[0])
    compiled: Any = stmt.compile(dialect=dialect, column_keys=keys, for_executemany=True)
    if not _binds_as_given(dialect, compiled, keys):
        return None
    columns = {column.name: column for column in stmt.table.columns}
    arrays = [
        sa.bindparam(f"serpens_unnest_{i}", type_=ARRAY(_element_type(columns[key].type)))
        for i, key in enumerate(keys)
    ]
    rows: Any = sa.select(sa.literal_column("*")).select_from(sa.func.unnest(*arrays))
    unnest = stmt.from_select(keys, rows, include_defaults=False)
    values = {
        f"serpens_unnest_{i}": list(map(operator.itemgetter(key), params))
        for i, key in enumerate(keys)
    }
    return unnest, values


def execute_many(conn: sa.Connection, stmt: Any, params: list[dict[str, object]]) -> bool:
    """Run *stmt* for every row of *params* on the driver's fastest path.

    On psycopg2 one ``unnest`` statement; on SQLite ``sqlite3``'s executemany of plain
    tuples: SQLAlchemy's executemany on SQLite turns each row dict into parameters in Python,
    half the time of a 10k-row load; the driver binds tuples in C. The statement still
    goes through the connection (``exec_driver_sql``): its events, error wrapping and
    transaction are SQLAlchemy's. ``False`` (nothing run) on other drivers, under a
    ``schema_translate_map`` on SQLite, for one row on psycopg2, or when a left-out column
    has a Python-side default or a column type processes its values in Python.
    """
    driver = conn.dialect.driver
    if driver == "pysqlite":
        if conn.get_execution_options().get("schema_translate_map"):
            return False
        records = _executemany_plan(conn.dialect, stmt, params)
        if records is None:
            return False
        conn.exec_driver_sql(records[0], records[1])
        return True
    if driver != "psycopg2":
        return False
    plan = _unnest_statement(conn.dialect, stmt, params)
    if plan is None:
        return False
    conn.execute(*plan)
    return True
