"""The executemany fast paths of the repository's bulk writes, and ``upsert_many``'s unnest.

On asyncpg, ``upsert_many`` is one ``INSERT ... SELECT * FROM unnest($1::t[], ...)``
handed plain arrays; on psycopg2 the same ``unnest`` statement, built by SQLAlchemy with
one array parameter per column (psycopg2's executemany runs one statement per row:
SQLAlchemy batches plain INSERTs, not ``ON CONFLICT`` ones, 17x the unnest statement for
10k rows). On SQLite (pysqlite and aiosqlite) both bulk writes are ``sqlite3``'s
executemany of plain tuples. Each applies only where SQLAlchemy's own executemany would
send the same values, and says so by returning ``False`` otherwise, so the caller takes
the ordinary path. :func:`on_driver` hands the asyncpg or aiosqlite connection itself
over, inside the session's transaction, to these and to the COPY of
:mod:`._repository_bulk`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from serpens._rules.repository import column_values
from serpens_sqlalchemy._deadline import bound_driver_call

__all__ = ["aexecute_many", "execute_many", "on_driver"]


@asynccontextmanager
async def on_driver(conn: AsyncConnection) -> AsyncIterator[Any]:
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
    if not keys:  # rows of no column: DEFAULT VALUES each, every column its default
        # (the executemany form is ``(first_column) VALUES (NULL)`` on SQLite), inline:
        # no RETURNING of a server-made key, which an executemany cannot return
        compiled: Any = stmt.inline().compile(dialect=dialect, column_keys=keys)
    else:
        compiled = stmt.compile(dialect=dialect, column_keys=keys, for_executemany=True)
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
    if not order:  # DEFAULT VALUES: nothing to bind
        return [()] * len(params)
    if order == keys:  # the rows' own values: each column's list, zipped
        return list(zip(*(column_values(params, key) for key in keys), strict=True))
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
    async with on_driver(conn) as driver:
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
        column_values(params, name) if name in present else [constants[name]] * len(params)
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
    own processing of each item; a left-out column's SQL-expression default is selected
    beside the arrays. The ``ON CONFLICT`` clause stays as it was. ``None`` when a column
    left out has a Python-side default (SQLAlchemy computes those per row) or the
    statement binds more than the rows' values and its own constants.
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
    # a left-out column's SQL-expression default (``default=func.x()``, a sequence) is
    # selected beside the arrays, as the VALUES of an INSERT would compute it
    unnest = stmt.from_select(keys, rows, include_defaults=True)
    values = {f"serpens_unnest_{i}": column_values(params, key) for i, key in enumerate(keys)}
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
