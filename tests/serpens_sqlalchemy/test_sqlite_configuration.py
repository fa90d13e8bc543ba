"""``configure_sqlite``: foreign keys enforced, only SQLite engines accepted, AUTOCOMMIT kept.

The contract suite's tables have no foreign keys, so nothing else notices a SQLite
engine left without ``PRAGMA foreign_keys=ON``. The savepoint recipe emits ``BEGIN``
when SQLAlchemy begins; on an ``AUTOCOMMIT`` connection SQLAlchemy never commits, so
that ``BEGIN`` must not be sent there, or every write would be rolled back when the
connection returns to the pool. Real server: SQLite files (pysqlite, aiosqlite).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from serpens.errors import ConfigurationError
from serpens_sqlalchemy import configure_sqlite

METADATA = sa.MetaData()
PARENTS = sa.Table("cfg_parents", METADATA, sa.Column("id", sa.Integer, primary_key=True))
CHILDREN = sa.Table(
    "cfg_children",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("cfg_parents.id")),
)


@pytest.fixture(name="engine")
def _engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'configured.db'}")
    configure_sqlite(engine)
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_a_configured_engine_refuses_a_row_whose_parent_is_missing(engine: sa.Engine) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), engine.begin() as conn:
        conn.execute(CHILDREN.insert().values(id=1, parent_id=42))
    with engine.begin() as conn:
        conn.execute(PARENTS.insert().values(id=42))
        conn.execute(CHILDREN.insert().values(id=1, parent_id=42))
    assert _count(engine, CHILDREN) == 1


async def test_a_configured_aiosqlite_engine_enforces_foreign_keys(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'configured.db'}")
    configure_sqlite(engine)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            async with engine.begin() as conn:
                await conn.execute(CHILDREN.insert().values(id=1, parent_id=42))
    finally:
        await engine.dispose()


def test_configuring_an_engine_twice_keeps_one_begin_per_transaction(engine: sa.Engine) -> None:
    configure_sqlite(engine)
    with engine.connect() as conn:
        conn.execute(PARENTS.insert().values(id=1))
        with conn.begin_nested():
            conn.execute(PARENTS.insert().values(id=2))
        conn.rollback()  # the released savepoint did not commit the outer transaction
    assert _count(engine, PARENTS) == 0


def test_writes_on_an_autocommit_connection_are_kept(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(PARENTS.insert().values(id=1))
    assert _count(engine, PARENTS) == 1


def test_writes_on_an_autocommit_engine_are_kept(tmp_path: Path) -> None:
    engine = sa.create_engine(
        f"sqlite:///{tmp_path / 'autocommit.db'}", isolation_level="AUTOCOMMIT"
    )
    configure_sqlite(engine)
    try:
        METADATA.create_all(engine)
        with engine.connect() as conn:
            conn.execute(PARENTS.insert().values(id=1))
        assert _count(engine, PARENTS) == 1
    finally:
        engine.dispose()


def test_a_transaction_after_an_autocommit_connection_still_rolls_back(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(PARENTS.insert().values(id=1))
    with engine.connect() as conn:
        conn.execute(PARENTS.insert().values(id=2))
        conn.rollback()
    assert _count(engine, PARENTS) == 1


@pytest.mark.parametrize(
    ("given", "named"),
    [
        pytest.param(object(), "a object", id="not-an-engine"),
        pytest.param(sa.create_engine("postgresql+psycopg2://"), "a 'postgresql' engine", id="pg"),
    ],
)
def test_configure_sqlite_refuses_anything_but_a_sqlite_engine(given: object, named: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        configure_sqlite(given)  # type: ignore[arg-type]
    assert str(caught.value) == f"configure_sqlite needs a SQLite engine; it was given {named}"
