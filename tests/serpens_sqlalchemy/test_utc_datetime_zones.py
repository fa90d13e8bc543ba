"""``UTCDateTime`` keeps the instant whatever zone the session or the process runs in.

The contract suites write and read on PostgreSQL sessions and processes set to UTC,
where storing a naive UTC wall clock, labelling an offset value "UTC" without
converting, or converting to the local zone all look right. Here the PostgreSQL session
runs in ``Asia/Kolkata`` (+05:30) and the process's local zone is UTC-03:00, so each of
those slips moves the stored or returned instant. MySQL, which has no zones either, is
checked by the SQL rendered for it. Real servers: PostgreSQL (psycopg2, asyncpg) and a
SQLite file.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens_sqlalchemy import UTCDateTime, configure_sqlite

SESSION_ZONE = "Asia/Kolkata"
LOCAL_ZONE = "LCL+03"  # POSIX: three hours behind UTC, no tz database needed
# 10:00 at +02:00 is 08:00 UTC; every zone above puts a different wall clock on it
WRITTEN = datetime(2024, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
UTC_WALL_CLOCK = "2024-01-01 08:00:00"


def _table() -> sa.Table:
    """A table of its own per test: other sessions share this PostgreSQL database."""
    return sa.Table(
        f"utc_zones_{uuid.uuid4().hex[:12]}",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime()),
    )


@pytest.fixture(name="local_zone")
def _local_zone() -> Iterator[None]:
    """Run the test with the process's local zone at UTC-03:00 (``TZ``), then restore it."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = LOCAL_ZONE
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def _check_read_back(value: datetime | None) -> None:
    assert value == WRITTEN
    assert value is not None
    assert value.tzinfo == UTC
    assert value.utcoffset() == timedelta(0)
    assert value.hour == 8


@pytest.fixture(name="engine", params=["psycopg2", "sqlite"])
def _engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """psycopg2 with its session in Kolkata, or a configured SQLite file."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'zones.db'}")
        configure_sqlite(engine)
    else:
        postgres_url: str = request.getfixturevalue("postgres_url")
        engine = sa.create_engine(
            "postgresql+psycopg2://" + postgres_url.split("://", 1)[1],
            connect_args={"options": f"-c TimeZone={SESSION_ZONE}"},
        )
    yield engine
    engine.dispose()


@pytest.mark.usefixtures("local_zone")
def test_a_utc_datetime_round_trips_the_instant_in_utc_outside_utc_zones(
    engine: sa.Engine,
) -> None:
    table = _table()
    table.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(table.insert().values(id=1, at=WRITTEN))
        with engine.connect() as conn:
            _check_read_back(conn.execute(sa.select(table.c.at)).scalar_one())
            # what the database holds, read without the type: the UTC wall clock
            name = table.name
            if engine.dialect.name == "postgresql":
                stored = conn.exec_driver_sql(
                    f"SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM {name}"
                ).scalar_one()
            else:
                stored = conn.exec_driver_sql(f"SELECT at FROM {name}").scalar_one()[:19]
        assert stored == UTC_WALL_CLOCK
    finally:
        table.drop(engine)


def test_a_value_rendered_inline_for_mysql_is_the_naive_utc_wall_clock() -> None:
    """A backend without zones gets the naive UTC wall clock, also in inline SQL.

    SQLAlchemy's SQLite type and MySQL's drivers drop the zone of a bound value; a value
    rendered into the SQL text (``literal_binds``: Alembic's offline ``--sql``) would
    keep it (``'... 08:00:00+00:00'``), which MySQL 5.7 refuses and 8.0 converts to the
    session's zone. No MySQL server here: the rendered SQL is the check.
    """
    statement = _table().insert().values(id=1, at=WRITTEN)
    sql = statement.compile(dialect=mysql.dialect(), compile_kwargs={"literal_binds": True})
    assert f"'{UTC_WALL_CLOCK}'" in str(sql)


@pytest.fixture(name="async_engine")
async def _async_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """asyncpg with its session in Kolkata."""
    engine = create_async_engine(
        "postgresql+asyncpg://" + postgres_url.split("://", 1)[1],
        connect_args={"server_settings": {"TimeZone": SESSION_ZONE}},
    )
    yield engine
    await engine.dispose()


@pytest.mark.usefixtures("local_zone")
async def test_a_utc_datetime_on_asyncpg_round_trips_the_instant_in_utc_outside_utc_zones(
    async_engine: AsyncEngine,
) -> None:
    table = _table()
    async with async_engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
    try:
        async with async_engine.begin() as conn:
            await conn.execute(table.insert().values(id=1, at=WRITTEN))
        async with async_engine.connect() as conn:
            _check_read_back((await conn.execute(sa.select(table.c.at))).scalar_one())
            at_utc = (
                await conn.exec_driver_sql(
                    f"SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
                    f"FROM {table.name}"
                )
            ).scalar_one()
        assert at_utc == UTC_WALL_CLOCK
    finally:
        async with async_engine.begin() as conn:
            await conn.run_sync(table.metadata.drop_all)
