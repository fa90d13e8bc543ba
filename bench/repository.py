"""Repository benchmark on embedded PostgreSQL (asyncpg): serpens vs hand-written code.

Every serpens figure is measured in the same run as its baseline: hand-written SQLAlchemy
2.0 doing the same work, and raw asyncpg for the bulk paths. The last rows compare the
in-memory fake with PostgreSQL on the same workload.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench._common import Result, print_table
from serpens.fakes import AsyncInMemoryRepository, InMemoryDatabase
from serpens.testing import start_postgres
from serpens_sqlalchemy import AsyncRepository

BULK = 10_000
ROUNDS = 11
POINT_ROUNDS = 5  # x the figure's number of calls, each timed alone


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


async def _timed(*cases: tuple[Op, Op]) -> list[float]:
    """Median seconds of each ``(setup, op)`` case; setup is untimed.

    The cases take turns round by round, so a neighbour's burst of load on this shared
    machine hits every case alike instead of one case's whole series.
    """
    rounds: list[list[float]] = [[] for _ in cases]
    for _ in range(ROUNDS):
        for times, (setup, op) in zip(rounds, cases, strict=True):
            await setup()
            gc.collect()  # every case starts with the previous case's garbage gone
            gc.freeze()  # and no collection rescans the long-lived heap while it is timed
            start = time.perf_counter()
            await op()
            times.append(time.perf_counter() - start)
            gc.unfreeze()
    return [statistics.median(times) for times in rounds]


async def _interleaved(theirs: Op, mine: Op, number: int) -> tuple[float, float]:
    """Median seconds per call of each, alternating call by call.

    A point operation takes about a millisecond: timing single calls in turn and taking
    the median keeps the other processes' bursts out of the ratio.
    """
    base: list[float] = []
    ours: list[float] = []
    pair = ((theirs, base), (mine, ours))
    for i in range(POINT_ROUNDS * number):
        # ABBA order: whatever the first call of a pair leaves behind (garbage to
        # collect, a warm cache) falls on each side equally often.
        for func, times in pair if i % 2 else pair[::-1]:
            start = time.perf_counter()
            await func()
            times.append(time.perf_counter() - start)
    return statistics.median(base), statistics.median(ours)


def _session(engine: AsyncEngine) -> AsyncSession:
    return AsyncSession(engine, autoflush=False, expire_on_commit=False)


async def _point_ops(engine: AsyncEngine) -> list[Result]:
    async with _session(engine) as sess:
        await AsyncRepository(sess, Item).bulk_insert(_rows("p"))
        await sess.commit()
    ids = iter(range(1, 10**9))

    async def serpens_get() -> None:
        async with _session(engine) as sess:
            await AsyncRepository(sess, Item).get(next(ids) % BULK + 1)

    async def raw_get() -> None:
        async with _session(engine) as sess:
            await sess.get(Item, next(ids) % BULK + 1)

    async def serpens_list() -> None:
        async with _session(engine) as sess:
            await AsyncRepository(sess, Item).list(limit=100, offset=500)

    async def raw_list() -> None:
        async with _session(engine) as sess:
            stmt = sa.select(Item).order_by(Item.id).limit(100).offset(500)
            (await sess.scalars(stmt)).all()

    async def serpens_add() -> None:
        async with _session(engine) as sess:
            await AsyncRepository(sess, Item).add(Item(sku=f"a{next(ids)}"))
            await sess.commit()

    async def raw_add() -> None:
        async with _session(engine) as sess:
            sess.add(Item(sku=f"r{next(ids)}"))
            await sess.flush()
            await sess.commit()

    results = []
    for figure, mine, theirs, number in (
        ("get by key (new session each)", serpens_get, raw_get, 100),
        ("list 100 rows", serpens_list, raw_list, 40),
        ("add + commit", serpens_add, raw_add, 70),
    ):
        await theirs()  # warm both paths
        await mine()
        base, ours = await _interleaved(theirs, mine, number)
        results.append(Result(figure, ours * 1e6, base * 1e6, "us/op", "SQLAlchemy 2.0", 1.05))
    return results


async def _bulk_ops(engine: AsyncEngine, dsn: str) -> list[Result]:
    async def truncate() -> None:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("TRUNCATE bench_items RESTART IDENTITY")

    async def seeded() -> None:
        await truncate()
        async with _session(engine) as sess:
            await AsyncRepository(sess, Item).bulk_insert(_rows())
            await sess.commit()

    async def serpens_bulk_add() -> None:
        async with _session(engine) as sess:
            await AsyncRepository(sess, Item).bulk_add([Item(**r) for r in _rows()])
            await sess.commit()

    async def raw_add_all() -> None:
        async with _session(engine) as sess:
            sess.add_all([Item(**r) for r in _rows()])
            await sess.commit()

    async def serpens_bulk_insert() -> None:
        async with _session(engine) as sess:
            await AsyncRepository(sess, Item).bulk_insert(_rows())
            await sess.commit()

    # Raw asyncpg gets one connection for the whole run, as the engines get their pools:
    # connecting is not part of the work compared.
    raw = await asyncpg.connect(dsn)

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
            repo = AsyncRepository(sess, Item)
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

    try:
        add_all, bulk_add, copy, executemany, bulk_insert = await _timed(
            (truncate, raw_add_all),
            (truncate, serpens_bulk_add),
            (truncate, raw_copy),
            (truncate, raw_executemany),
            (truncate, serpens_bulk_insert),
        )
        upsert, raw_sa_upsert, raw_pg_upsert = await _timed(
            (seeded, serpens_upsert_many), (seeded, raw_upsert), (seeded, raw_asyncpg_upsert)
        )
    finally:
        await raw.close()
    ms = 1e3
    fastest_insert = min(copy, executemany)
    fastest_upsert = min(raw_sa_upsert, raw_pg_upsert)
    return [
        Result("bulk_add 10k objects", bulk_add * ms, add_all * ms, "ms", "SA add_all", 1.2),
        Result(
            "bulk_insert 10k rows", bulk_insert * ms, fastest_insert * ms, "ms", "fastest raw", 1.2
        ),
        Result("bulk_insert 10k rows", bulk_insert * ms, copy * ms, "ms", "asyncpg COPY"),
        Result("bulk_insert 10k rows", bulk_insert * ms, executemany * ms, "ms", "SA executemany"),
        Result("upsert_many 10k rows", upsert * ms, fastest_upsert * ms, "ms", "fastest raw", 1.2),
        Result("upsert_many 10k rows", upsert * ms, raw_sa_upsert * ms, "ms", "SA upsert"),
        Result(
            "upsert_many 10k rows", upsert * ms, raw_pg_upsert * ms, "ms", "asyncpg executemany"
        ),
    ]


async def _fake_vs_postgres(engine: AsyncEngine) -> list[Result]:
    """The same mixed workload (add, get, list, upsert, count) on the fake and PostgreSQL."""

    async def workload(repo: AsyncRepository[Item] | AsyncInMemoryRepository[Item]) -> None:
        for i in range(50):
            item = await repo.add(Item(sku=f"w{i}"))
            await repo.get(item.id)
            await repo.upsert(
                {"sku": f"w{i}", "name": "x"}, conflict_on=["sku"], update_fields=["name"]
            )
        await repo.list(limit=20, order_by="-sku")
        await repo.count(name="x")

    async def truncate() -> None:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("TRUNCATE bench_items RESTART IDENTITY")

    async def on_postgres() -> None:
        async with _session(engine) as sess:
            await workload(AsyncRepository(sess, Item))
            await sess.commit()

    async def on_fake() -> None:
        await workload(AsyncInMemoryRepository(Item, database=InMemoryDatabase()))

    async def nothing() -> None:
        return None

    pg, fake = await _timed((truncate, on_postgres), (nothing, on_fake))
    return [Result("mixed workload (152 calls)", fake * 1e3, pg * 1e3, "ms", "PostgreSQL", 0.01)]


async def _main(dsn: str) -> list[Result]:
    engine = create_async_engine("postgresql+asyncpg://" + dsn.split("://", 1)[1])
    async with engine.begin() as conn:
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
    with start_postgres(tier="embedded") as server:
        return asyncio.run(_main(server.url))


if __name__ == "__main__":
    print_table(main())
