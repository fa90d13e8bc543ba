"""The table, rows, sessions and sizes shared by the parts of ``bench/repository.py``.

``bench/repository.py`` (single-row figures, the fake beside PostgreSQL, the run) and
``bench/_repository_bulk.py`` (bulk writes) both work on ``bench_items``; the model and
the sizes live here so that both import the same ``Item`` whether ``bench.repository``
runs as ``python -m`` or as a ``bench.run_all`` worker.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench._common import scaled

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


def _session(engine: AsyncEngine) -> AsyncSession:
    return AsyncSession(engine, autoflush=False, expire_on_commit=False)
