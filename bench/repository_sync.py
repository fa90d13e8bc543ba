"""Bulk loads on psycopg2 and SQLite (pysqlite, aiosqlite), against their fastest raw paths.

``bulk_insert`` and ``upsert_many`` of 10k rows through ``SQLAlchemyRepository`` (a new
``Session`` per call, committed), against every hand-written way measured for the same
job on the same driver, each on its own connection opened before timing:

- psycopg2: a text ``COPY`` (``copy_expert``), ``psycopg2.extras.execute_values``
  (1,000 rows per statement), one ``INSERT ... SELECT * FROM unnest(%s::t[], ...)``, and
  SQLAlchemy's executemany (which batches plain INSERTs, and runs an ``ON CONFLICT``
  one row by row);
- SQLite: ``sqlite3``'s ``executemany`` (one prepared statement, the rows bound in C);
- aiosqlite (``AsyncSQLAlchemyRepository``, a new ``AsyncSession`` per call): aiosqlite's
  own ``executemany``, which runs ``sqlite3``'s in its thread, and SQLAlchemy's
  executemany on the same async engine. Each async call runs to completion on one event
  loop, the same for every contender.

The fastest of them is "the fastest raw path", and the repository is held to 1.05x of it.
Contenders run in interleaved rounds (order alternating), each keeping its best round,
as in :mod:`bench.repository`.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite
import psycopg2
import psycopg2.extras
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bench._common import Result, note_server, print_table, scaled
from serpens.testing import start_postgres
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository

BULK = scaled(10_000, minimum=200)
ROUNDS = scaled(5, minimum=1)
COLUMNS = "sku, name, price"
ON_CONFLICT = " ON CONFLICT (sku) DO UPDATE SET name = excluded.name, price = excluded.price"


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "bench_sync_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(40))
    price: Mapped[int | None]


def _rows(prefix: str = "s") -> list[dict[str, object]]:
    return [{"sku": f"{prefix}{i}", "name": "n\tx", "price": i} for i in range(BULK)]


def _tuples() -> list[tuple[object, ...]]:
    return [(r["sku"], r["name"], r["price"]) for r in _rows()]


Op = Callable[[], object]


def _rounds(contenders: dict[str, tuple[Op, Op]]) -> dict[str, float]:
    """Best seconds of each contender's op, with untimed setup before every round."""
    best = dict.fromkeys(contenders, float("inf"))
    names = list(contenders)
    for i in range(ROUNDS):
        for name in names if i % 2 == 0 else reversed(names):
            setup, op = contenders[name]
            setup()
            start = time.perf_counter()
            op()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _upsert(stmt: Any) -> Any:
    """*stmt* (a dialect's INSERT) updating ``name`` and ``price`` on a ``sku`` conflict."""
    return stmt.on_conflict_do_update(
        index_elements=["sku"], set_={"name": stmt.excluded.name, "price": stmt.excluded.price}
    )


def _sa_executemany(engine: sa.Engine, stmt: Any) -> Op:
    """SQLAlchemy's executemany of *stmt* over the rows, in one committed transaction."""

    def run() -> None:
        with engine.begin() as conn:
            conn.execute(stmt, _rows())

    return run


def _serpens_ops(engine: sa.Engine) -> tuple[Op, Op]:
    def bulk_insert() -> None:
        with Session(engine) as sess:
            SQLAlchemyRepository(sess, Item).bulk_insert(_rows())
            sess.commit()

    def upsert_many() -> None:
        with Session(engine) as sess:
            repo = SQLAlchemyRepository(sess, Item)
            repo.upsert_many(_rows(), conflict_on=["sku"], update_fields=["name", "price"])
            sess.commit()

    return bulk_insert, upsert_many


