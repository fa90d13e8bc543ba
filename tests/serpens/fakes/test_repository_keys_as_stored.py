"""The fake compares keys and filter values as the database stores them, in process.

The contract suite pins these next to every backend; these cases pin them where no server
runs (the mutation driver's in-process cells): a NaN equals the stored NaN (PostgreSQL
holds NaN equal to NaN), and an ``Enum`` member's name is the member in an
``upsert_many`` conflict key (no contract model has a unique ``Enum`` column).
"""

from __future__ import annotations

import enum
import math
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


def test_a_nan_filter_finds_the_stored_nan_and_a_unique_column_holds_one() -> None:
    database = InMemoryDatabase()
    repo: Any = InMemoryRepository(Reading, database=database)
    repo.bulk_insert([{"id": 1, "level": math.nan, "exact": Decimal("NaN")}])
    repo.commit()
    fresh: Any = InMemoryRepository(Reading, database=database)
    assert fresh.count(level=float("nan")) == fresh.count(exact=float("nan")) == 1
    assert fresh.count(level=Decimal("NaN")) == fresh.count(exact=Decimal("-NaN")) == 1
    with pytest.raises(ConflictError):
        fresh.bulk_insert([{"id": 2, "level": float("nan"), "exact": None}])


def test_an_enum_name_and_its_member_are_one_upsert_many_key() -> None:
    repo: Any = InMemoryRepository(Reading, database=InMemoryDatabase())
    twins = [{"id": 1, "shade": "DARK"}, {"id": 2, "shade": Shade.DARK}]
    with pytest.raises(ValidationError) as info:
        repo.upsert_many(twins, conflict_on=["shade"])
    assert [e.path for e in info.value.errors] == ["rows[1]"]
    assert repo.upsert_many([twins[0], {"id": 2, "shade": Shade.LIGHT}], conflict_on=["shade"]) == 2
