"""The fast path of ``bulk_insert``: binary COPY on asyncpg."""

from __future__ import annotations

import operator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["acopy_records", "copy_records"]


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
        return names, [getter(row) for row in params]
    records: list[tuple[object, ...]] = []
    for row in params:
        values = [row[n] for n in given]
        values.extend(d.arg(None) if d.is_callable else d.arg for d in fill.values())
        records.append(tuple(p(v) if p else v for p, v in zip(processors, values, strict=True)))
    return names, records


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
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(
        table.name, records=records, columns=names, schema_name=schema
    )
    return True


def copy_records(conn: sa.Connection, table: sa.Table, params: list[dict[str, object]]) -> bool:
    """Sync twin: psycopg2 has no binary COPY of Python values, so executemany is used."""
    del conn, table, params
    return False
