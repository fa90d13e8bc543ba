"""An ``ARRAY``'s elements, checked and stored as PostgreSQL holds them.

Each element is a value of the element type, checked as one (the shared rules, so the
SQL adapters refuse it before any I/O too): psycopg2's server cut ``"abcd"`` to
``"abc"`` in a ``VARCHAR(3)[]`` and rounded ``1.5`` to ``2`` in an ``INTEGER[]``, silently;
a NUL in a text element raised psycopg2's bare ``ValueError``; asyncpg raised; the fake
stored each as given. Nested arrays are rectangular. The fake stores the elements as
PostgreSQL reads them back (a ``Numeric(7, 2)`` element at its scale, a float
element's int as a float, an ``Enum`` element's name as its member).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from tests.serpens.fakes._beside_postgresql import Step, assert_alike, engine_for, on_fake


class _Base(DeclarativeBase):
    pass


class Grid(_Base):
    __tablename__ = "fake_arrays_grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    ints: Mapped[list[Any] | None] = mapped_column(ARRAY(sa.Integer))
    codes: Mapped[list[str] | None] = mapped_column(ARRAY(sa.String(3)))
    prices: Mapped[list[Decimal] | None] = mapped_column(ARRAY(sa.Numeric(7, 2)))
    weights: Mapped[list[float] | None] = mapped_column(ARRAY(sa.Float))


def _add(i: int, **values: object) -> Step:
    return lambda r: r.add(Grid(id=i, **values)).id


def _types(value: object) -> object:
    """The type name of each element of a (nested) array, in its shape."""
    return [_types(v) for v in value] if isinstance(value, list) else type(value).__name__


REFUSED: list[dict[str, object]] = [
    {"ints": ["x"]},
    {"ints": [1.5]},  # psycopg2's server stored 2
    {"ints": [True]},
    {"ints": [2**40]},  # past INTEGER
    {"ints": [[1, 2], [3]]},  # not rectangular
    {"ints": [1, [2]]},
    {"ints": [[1], [[2]]]},
    {"ints": [[[2]], [1]]},
    {"codes": ["abcd"]},  # psycopg2's server stored "abc"
    {"codes": [5]},
    {"codes": ["a\x00"]},  # psycopg2 raised a bare ValueError
    {"prices": [Decimal("123456.1")]},  # past NUMERIC(7, 2)
    {"prices": [99999.995]},  # its text rounds to 100000.00 (its binary value would not)
    {"weights": ["1.5"]},
]
STEPS: list[Step] = [
    *(_add(i, **values) for i, values in enumerate(REFUSED, start=100)),
    _add(1, ints=[[1, None], [3, 4]], codes=["abc", None], prices=[Decimal("1.005"), 2, 2.675]),
    _add(2, weights=[1, Decimal("0.5")], ints=[]),
    lambda r: r.get_or_raise(1).prices,
    lambda r: r.get_or_raise(2).weights,
    lambda r: r.get_by(ints=[[1, None], [3, 4]]).id,
    lambda r: r.get_by(ints=["x"]),
    lambda r: r.count(codes=("abc", None)),
    lambda r: [_types(r.get_or_raise(1).ints), _types(r.get_or_raise(2).weights)],
]
OUTCOMES: list[object] = [
    *[ValidationError] * len(REFUSED),
    1,
    2,
    [Decimal("1.01"), Decimal("2.00"), Decimal("2.68")],  # a float element by its text
    [1.0, 0.5],
    1,
    ValidationError,
    1,
    [[["int", "NoneType"], ["int", "int"]], ["float", "float"]],  # each element's type
]


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


class TestArraysBesidePostgreSQL:
    def test_elements_checked_and_stored_as_postgresql_holds_them(self, engine: sa.Engine) -> None:
        outcomes = assert_alike(engine, Grid, STEPS)
        assert [fake for fake, _ in outcomes] == OUTCOMES


class Stage(enum.Enum):
    DRAFT = "draft"
    LIVE = "live"


class Board(_Base):
    __tablename__ = "fake_arrays_boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    stages: Mapped[list[Stage] | None] = mapped_column(ARRAY(sa.Enum(Stage, native_enum=False)))
    times: Mapped[list[dt.datetime] | None] = mapped_column(ARRAY(sa.DateTime(timezone=True)))


class TestInMemoryArrays:
    def test_elements_checked_and_stored_as_postgresql_holds_them(self) -> None:
        """In memory, the steps pinned beside PostgreSQL above (for the mutation run)."""
        assert on_fake(Grid, STEPS) == OUTCOMES

    def test_an_error_names_the_element(self) -> None:
        repo: Any = InMemoryRepository(Grid, database=InMemoryDatabase())
        with pytest.raises(ValidationError) as info:
            repo.add(Grid(id=1, ints=[[1, 2], [3, "x"]]))
        assert [e.path for e in info.value.errors] == ["ints[1][1]"]
        with pytest.raises(ValidationError) as info:
            repo.add(Grid(id=1, ints=[0, -(2**31), 2**31]))
        assert [str(e) for e in info.value.errors] == [
            "ints[2]: INTEGER holds -2^31 to 2^31 - 1, got 2147483648"
        ]
        with pytest.raises(ValidationError) as info:
            repo.add(Grid(id=1, ints=[[1, 2], [3]]))
        assert [str(e) for e in info.value.errors] == ["ints: sub-arrays must match in size"]
        with pytest.raises(ValidationError) as info:
            repo.bulk_insert([{"id": 2, "codes": ["a"]}, {"id": 3, "codes": ["b", "long"]}])
        assert [e.path for e in info.value.errors] == ["rows[1].codes[1]"]
        assert repo.count() == 0

    def test_enum_elements_are_stored_as_their_members(self) -> None:
        repo: Any = InMemoryRepository(Board, database=InMemoryDatabase())
        repo.add(Board(id=1, stages=["LIVE", Stage.DRAFT, None]))
        repo.commit()
        stored = InMemoryRepository(Board, database=repo.database).get_or_raise(1)
        assert stored.stages == [Stage.LIVE, Stage.DRAFT, None]
        with pytest.raises(ValidationError):
            repo.add(Board(id=2, stages=["GONE"]))

    def test_aware_datetime_elements_are_stored_in_utc(self) -> None:
        repo: Any = InMemoryRepository(Board, database=InMemoryDatabase())
        noon = dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        repo.add(Board(id=1, times=[noon, None]))
        repo.commit()
        stored = InMemoryRepository(Board, database=repo.database).get_or_raise(1).times
        assert stored == [noon, None]
        assert stored[0].tzinfo is dt.UTC
        with pytest.raises(ValidationError):
            repo.add(Board(id=2, times=[dt.datetime(2026, 1, 1)]))  # noqa: DTZ001 - naive on purpose
