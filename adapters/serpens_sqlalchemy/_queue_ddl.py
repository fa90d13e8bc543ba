"""The PostgreSQL queue's tables: their DDL, and only the part a database still lacks.

Every DDL statement locks its table before it looks at ``IF NOT EXISTS``:
``ALTER TABLE ... ADD COLUMN IF NOT EXISTS`` takes an ACCESS EXCLUSIVE lock and
``CREATE INDEX IF NOT EXISTS`` a SHARE lock, even when there is nothing to do. On a live
queue such a statement waits for every open transaction on the table, and every send and
receive queues behind it: a deploy's ``create_table`` would stall the traffic (or run
past its deadline) behind one slow consumer. So ``create_table`` reads the catalog first
(no table lock) and runs only the statements whose object is missing.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from sqlalchemy import TextClause, text

__all__ = ["QueueSchema"]


class _Step(NamedTuple):
    """One DDL statement: creates *relation*, or adds *column* to it."""

    sql: str
    relation: str  # "queue", "dedup" or "index"
    column: str | None = None


def _steps(table: str) -> tuple[_Step, ...]:
    return (
        _Step(
            f"""CREATE TABLE IF NOT EXISTS {table} (
            id uuid PRIMARY KEY,
            queue text NOT NULL,
            seq bigserial NOT NULL,
            body text NOT NULL,
            attributes jsonb NOT NULL,
            group_id text,
            sent_at timestamptz NOT NULL,
            visible_at timestamptz NOT NULL,
            receive_count integer NOT NULL DEFAULT 0,
            receipt text,
            received_at timestamptz
        )""",
            "queue",
        ),
        # a table made before received_at (the start of the 12-hour visibility window)
        _Step(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS received_at timestamptz",
            "queue",
            "received_at",
        ),
        _Step(
            f"CREATE INDEX IF NOT EXISTS {table}_ready ON {table} (queue, visible_at, seq)",
            "index",
        ),
        _Step(
            f"""CREATE TABLE IF NOT EXISTS {table}_dedup (
            queue text NOT NULL,
            dedup_id text NOT NULL,
            message_id uuid NOT NULL,
            expires_at timestamptz NOT NULL,
            receipt text,
            receive_count integer,
            PRIMARY KEY (queue, dedup_id)
        )""",
            "dedup",
        ),
        # a table made before tombstones kept the receipt they acknowledged
        _Step(
            f"ALTER TABLE {table}_dedup ADD COLUMN IF NOT EXISTS receipt text", "dedup", "receipt"
        ),
        _Step(
            f"ALTER TABLE {table}_dedup ADD COLUMN IF NOT EXISTS receive_count integer",
            "dedup",
            "receive_count",
        ),
    )


class QueueSchema:
    """The DDL of the queue table *table* (checked by the caller), its index and dedup table."""

    __slots__ = ("_steps", "catalog")

    def __init__(self, table: str) -> None:
        self._steps = tuple((step, text(step.sql)) for step in _steps(table))
        #: one row: whether the index exists, and the columns of each table (none: absent).
        #: ``to_regclass`` resolves a name as the statements do (search path, case folding)
        self.catalog = text(
            "SELECT to_regclass(:index) IS NOT NULL AS has_index,"
            " ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass(:queue)"
            " AND attnum > 0 AND NOT attisdropped) AS queue_columns,"
            " ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass(:dedup)"
            " AND attnum > 0 AND NOT attisdropped) AS dedup_columns"
        ).bindparams(index=f"{table}_ready", queue=table, dedup=f"{table}_dedup")

    def missing(
        self, has_index: bool, queue_columns: Collection[str], dedup_columns: Collection[str]
    ) -> list[TextClause]:
        """The statements that complete what :attr:`catalog` found, in order (none: complete).

        A table that does not exist is created whole; one that does gains only the
        columns an earlier build did not make.
        """
        columns = {"queue": queue_columns, "dedup": dedup_columns}
        needed: list[TextClause] = []
        for step, statement in self._steps:
            if step.relation == "index":
                missing = not has_index
            elif step.column is None:
                missing = not columns[step.relation]
            else:
                present = columns[step.relation]
                missing = bool(present) and step.column not in present
            if missing:
                needed.append(statement)
        return needed
