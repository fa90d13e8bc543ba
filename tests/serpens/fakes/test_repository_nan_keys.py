"""NaN and unbounded numbers as conflict keys, in the fake and in PostgreSQL alike.

PostgreSQL holds NaN equal to NaN: two rows of one ``upsert_many`` keyed NaN are one key
given twice (``ON CONFLICT DO UPDATE`` fails with SQLSTATE 21000, ``DO NOTHING`` drops the
second row), a float NaN and a ``Decimal`` NaN are one key of a ``Numeric`` column, and a
NaN key meets the stored NaN row. The batch check compared NaNs with Python's ``==``,
which denies it: the SQL adapters then wrote what PostgreSQL decided and the fake raised
``ConflictError``. Both refuse such a batch as any other key given twice now. An
unbounded ``Numeric`` reads ``Decimal("1E+1")`` back as ``Decimal("10")``. SQLite stores
a NaN as NULL, so these run here against PostgreSQL itself (and on the fake alone, with
PostgreSQL's answers written out, for a run without a server).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ValidationError
from serpens.fakes import InMemoryRepository
from tests.serpens.fakes._beside_postgresql import Step, assert_alike, engine_for, on_fake


class _Base(DeclarativeBase):
    pass


class Dial(_Base):
    __tablename__ = "fake_nan_key_dials"

    id: Mapped[int] = mapped_column(primary_key=True)
    ratio: Mapped[float | None] = mapped_column(sa.Float, unique=True)
    tally: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2), unique=True)
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric, unique=True)
    hits: Mapped[int] = mapped_column(default=0)


def _twice(column: str, first: object, second: object, fields: list[str] | None) -> Step:
    rows = [{"id": 1, column: first, "hits": 1}, {"id": 2, column: second, "hits": 2}]
    return lambda repo: repo.upsert_many(rows, conflict_on=[column], update_fields=fields)


STEPS: list[Step] = [
    _twice("ratio", float("nan"), float("nan"), None),  # two NaN objects, one key
    _twice("ratio", math.nan, Decimal("NaN"), ["hits"]),
    _twice("tally", float("nan"), Decimal("NaN"), None),
    _twice("amount", Decimal("NaN"), float("nan"), ["hits"]),
    _twice("amount", Decimal("1E+1"), 10, None),
    lambda repo: repo.upsert_many(
        [
            {"id": 3, "ratio": math.nan, "amount": Decimal("1E+1")},
            {"id": 4, "ratio": 1.5, "amount": None},
        ],
        conflict_on=["ratio"],
    ),
    lambda repo: repo.upsert_many(  # meets the stored NaN row: updates it
        [{"id": 5, "ratio": float("nan"), "hits": 9}], conflict_on=["ratio"], update_fields=["hits"]
    ),
    lambda repo: [(d.id, d.hits, str(d.amount)) for d in repo.list(order_by="id")],
    lambda repo: repo.count(ratio=float("nan")),
    lambda repo: repo.upsert_many(  # an int and a Decimal in a float column: two keys
        [{"id": 10, "ratio": 2}, {"id": 11, "ratio": Decimal("2.5")}], conflict_on=["ratio"]
    ),
    lambda repo: repo.upsert_many(  # infinity is no NaN
        [{"id": 12, "amount": Decimal("Infinity")}, {"id": 13, "amount": Decimal("NaN")}],
        conflict_on=["amount"],
    ),
]
OUTCOMES: list[object] = [
    ValidationError,
    ValidationError,
    ValidationError,
    ValidationError,
    ValidationError,
    2,
    1,
    [(3, 9, "10"), (4, 0, "None")],
    1,
    2,
    2,
]


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


def test_nan_keys_compare_as_postgresql_compares_them(engine: sa.Engine) -> None:
    outcomes = assert_alike(engine, Dial, STEPS)
    assert [fake for fake, _ in outcomes] == OUTCOMES


class TestInMemoryNanKeys:
    def test_nan_keys_on_the_fake_alone(self) -> None:
        assert on_fake(Dial, STEPS) == OUTCOMES

    def test_a_batch_naming_a_nan_key_twice_names_the_second_row(self) -> None:
        dials: Any = InMemoryRepository(Dial)
        with pytest.raises(ValidationError) as info:
            dials.upsert_many(
                [
                    {"id": 1, "tally": Decimal("NaN")},
                    {"id": 2, "tally": 1.5},
                    {"id": 3, "tally": math.nan},
                ],
                conflict_on=["tally"],
            )
        assert [e.path for e in info.value.errors] == ["rows[2]"]

    def test_a_null_key_does_not_hide_a_key_given_twice_after_it(self) -> None:
        dials: Any = InMemoryRepository(Dial)
        with pytest.raises(ValidationError) as info:
            dials.upsert_many(
                [{"id": 1, "tally": None}, {"id": 2, "tally": 1}, {"id": 3, "tally": Decimal(1)}],
                conflict_on=["tally"],
            )
        assert [e.path for e in info.value.errors] == ["rows[2]"]

    def test_an_unbounded_numeric_keeps_every_digit_of_a_large_number(self) -> None:
        """``Decimal("-7E+30")`` reads back with its 31 digits, as PostgreSQL writes it out."""
        dials: Any = InMemoryRepository(Dial)
        dials.bulk_insert(
            [{"id": 1, "amount": Decimal("-7E+30")}, {"id": 2, "amount": Decimal("1E+1")}]
        )
        dials.commit()
        stored = InMemoryRepository(Dial, database=dials.database).list(order_by="id")
        assert [str(d.amount) for d in stored] == ["-7" + "0" * 30, "10"]
