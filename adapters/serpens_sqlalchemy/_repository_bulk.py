"""The fast paths of ``bulk_insert`` (binary COPY) and ``upsert_many`` on asyncpg.

Both hand plain tuples to the asyncpg connection under the session's transaction (and
savepoint), skipping SQLAlchemy's per-row parameter processing. Each applies only where
that processing would change nothing (no bind processors, no schema translation) and
says so by returning ``False``, so the caller takes the ordinary SQLAlchemy path.
"""

from __future__ import annotations

import operator
import re
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from serpens_sqlalchemy._deadline import bound_driver_call

__all__ = ["acopy_records", "aexecute_many", "copy_records", "execute_many"]


def _copy_plan(
    dialect: sa.Dialect, table: sa.Table, params: list[dict[str, object]]
) -> tuple[list[str], list[tuple[object, ...]]] | None:
    """Column names and records for COPY, with Python defaults and bind processing applied.

    ``None`` when a missing column has a SQL-expression default COPY cannot evaluate.
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
    processors = [table.columns[n].type.bind_processor(dialect) for n in names]
    if not fill and not any(processors):
        # The common case (plain values, nothing to fill in): one C-level getter per row.
        getter = operator.itemgetter(*given)
        if len(given) == 1:
            return names, [(getter(row),) for row in params]
        return names, list(map(getter, params))
    records: list[tuple[object, ...]] = []
    for row in params:
        values = [row[n] for n in given]
        values.extend(d.arg(None) if d.is_callable else d.arg for d in fill.values())
        records.append(tuple(p(v) if p else v for p, v in zip(processors, values, strict=True)))
    return names, records


async def _driver(conn: AsyncConnection) -> tuple[Any, AbstractContextManager[None]]:
    """The asyncpg connection, inside the session's transaction, and its call's deadline.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement; a write
    sent straight to the driver before that would commit on its own and survive a
    rollback. The deadline bounds the driver call as the engine bounds its statements.
    """
    raw = await conn.get_raw_connection()
    if not getattr(raw.dbapi_connection, "_started", False):
        await conn.exec_driver_sql("SELECT 1")
    driver = raw.driver_connection
    return driver, bound_driver_call(conn.dialect, raw.dbapi_connection, driver)


async def acopy_records(
    conn: AsyncConnection, table: sa.Table, params: list[dict[str, object]]
) -> bool:
    """COPY *params* into *table* on asyncpg; ``False`` when COPY does not apply here."""
    if conn.dialect.driver != "asyncpg":
        return False
    plan = _copy_plan(conn.dialect, table, params)
    if plan is None:
        return False
    names, records = plan
    sync_conn: Any = conn.sync_connection
    translate = sync_conn.get_execution_options().get("schema_translate_map") or {}
    schema = translate.get(table.schema, table.schema)
    driver, deadline = await _driver(conn)
    with deadline:
        await driver.copy_records_to_table(
            table.name, records=records, columns=names, schema_name=schema
        )
    return True


def copy_records(conn: sa.Connection, table: sa.Table, params: list[dict[str, object]]) -> bool:
    """Sync twin: psycopg2 has no binary COPY of Python values, so executemany is used."""
    del conn, table, params
    return False


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
    if (
        order is None
        or compiled.insert_prefetch  # Python-side column defaults, computed per row by SA
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.post_compile_params
    ):
        return None
    for bind in compiled.binds.values():
        if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
            return None
    if not set(keys) <= set(order):
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
    """Run *stmt* for every row of *params* through asyncpg's ``executemany``.

    ``False`` (nothing run) off asyncpg, under a ``schema_translate_map``, or when a
    column type processes its values in Python.
    """
    if conn.dialect.driver != "asyncpg":
        return False
    sync_conn: Any = conn.sync_connection
    if sync_conn.get_execution_options().get("schema_translate_map"):
        return False
    plan = _compiled_plan(conn.dialect, stmt, params)
    if plan is None:
        return False
    sql, order, keys, constants = plan
    driver, deadline = await _driver(conn)
    unnest = _unnest_plan(sql, order, keys, constants, params)
    with deadline:
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


def execute_many(conn: sa.Connection, stmt: Any, params: list[dict[str, object]]) -> bool:
    """Sync twin: psycopg2's executemany is SQLAlchemy's own path, so nothing to skip."""
    del conn, stmt, params
    return False
