"""The bulk rows of ``bench/repository.py``: bulk_add, bulk_insert and upsert_many.

Bulk contenders run in interleaved rounds (A, B, A, B, ... with the order alternating)
and each keeps its best round. A bulk baseline is "the fastest raw path": the best of
every hand-written way measured for that job (SQLAlchemy, raw asyncpg on one connection
opened before timing). Two informative rows per bulk write show what separates serpens
from it: the same raw statement run in the session's transaction and a savepoint, and
the batch checks every backend makes before a row reaches the driver, timed alone.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bench._common import Result, best_of
from bench._repository_table import BULK, BULK_ROUNDS, Item, _rows, _session
from serpens._rules.repository import ModelInfo
from serpens_sqlalchemy import AsyncSQLAlchemyRepository

Op = Callable[[], Awaitable[object]]
# the raw statements run as bulk_insert and upsert_many run them: in the session's
# transaction and a savepoint (BEGIN, SAVEPOINT, RELEASE, COMMIT); informative
SAVEPOINT_COPY = "asyncpg COPY in a transaction and a savepoint"
SAVEPOINT_UNNEST = "asyncpg unnest upsert in a transaction and a savepoint"


async def _rounds(contenders: dict[str, tuple[Op, Op]], rounds: int) -> dict[str, float]:
    """Best seconds of each contender's op, with untimed setup before every round.

    Rounds are interleaved and their order alternates, so drift hits everyone alike.
    """
    best = dict.fromkeys(contenders, float("inf"))
    names = list(contenders)
    for i in range(rounds):
        for name in names if i % 2 == 0 else reversed(names):
            setup, op = contenders[name]
            await setup()
            start = time.perf_counter()
            await op()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


async def _nothing() -> None:
    return None


async def _bulk_ops(engine: AsyncEngine, dsn: str) -> list[Result]:
    async def truncate() -> None:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("TRUNCATE bench_items RESTART IDENTITY")

    async def seeded() -> None:
        await truncate()
        async with _session(engine) as sess:
            await AsyncSQLAlchemyRepository(sess, Item).bulk_insert(_rows())
            await sess.commit()

    async def serpens_bulk_add() -> None:
        async with _session(engine) as sess:
            await AsyncSQLAlchemyRepository(sess, Item).bulk_add([Item(**r) for r in _rows()])
            await sess.commit()

    async def raw_add_all() -> None:
        async with _session(engine) as sess:
            sess.add_all([Item(**r) for r in _rows()])
            await sess.commit()

    async def serpens_bulk_insert() -> None:
        async with _session(engine) as sess:
            await AsyncSQLAlchemyRepository(sess, Item).bulk_insert(_rows())
            await sess.commit()

    async def raw_copy() -> None:
        records = [(r["sku"], r["name"], r["price"]) for r in _rows()]
        await raw.copy_records_to_table(
            "bench_items", records=records, columns=["sku", "name", "price"]
        )

    async def raw_executemany() -> None:
        async with _session(engine) as sess:
            await sess.execute(sa.insert(Item.__table__), _rows())
            await sess.commit()

    async def serpens_upsert_many() -> None:
        async with _session(engine) as sess:
            repo = AsyncSQLAlchemyRepository(sess, Item)
            await repo.upsert_many(_rows(), conflict_on=["sku"], update_fields=["name", "price"])
            await sess.commit()

    async def raw_upsert() -> None:
        stmt = pg_insert(Item.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["sku"], set_={"name": stmt.excluded.name, "price": stmt.excluded.price}
        )
        async with _session(engine) as sess:
            await sess.execute(stmt, _rows())
            await sess.commit()

    async def raw_asyncpg_upsert() -> None:
        await raw.executemany(
            "INSERT INTO bench_items (sku, name, price) VALUES ($1, $2, $3) "
            "ON CONFLICT (sku) DO UPDATE SET name = excluded.name, price = excluded.price",
            [(r["sku"], r["name"], r["price"]) for r in _rows()],
        )

    async def raw_asyncpg_unnest() -> None:
        # the fastest hand-written upsert: one statement, one array per column
        rows = _rows()
        await raw.execute(
            "INSERT INTO bench_items (sku, name, price) "
            "SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::int[]) "
            "ON CONFLICT (sku) DO UPDATE SET name = excluded.name, price = excluded.price",
            [r["sku"] for r in rows],
            [r["name"] for r in rows],
            [r["price"] for r in rows],
        )

    async def raw_copy_in_savepoint() -> None:
        # COPY with bulk_insert's round trips: a transaction, and a savepoint inside it
        records = [(r["sku"], r["name"], r["price"]) for r in _rows()]
        async with raw.transaction(), raw.transaction():
            await raw.copy_records_to_table(
                "bench_items", records=records, columns=["sku", "name", "price"]
            )

    async def raw_unnest_in_savepoint() -> None:
        async with raw.transaction(), raw.transaction():
            await raw_asyncpg_unnest()

    raw = await asyncpg.connect(dsn)  # opened before timing, as the engine's pool is
    try:
        inserts = await _rounds(
            {
                "SA add_all": (truncate, raw_add_all),
                "asyncpg COPY": (truncate, raw_copy),
                SAVEPOINT_COPY: (truncate, raw_copy_in_savepoint),
                "SA executemany": (truncate, raw_executemany),
                "bulk_add": (truncate, serpens_bulk_add),
                "bulk_insert": (truncate, serpens_bulk_insert),
            },
            BULK_ROUNDS,
        )
        upserts = await _rounds(
            {
                "SA insert..on_conflict executemany": (seeded, raw_upsert),
                "asyncpg executemany": (seeded, raw_asyncpg_upsert),
                "asyncpg INSERT ... SELECT FROM unnest": (seeded, raw_asyncpg_unnest),
                SAVEPOINT_UNNEST: (seeded, raw_unnest_in_savepoint),
                "upsert_many": (seeded, serpens_upsert_many),
            },
            BULK_ROUNDS,
        )
    finally:
        await raw.close()
    ms = 1e3
    n = f"{BULK // 1000}k" if BULK >= 1000 else str(BULK)
    bulk_add, bulk_insert = inserts.pop("bulk_add"), inserts.pop("bulk_insert")
    copy_in_savepoint, unnest_in_savepoint = (
        inserts.pop(SAVEPOINT_COPY),
        upserts.pop(SAVEPOINT_UNNEST),
    )
    fastest_insert = min(inserts, key=inserts.__getitem__)
    upsert = upserts.pop("upsert_many")
    fastest_upsert = min(upserts, key=upserts.__getitem__)
    info = ModelInfo(Item)  # the checks every backend runs before a batch reaches the driver
    rows = _rows()
    checks = {
        "bulk_insert": best_of(lambda: info.batch(rows), repeat=5, number=3),
        "upsert_many": best_of(
            lambda: info.upsert_many_args(rows, ["sku"], ["name", "price"]), repeat=5, number=3
        ),
    }
    return [
        Result(
            f"bulk_add {n} objects",
            bulk_add * ms,
            inserts["SA add_all"] * ms,
            "ms",
            "SA add_all, same objects",
            1.2,
        ),
        Result(  # rows without ORM identity: the job of bulk_insert, measured next
            f"bulk_add {n} objects",
            bulk_add * ms,
            inserts[fastest_insert] * ms,
            "ms",
            f"rows only: {fastest_insert}",
        ),
        Result(
            f"bulk_insert {n} rows",
            bulk_insert * ms,
            inserts[fastest_insert] * ms,
            "ms",
            f"fastest raw path: {fastest_insert}",
            1.05,
        ),
        Result(
            f"bulk_insert {n} rows",
            bulk_insert * ms,
            copy_in_savepoint * ms,
            "ms",
            SAVEPOINT_COPY,
        ),
        Result(
            f"bulk_insert {n} rows: the batch checks alone",
            checks["bulk_insert"] * ms,
            inserts[fastest_insert] * ms,
            "ms",
            f"fastest raw path: {fastest_insert}",
        ),
        Result(
            f"bulk_insert {n} rows",
            bulk_insert * ms,
            inserts["SA executemany"] * ms,
            "ms",
            "SA executemany",
        ),
        Result(
            f"upsert_many {n} rows",
            upsert * ms,
            upserts[fastest_upsert] * ms,
            "ms",
            f"fastest raw path: {fastest_upsert}",
            1.05,
        ),
        *(
            Result(f"upsert_many {n} rows", upsert * ms, seconds * ms, "ms", name)
            for name, seconds in upserts.items()
            if name != fastest_upsert
        ),
        Result(
            f"upsert_many {n} rows",
            upsert * ms,
            unnest_in_savepoint * ms,
            "ms",
            SAVEPOINT_UNNEST,
        ),
        Result(
            f"upsert_many {n} rows: the batch checks alone",
            checks["upsert_many"] * ms,
            upserts[fastest_upsert] * ms,
            "ms",
            f"fastest raw path: {fastest_upsert}",
        ),
    ]
