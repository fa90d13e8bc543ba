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

The bulk rows are measured by :mod:`bench._repository_bulk`; the table and the sizes
are in :mod:`bench._repository_table`.

The embedded PostgreSQL wheel is used unless ``TEST_POSTGRES_URL`` or
``SERPENS_TEST_POSTGRES_TIER`` says otherwise.
"""

from __future__ import annotations

import asyncio
import os

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench._common import (
    Result,
    interleaved_medians_async,
    note_server,
    print_table,
    scaled,
)
from bench._repository_bulk import _bulk_ops
from bench._repository_table import BULK, ROUNDS, Base, Item, _rows, _session
from serpens.fakes import AsyncInMemoryRepository, InMemoryDatabase
from serpens.testing import start_postgres
from serpens_sqlalchemy import AsyncSQLAlchemyRepository


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