def _results(driver: str, inserts: dict[str, float], upserts: dict[str, float]) -> list[Result]:
    ms, n = 1e3, f"{BULK // 1000}k" if BULK >= 1000 else str(BULK)
    results = []
    for job, timings in ((f"bulk_insert {n} rows", inserts), (f"upsert_many {n} rows", upserts)):
        mine = timings.pop("serpens")
        fastest = min(timings, key=timings.__getitem__)
        results.append(
            Result(
                f"{job} ({driver})",
                mine * ms,
                timings[fastest] * ms,
                "ms",
                f"fastest raw path: {fastest}",
                1.05,
            )
        )
        results += [
            Result(f"{job} ({driver})", mine * ms, seconds * ms, "ms", name)
            for name, seconds in timings.items()
            if name != fastest
        ]
    return results


def _psycopg2(dsn: str) -> list[Result]:
    engine = sa.create_engine("postgresql+psycopg2://" + dsn.split("://", 1)[1])
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    raw = psycopg2.connect(dsn)  # opened before timing, as the engine's pool is
    serpens_insert, serpens_upsert = _serpens_ops(engine)

    def truncate() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {Item.__tablename__} RESTART IDENTITY")

    def seeded() -> None:
        truncate()
        serpens_insert()

    def copy_text() -> None:
        escape = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
        lines = (
            f"{sku.translate(escape)}\t{name.translate(escape)}\t{price}\n"  # type: ignore[attr-defined]
            for sku, name, price in _tuples()
        )
        with raw.cursor() as cur:
            cur.copy_expert(
                f"COPY {Item.__tablename__} ({COLUMNS}) FROM STDIN", io.StringIO("".join(lines))
            )
        raw.commit()

    def execute_values(suffix: str = "") -> Op:
        def run() -> None:
            with raw.cursor() as cur:
                psycopg2.extras.execute_values(
                    cur,
                    f"INSERT INTO {Item.__tablename__} ({COLUMNS}) VALUES %s{suffix}",
                    _tuples(),
                    page_size=1000,
                )
            raw.commit()

        return run

    def unnest(suffix: str = "") -> Op:
        def run() -> None:
            columns = list(zip(*_tuples(), strict=True))
            with raw.cursor() as cur:
                cur.execute(
                    f"INSERT INTO {Item.__tablename__} ({COLUMNS}) SELECT * FROM "
                    f"unnest(%s::varchar[], %s::varchar[], %s::int[]){suffix}",
                    [list(values) for values in columns],
                )
            raw.commit()

        return run

    sa_executemany = functools.partial(_sa_executemany, engine)
    upsert_stmt = _upsert(pg_insert(Item.__table__))
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar_one()
        note_server("PostgreSQL (sync)", f"{version} (psycopg2 {psycopg2.__version__})")
        inserts = _rounds(
            {
                "serpens": (truncate, serpens_insert),
                "psycopg2 COPY (copy_expert, text)": (truncate, copy_text),
                "psycopg2 execute_values": (truncate, execute_values()),
                "psycopg2 INSERT ... SELECT FROM unnest": (truncate, unnest()),
                "SA executemany": (truncate, sa_executemany(sa.insert(Item.__table__))),
            }
        )
        upserts = _rounds(
            {
                "serpens": (seeded, serpens_upsert),
                "psycopg2 INSERT ... SELECT FROM unnest": (seeded, unnest(ON_CONFLICT)),
                "psycopg2 execute_values": (seeded, execute_values(ON_CONFLICT)),
                "SA insert..on_conflict executemany": (seeded, sa_executemany(upsert_stmt)),
            }
        )
    finally:
        raw.close()
        Base.metadata.drop_all(engine)
        engine.dispose()
    return _results("psycopg2", inserts, upserts)


