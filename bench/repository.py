"""Repository benchmark on embedded PostgreSQL (asyncpg): serpens vs hand-written code.

Every serpens figure is measured in the same run as its baseline: hand-written SQLAlchemy
2.0 doing the same work, and raw asyncpg for the bulk paths. The last rows compare the
in-memory fake with PostgreSQL on the same workload.

Single-row operations (get, list, add) alternate call by call, each call timed on its
own, and each contender's figure is its median call: every contender sees the same load
and the rare slow round trip does not decide. Bulk contenders run in interleaved rounds
(A, B, A, B, ... with the order alternating) and each keeps its best round: load from
other processes on a shared machine only ever adds time, so the best round is the least
disturbed one. Raw asyncpg baselines use one connection opened before timing
(a pool, as the serpens side has); a bulk baseline is "the fastest raw path": the best
of every hand-written way measured for that job. ``bulk_insert`` and ``upsert_many`` are
held to 1.05x of it. Two informative rows per bulk write show what separates them from
it: the same raw statement run as the repository runs it (in the session's transaction
and a savepoint: BEGIN, SAVEPOINT, RELEASE and COMMIT round trips), and the batch checks
every backend makes before a row reaches the driver (fields, types, lengths, duplicate
conflict keys), timed alone.

The embedded PostgreSQL wheel is used unless ``TEST_POSTGRES_URL`` or
``SERPENS_TEST_POSTGRES_TIER`` says otherwise.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench._common import (
    Result,
    best_of,
    interleaved_medians_async,
    note_server,
    print_table,
    scaled,
)
from serpens._rules.repository import ModelInfo
from serpens.fakes import AsyncInMemoryRepository, InMemoryDatabase
from serpens.testing import start_postgres
from serpens_sqlalchemy import AsyncSQLAlchemyRepository

BULK = scaled(10_000, minimum=200)
ROUNDS = scaled(40, minimum=2)  # x calls per figure: single calls, interleaved
BULK_ROUNDS = scaled(7, minimum=1)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "bench_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(40))
    price: Mapped[int | None]


def _rows(prefix: str = "s") -> list[dict[str, object]]:
    return [{"sku": f"{prefix}{i}", "name": "n", "price": i} for i in range(BULK)]


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


def _session(engine: AsyncEngine) -> AsyncSession:
    return AsyncSession(engine, autoflush=False, expire_on_commit=False)


async def _point_ops(engine: AsyncEngine) -> list[Result]:
    async with _session(engine) as sess:
        await AsyncSQLAlchemyRepository(sess, Item).bulk_insert(_rows("p"))
        await sess.commit()
    ids = iter(range(1, 10**9))

    async def serpens_get() -> None:
        async with _session(engine) as sess:
            await AsyncSQLAlchemyRepository(sess, Item).get(next(ids) % BULK + 1)

    async def raw_get() -> None:
        async with _session(engine) as sess:
            await sess.get(Item, next(ids) % BULK + 1)

    async def serpens_list() -> None:
        async with _session(engine) as sess:
            await AsyncSQLAlchemyRepository(sess, Item).list(limit=100, offset=500)

    async def raw_list() -> None:
        async with _session(engine) as sess:
            stmt = sa.select(Item).order_by(Item.id).limit(100).offset(500)
            (await sess.scalars(stmt)).all()

    async def serpens_add() -> None:
        async with _session(engine) as sess:
            await AsyncSQLAlchemyRepository(sess, Item).add(Item(sku=f"a{next(ids)}"))
            await sess.commit()

    async def raw_add() -> None:
        async with _session(engine) as sess:
            sess.add(Item(sku=f"r{next(ids)}"))
            await sess.flush()
            await sess.commit()

    async def raw_add_savepoint() -> None:
        async with _session(engine) as sess:
            async with sess.begin_nested():  # what serpens' add does: conflicts stay local
                sess.add(Item(sku=f"s{next(ids)}"))
            await sess.commit()

    results = []
    for figure, mine, theirs, calls in (
        ("get by key (new session each)", serpens_get, raw_get, 20),
        ("list 100 rows", serpens_list, raw_list, 10),
        ("add + commit", serpens_add, raw_add, 20),
    ):
        for _ in range(5):  # warm both paths: pool, statement caches, compiled SQL
            await theirs()
            await mine()
        medians = await interleaved_medians_async((mine, theirs), calls=ROUNDS * calls)
        results.append(
            Result(
                figure, medians[mine] * 1e6, medians[theirs] * 1e6, "us/op", "SQLAlchemy 2.0", 1.05
            )
        )
    medians = await interleaved_medians_async(
        (serpens_add, raw_add_savepoint), calls=ROUNDS * scaled(20, minimum=5)
    )
    results.append(
        Result(
            "add + commit",
            medians[serpens_add] * 1e6,
            medians[raw_add_savepoint] * 1e6,
            "us/op",
            "SQLAlchemy 2.0 add in begin_nested()",
        )
    )
    return results


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


async def _fake_vs_postgres(engine: AsyncEngine) -> list[Result]:
    """The same mixed workload (add, get, list, upsert, count) on the fake and PostgreSQL.

    Whole workloads alternate, and each side's figure is its median run, like the
    single-row figures: the typical PostgreSQL run, not its luckiest one.
    """
    runs = iter(range(10**9))

    async def workload(
        repo: AsyncSQLAlchemyRepository[Item] | AsyncInMemoryRepository[Item],
    ) -> None:
        tag = next(runs)  # fresh keys each run: no cleanup between runs
        for i in range(50):
            item = await repo.add(Item(sku=f"w{tag}.{i}"))
            await repo.get(item.id)
            await repo.upsert(
                {"sku": f"w{tag}.{i}", "name": "x"}, conflict_on=["sku"], update_fields=["name"]
            )
        await repo.list(limit=20, order_by="-sku")
        await repo.count(name="x")

    async def on_postgres() -> None:
        async with _session(engine) as sess:
            await workload(AsyncSQLAlchemyRepository(sess, Item))
            await sess.commit()

    async def on_fake() -> None:
        await workload(AsyncInMemoryRepository(Item, database=InMemoryDatabase()))

    async with engine.begin() as conn:
        await conn.exec_driver_sql("TRUNCATE bench_items RESTART IDENTITY")
    for _ in range(2):  # warm: model metadata, imports, statement caches
        await on_fake()
        await on_postgres()
    medians = await interleaved_medians_async((on_fake, on_postgres), calls=scaled(30, minimum=2))
    return [
        Result(
            "in-memory fake, mixed workload (152 calls)",
            medians[on_fake] * 1e3,
            medians[on_postgres] * 1e3,
            "ms",
            "same workload on PostgreSQL",
            0.01,
        )
    ]


async def _main(dsn: str, tier: str) -> list[Result]:
    engine = create_async_engine("postgresql+asyncpg://" + dsn.split("://", 1)[1])
    async with engine.begin() as conn:
        version = (await conn.exec_driver_sql("SHOW server_version")).scalar_one()
        note_server("PostgreSQL", f"{version} ({tier} tier, asyncpg)")
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    try:
        results = await _point_ops(engine)
        results += await _bulk_ops(engine, dsn)
        results += await _fake_vs_postgres(engine)
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()
    return results


def main() -> list[Result]:
    overridden = os.environ.get("TEST_POSTGRES_URL") or os.environ.get("SERPENS_TEST_POSTGRES_TIER")
    with start_postgres(tier=None if overridden else "embedded") as server:
        return asyncio.run(_main(server.url, server.tier))


if __name__ == "__main__":
    print_table(main())
