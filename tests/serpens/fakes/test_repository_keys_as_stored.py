"""The fake compares keys and filter values as the database stores them, in process.

The contract suite pins these next to every backend; these cases pin them where no server
runs (the mutation driver's in-process cells): a NaN equals the stored NaN (PostgreSQL
holds NaN equal to NaN), and an ``Enum`` member's name is the member in an
``upsert_many`` conflict key (no contract model has a unique ``Enum`` column).
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import os
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ConflictError, ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository


class _Base(DeclarativeBase):
    pass


class Shade(enum.Enum):
    LIGHT = "light"
    DARK = "dark"


class Reading(_Base):
    __tablename__ = "fake_keys_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[float | None] = mapped_column(sa.Float, unique=True)
    exact: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    shade: Mapped[Shade | None] = mapped_column(sa.Enum(Shade, native_enum=False), unique=True)


class TestInMemoryKeysAsStored:
    """Selected by the mutation driver (its in-process cells run ``TestInMemory*``)."""

    def test_a_nan_filter_finds_the_stored_nan_and_a_unique_column_holds_one(self) -> None:
        database = InMemoryDatabase()
        repo: Any = InMemoryRepository(Reading, database=database)
        repo.bulk_insert([{"id": 1, "level": math.nan, "exact": Decimal("NaN")}])
        repo.commit()
        fresh: Any = InMemoryRepository(Reading, database=database)
        assert fresh.count(level=float("nan")) == fresh.count(exact=float("nan")) == 1
        assert fresh.count(level=Decimal("NaN")) == fresh.count(exact=Decimal("-NaN")) == 1
        with pytest.raises(ConflictError):
            fresh.bulk_insert([{"id": 2, "level": float("nan"), "exact": None}])

    @pytest.mark.parametrize(
        "row", [{"level": 1.5, "shade": None}, {"level": None, "shade": Shade.DARK}]
    )
    def test_a_null_in_one_unique_column_leaves_the_others_checked(
        self, row: dict[str, Any]
    ) -> None:
        """Both ways round: the order of a table's unique sets is not fixed between runs."""
        repo: Any = InMemoryRepository(Reading, database=InMemoryDatabase())
        repo.add(Reading(id=1, **row))
        with pytest.raises(ConflictError):
            repo.add(Reading(id=2, **row))  # found by the flush, not left to the commit


def test_an_enum_name_and_its_member_are_one_upsert_many_key() -> None:
    repo: Any = InMemoryRepository(Reading, database=InMemoryDatabase())
    twins = [{"id": 1, "shade": "DARK"}, {"id": 2, "shade": Shade.DARK}]
    with pytest.raises(ValidationError) as info:
        repo.upsert_many(twins, conflict_on=["shade"])
    assert [e.path for e in info.value.errors] == ["rows[1]"]
    assert repo.upsert_many([twins[0], {"id": 2, "shade": Shade.LIGHT}], conflict_on=["shade"]) == 2


class _Zoned(sa.types.TypeDecorator[dt.datetime]):
    """A user's zone-aware type: the rules do not know its Python types."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True


_NOON = dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)


class Stamp(_Base):
    __tablename__ = "fake_keys_stamps"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    zoned: Mapped[Any] = mapped_column(_Zoned, nullable=True)
    local: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=dt.datetime(2026, 1, 2))  # noqa: DTZ001 - naive on purpose
    ends: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_NOON)


@pytest.fixture
def local_zone_not_utc() -> Iterator[None]:
    """The process's local time zone at +05:30, so "local" and UTC differ."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "XST-05:30"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


class TestInMemoryValuesAsStored:
    @pytest.mark.usefixtures("local_zone_not_utc")
    def test_an_aware_datetime_reads_back_in_utc_whatever_the_local_zone(self) -> None:
        database = InMemoryDatabase()
        repo: Any = InMemoryRepository(Stamp, database=database)
        plus_two = dt.timezone(dt.timedelta(hours=2))
        repo.add(Stamp(id=1, at=dt.datetime(2026, 1, 2, 12, tzinfo=plus_two)))
        repo.commit()
        at: Any = InMemoryRepository(Stamp, database=database).get(1).at  # type: ignore[union-attr]
        assert (at, at.utcoffset()) == (dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC), dt.timedelta(0))

    def test_a_user_zone_aware_type_refuses_a_value_that_is_no_datetime(self) -> None:
        repo: Any = InMemoryRepository(Stamp, database=InMemoryDatabase())
        with pytest.raises(ValidationError):
            repo.add(Stamp(id=1, zoned=5))

    def test_a_keyset_walk_orders_by_a_naive_datetime_column(self) -> None:
        repo: Any = InMemoryRepository(Stamp, database=InMemoryDatabase())
        naive = [dt.datetime(2026, 1, i) for i in (1, 2, 3)]  # noqa: DTZ001 - a naive column
        repo.bulk_insert([{"id": i, "local": v} for i, v in enumerate(naive, 1)])
        first = repo.seek(limit=2, order_by="local")
        rest = repo.seek(after=first.next_cursor, limit=2, order_by="local")
        assert [s.id for s in first.items + rest.items] == [1, 2, 3]

    @pytest.mark.usefixtures("local_zone_not_utc")
    def test_a_keyset_walk_reaches_the_last_instant_whatever_the_local_zone(self) -> None:
        """The cursor is read in UTC: read in local time +05:30, 9999-12-31T23:00Z overflows."""
        repo: Any = InMemoryRepository(Stamp, database=InMemoryDatabase())
        last = dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC)
        repo.bulk_insert([{"id": 1, "ends": last - dt.timedelta(hours=1)}, {"id": 2, "ends": last}])
        first = repo.seek(limit=1, order_by="-ends")
        rest = repo.seek(after=first.next_cursor, limit=1, order_by="-ends")
        assert [s.id for s in first.items + rest.items] == [2, 1]