def _sqlite(path: Path) -> list[Result]:
    engine = sa.create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    raw = sqlite3.connect(path)  # opened before timing, as the engine's pool is
    serpens_insert, serpens_upsert = _serpens_ops(engine)
    insert_sql = f"INSERT INTO {Item.__tablename__} ({COLUMNS}) VALUES (?, ?, ?)"

    def truncate() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM {Item.__tablename__}")

    def seeded() -> None:
        truncate()
        serpens_insert()

    def executemany(sql: str) -> Op:
        def run() -> None:
            with raw:  # one transaction, committed
                raw.executemany(sql, _tuples())

        return run

    sa_executemany = functools.partial(_sa_executemany, engine)
    upsert_stmt = _upsert(sqlite_insert(Item.__table__))

    try:
        note_server("SQLite", f"{sqlite3.sqlite_version} (file, pysqlite)")
        inserts = _rounds(
            {
                "serpens": (truncate, serpens_insert),
                "sqlite3 executemany": (truncate, executemany(insert_sql)),
                "SA executemany": (truncate, sa_executemany(sa.insert(Item.__table__))),
            }
        )
        upserts = _rounds(
            {
                "serpens": (seeded, serpens_upsert),
                "sqlite3 executemany": (seeded, executemany(insert_sql + ON_CONFLICT)),
                "SA insert..on_conflict executemany": (seeded, sa_executemany(upsert_stmt)),
            }
        )
    finally:
        raw.close()
        engine.dispose()
    return _results("SQLite", inserts, upserts)


def _aiosqlite(path: Path) -> list[Result]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    insert_sql = f"INSERT INTO {Item.__tablename__} ({COLUMNS}) VALUES (?, ?, ?)"
    upsert_stmt = _upsert(sqlite_insert(Item.__table__))
    with asyncio.Runner() as runner:
        run = runner.run

        async def create() -> aiosqlite.Connection:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            return await aiosqlite.connect(path)  # opened before timing, as the engine's pool is

        raw = run(create())

        async def serpens_insert() -> None:
            async with AsyncSession(engine) as sess:
                await AsyncSQLAlchemyRepository(sess, Item).bulk_insert(_rows())
                await sess.commit()

        async def serpens_upsert() -> None:
            async with AsyncSession(engine) as sess:
                repo = AsyncSQLAlchemyRepository(sess, Item)
                await repo.upsert_many(
                    _rows(), conflict_on=["sku"], update_fields=["name", "price"]
                )
                await sess.commit()

        async def truncate() -> None:
            async with engine.begin() as conn:
                await conn.exec_driver_sql(f"DELETE FROM {Item.__tablename__}")

        async def seeded() -> None:
            await truncate()
            await serpens_insert()

        def executemany(sql: str) -> Callable[[], Any]:
            async def op() -> None:
                await raw.executemany(sql, _tuples())
                await raw.commit()

            return op

        def sa_executemany(stmt: Any) -> Callable[[], Any]:
            async def op() -> None:
                async with engine.begin() as conn:
                    await conn.execute(stmt, _rows())

            return op

        def on_loop(*ops: Callable[[], Any]) -> tuple[Op, Op]:
            setup, op = (functools.partial(lambda f: run(f()), f) for f in ops)
            return setup, op

        try:
            note_server(
                "aiosqlite", f"{aiosqlite.__version__} (file, sqlite3 {sqlite3.sqlite_version})"
            )
            inserts = _rounds(
                {
                    "serpens": on_loop(truncate, serpens_insert),
                    "aiosqlite executemany": on_loop(truncate, executemany(insert_sql)),
                    "SA executemany": on_loop(truncate, sa_executemany(sa.insert(Item.__table__))),
                }
            )
            upserts = _rounds(
                {
                    "serpens": on_loop(seeded, serpens_upsert),
                    "aiosqlite executemany": on_loop(seeded, executemany(insert_sql + ON_CONFLICT)),
                    "SA insert..on_conflict executemany": on_loop(
                        seeded, sa_executemany(upsert_stmt)
                    ),
                }
            )
        finally:
            run(raw.close())
            run(engine.dispose())
    return _results("aiosqlite", inserts, upserts)


def main() -> list[Result]:
    overridden = os.environ.get("TEST_POSTGRES_URL") or os.environ.get("SERPENS_TEST_POSTGRES_TIER")
    with start_postgres(tier=None if overridden else "embedded") as server:
        results = _psycopg2(server.url)
    with tempfile.TemporaryDirectory() as directory:
        results += _sqlite(Path(directory) / "bench.db")
        results += _aiosqlite(Path(directory) / "bench-async.db")
    return results


if __name__ == "__main__":
    print_table(main())
