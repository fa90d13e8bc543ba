"""In-memory fake repository vs PostgreSQL at 1k, 10k and 100k rows, operation by operation.

The fake is what users' unit tests run on, so it has to stay far cheaper than the database
at the table sizes services really have, not only on toy tables. Both sides hold the same
rows and run each operation through serpens' async repository, one new unit of work per
call: ``AsyncRepository`` over a fresh ``AsyncSession`` (asyncpg) against
``AsyncInMemoryRepository`` over a shared ``InMemoryDatabase``. A write commits.

Each side runs the operation in blocks of consecutive calls, the sides taking turns block
by block, and each side's figure is its median call
(:func:`~bench._common.block_medians_async`): both are measured warm, as a test suite calls
them. The ratio is fake / PostgreSQL; the target is at most 0.01 (100x faster) at 1k rows
and at most 0.1 (10x) at 10k and 100k. Alternating call by call instead
(:func:`~bench._common.interleaved_medians_async`) times the fake mostly on caches that
PostgreSQL's driver and the event loop just evicted: its figures at 10k rows, informative,
show that cost (the fake's calls take two to three times as long; PostgreSQL's barely
change). The fake's indexes (unique, ordered, equality) are built on the first call
of an ordering and kept current by every commit, as a database keeps its indexes: the
warm-up calls build them. PostgreSQL's rows are loaded with ``bulk_insert`` (COPY).

What bounds the fake on reads returning many rows is SQLAlchemy itself: every returned row
is a new mapped instance with its ``InstanceState``, as the ORM builds it. The last row
times that floor (100 bare ``new_instance`` calls) next to the fake's ``list(limit=100)``.

PostgreSQL is this machine's own binary (``local`` tier) unless ``TEST_POSTGRES_URL`` or
``SERPENS_TEST_POSTGRES_TIER`` says otherwise.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench._common import (
    Result,
    best_of,
    block_medians_async,
    interleaved_medians_async,
    note_server,
    print_table,
    scaled,
)
from serpens.fakes import AsyncInMemoryRepository, InMemoryDatabase, InMemoryRepository
from serpens.testing import start_postgres
from serpens_sqlalchemy import AsyncRepository

SIZES = (1_000, 10_000, 100_000)
ALTERNATED = 10_000  # the size also timed alternating call by call (informative)
BLOCKS = scaled(8, minimum=2)
BLOCK = scaled(10, minimum=2)
CALLS = scaled(40, minimum=3)  # the informative call-by-call alternation
WARM = 3


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "bench_fake_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(40))
    price: Mapped[int | None]


def _rows(n: int) -> list[dict[str, object]]:
    # Prices repeat (ties broken by the key) and some are NULL, as in real tables.
    return [
        {"sku": f"s{i:07d}", "name": "n", "price": None if i % 97 == 0 else (i * 7919) % 5000}
        for i in range(n)
    ]


Repo = Any  # AsyncRepository[Item] | AsyncInMemoryRepository[Item]
Operation = Callable[[Repo], Awaitable[object]]


def _operations(n: int) -> dict[str, Operation]:
    keys = itertools.count(7)
    added = itertools.count()
    cursor: dict[str, str | None] = {}

    async def get(repo: Repo) -> object:
        return await repo.get(next(keys) * 7919 % n + 1)

    async def get_by(repo: Repo) -> object:
        return await repo.get_by(sku=f"s{next(keys) * 7919 % n:07d}")

    async def list_top(repo: Repo) -> object:
        return await repo.list(limit=100, order_by="-price")

    async def paginate(repo: Repo) -> object:
        return await repo.paginate(page=3, size=50, order_by="-price")

    async def count(repo: Repo) -> object:
        return await repo.count()

    async def seek(repo: Repo) -> object:
        side = type(repo).__name__
        if side not in cursor:  # a cursor in the middle of the table, per side
            first = await repo.seek(limit=min(500, n // 2), order_by="-sku")
            cursor[side] = first.next_cursor
        return await repo.seek(after=cursor[side], limit=50, order_by="-sku")

    async def add_commit(repo: Repo) -> object:
        obj = await repo.add(Item(sku=f"a{next(added)}", price=1))
        await (repo.sess.commit() if isinstance(repo, AsyncRepository) else repo.commit())
        return obj

    return {
        "get by key": get,
        "get_by unique column": get_by,
        'list(limit=100, order_by="-price")': list_top,
        'paginate(page=3, size=50, order_by="-price")': paginate,
        "count()": count,
        'seek(after=..., limit=50, order_by="-sku")': seek,
        "add + commit": add_commit,
    }


async def _load(engine: AsyncEngine, database: InMemoryDatabase, n: int) -> None:
    async with engine.begin() as conn:
        await conn.exec_driver_sql(f"TRUNCATE {Item.__tablename__} RESTART IDENTITY")
    async with AsyncSession(engine, expire_on_commit=False) as sess:
        await AsyncRepository(sess, Item).bulk_insert(_rows(n))  # COPY on asyncpg
        await sess.commit()
    async with engine.begin() as conn:
        await conn.exec_driver_sql(f"ANALYZE {Item.__tablename__}")
    fake = AsyncInMemoryRepository(Item, database=database)
    await fake.bulk_insert(_rows(n))
    await fake.commit()


async def _size(engine: AsyncEngine, n: int) -> list[Result]:
    database = InMemoryDatabase()
    await _load(engine, database, n)
    target = 0.01 if n < 10_000 else 0.1
    results = []
    for figure, operation in _operations(n).items():

        async def on_fake(operation: Operation = operation) -> None:
            repo = AsyncInMemoryRepository(Item, database=database)
            await operation(repo)
            await repo.close()

        async def on_postgres(operation: Operation = operation) -> None:
            async with AsyncSession(engine, autoflush=False, expire_on_commit=False) as sess:
                await operation(AsyncRepository(sess, Item))

        for _ in range(WARM):  # warm: statement caches, pool, the fake's indexes
            await on_fake()
            await on_postgres()
        medians = await block_medians_async((on_fake, on_postgres), blocks=BLOCKS, block=BLOCK)
        results.append(
            Result(
                f"{figure}, {n:,} rows",
                medians[on_fake] * 1e6,
                medians[on_postgres] * 1e6,
                "us/op",
                "PostgreSQL, asyncpg",
                target,
            )
        )
        if n == ALTERNATED:
            medians = await interleaved_medians_async((on_fake, on_postgres), calls=CALLS)
            results.append(
                Result(
                    f"{figure}, {n:,} rows, alternating call by call",
                    medians[on_fake] * 1e6,
                    medians[on_postgres] * 1e6,
                    "us/op",
                    "PostgreSQL, asyncpg",
                )
            )
    return results


def _loading_floor() -> Result:
    """What bounds ``list``/``paginate``/``seek``: SQLAlchemy building the mapped instances.

    Every row a repository returns is a new instance with its ``InstanceState`` (a new unit
    of work has an empty identity map), built by SQLAlchemy's ``new_instance``. The fake
    builds them the way the ORM's loading does; this times 100 of them bare, next to the
    fake's ``list(limit=100)``, so the share of the fake's own work is visible.
    """
    database = InMemoryDatabase()
    seed = InMemoryRepository(Item, database=database)
    seed.bulk_insert(_rows(1_000))
    seed.commit()
    rows = [dict(r) for r in _rows(100)]
    new_instance = Item.__mapper__.class_manager.new_instance

    def bare() -> None:
        for row in rows:
            new_instance().__dict__.update(row)

    def fake() -> None:
        InMemoryRepository(Item, database=database).list(limit=100, order_by="-price")

    fake()
    rounds = scaled(200, minimum=5)
    return Result(
        "list(limit=100) on the fake vs building 100 bare mapped instances",
        best_of(fake, repeat=7, number=rounds) * 1e6,
        best_of(bare, repeat=7, number=rounds) * 1e6,
        "us/op",
        "SQLAlchemy new_instance x100",
    )


async def _main(url: str, tier: str) -> list[Result]:
    engine = create_async_engine("postgresql+asyncpg://" + url.split("://", 1)[1])
    async with engine.begin() as conn:
        version = (await conn.exec_driver_sql("SHOW server_version")).scalar_one()
        note_server("PostgreSQL", f"{version} ({tier} tier, asyncpg)")
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    try:
        results: list[Result] = []
        for n in SIZES:
            results += await _size(engine, n)
        results.append(_loading_floor())
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()
    return results


def main() -> list[Result]:
    with start_postgres() as server:
        return asyncio.run(_main(server.url, server.tier))


if __name__ == "__main__":
    print_table(main())
