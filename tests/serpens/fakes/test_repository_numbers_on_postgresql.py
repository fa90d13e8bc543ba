"""Numbers in the fake as in PostgreSQL, next to the real server: NaN, and Numeric's digits.

PostgreSQL sorts a float's or a numeric's NaN above every number and below NULL
(ascending; the reverse descending), and two NaNs tie. Python's ``<`` answers ``False``
both ways for a float NaN and raises for a ``Decimal`` one, so the fake compares NaN
explicitly: in its sorts, its kept-sorted indexes (the NaN rows written after an index
was built, too) and its keyset cursors. PostgreSQL also holds NaN equal to NaN (a filter
finds it, a unique column refuses a second), which Python's ``==`` denies: the fake stores
one NaN object and compares by identity first. An unbounded ``Numeric`` keeps a number at
the scale it was written with and never an exponent above the units: ``Decimal("1E+3")``
reads back as ``Decimal("1000")`` (equal, but its text differs, and so does any JSON made
of it). SQLite stores a NaN as NULL and a float in a ``Numeric``, so these are not
contract cases; they run here against PostgreSQL itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConflictError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_sqlalchemy import SQLAlchemyRepository
from tests.serpens.fakes._beside_postgresql import engine_for


class _Base(DeclarativeBase):
    pass


class Reading(_Base):
    __tablename__ = "fake_nan_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[float | None] = mapped_column(sa.Float)
    exact: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    name: Mapped[str] = mapped_column(sa.String(10), nullable=False)


FIRST = [
    {"value": 2.0, "exact": Decimal("2.00"), "name": "b"},
    {"value": None, "exact": None, "name": "n"},
    {"value": 1.0, "exact": Decimal("1.00"), "name": "a"},
]
LATER = [  # written after the orderings were read once (their indexes built)
    {"value": math.nan, "exact": Decimal("NaN"), "name": "x"},
    {"value": math.inf, "exact": Decimal("3.00"), "name": "i"},
    {"value": math.nan, "exact": Decimal("NaN"), "name": "y"},
    {"value": -1.0, "exact": Decimal("-1.00"), "name": "m"},
]
ORDERS = ["value", "-value", "exact", "-exact", ("value", "-name"), ("-exact", "name")]


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


def _names(repo: Any, order_by: Any) -> list[list[str]]:
    whole = [r.name for r in repo.list(order_by=order_by)]
    pages = [
        [r.name for r in repo.paginate(page=p, size=2, order_by=order_by).items]
        for p in (1, 2, 3, 4)
    ]
    return [whole, [n for page in pages for n in page]]


def _insert_on_both(
    database: InMemoryDatabase, engine: sa.Engine, model: type[Any], rows: list[dict[str, Any]]
) -> None:
    """Commit *rows* to the fake's database and to PostgreSQL."""
    fake: Any = InMemoryRepository(model, database=database)
    fake.bulk_insert(rows)
    fake.commit()
    with Session(engine) as sess:
        SQLAlchemyRepository(sess, model).bulk_insert(rows)
        sess.commit()


def test_nan_sorts_where_postgresql_sorts_it(engine: sa.Engine) -> None:
    database = InMemoryDatabase()
    _insert_on_both(database, engine, Reading, FIRST)
    for order_by in ORDERS:  # builds the fake's ordered indexes before the NaN rows exist
        _names(InMemoryRepository(Reading, database=database), order_by)
    _insert_on_both(database, engine, Reading, LATER)
    for order_by in ORDERS:
        with Session(engine) as sess:
            expected = _names(SQLAlchemyRepository(sess, Reading), order_by)
        got = _names(InMemoryRepository(Reading, database=database), order_by)
        assert got == expected, order_by
        assert got[0][0] != got[0][-1]  # the order is not trivially one row


class Gauge(_Base):
    __tablename__ = "fake_nan_gauges"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[float] = mapped_column(sa.Float, nullable=False)


def _walk(repo_for: Any, order_by: str) -> list[int]:
    ids: list[int] = []
    after = None
    while True:
        page = repo_for().seek(after=after, limit=2, order_by=order_by)
        ids.extend(g.id for g in page.items)
        if page.next_cursor is None:
            return ids
        after = page.next_cursor


def test_a_keyset_walk_over_nans_matches_postgresql(engine: sa.Engine) -> None:
    """Cursors carry a NaN, and rows after it (or before it, descending) are found."""
    levels = [2.0, math.nan, 1.0, math.inf, math.nan, -math.inf, 0.5]
    rows = [{"id": i, "level": level} for i, level in enumerate(levels, 1)]
    database = InMemoryDatabase()
    _insert_on_both(database, engine, Gauge, rows)
    sessions: list[Session] = []

    def real() -> Any:
        sessions.append(Session(engine))
        return SQLAlchemyRepository(sessions[-1], Gauge)

    for order_by in ("level", "-level"):
        expected = _walk(real, order_by)
        for sess in sessions:
            sess.close()
        got = _walk(lambda: InMemoryRepository(Gauge, database=database), order_by)
        assert got == expected, order_by
        assert sorted(got) == list(range(1, 8))


class Meter(_Base):
    __tablename__ = "fake_nan_meters"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[float | None] = mapped_column(sa.Float, unique=True)
    exact: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2), unique=True)


def _counts(repo: Any) -> list[int]:
    return [
        repo.count(level=math.nan),
        repo.count(level=float("nan")),  # another NaN object
        repo.count(level=Decimal("NaN")),  # a Decimal for a Float column: its double
        repo.count(exact=Decimal("NaN")),
        repo.count(exact=math.nan),  # a float for a Numeric column: its text
        len(repo.list(level=float("nan"), exact=Decimal("nan"))),
        int(repo.get_by(level=float("nan")) is not None),
    ]


def test_nan_equals_nan_in_filters_and_unique_columns_as_on_postgresql(
    engine: sa.Engine,
) -> None:
    """PostgreSQL holds NaN equal to NaN: a filter finds it, a unique column takes one."""
    database = InMemoryDatabase()
    rows = [
        {"id": 1, "level": math.nan, "exact": Decimal("NaN")},
        {"id": 2, "level": 1.0, "exact": None},
    ]
    _insert_on_both(database, engine, Meter, rows)
    with Session(engine) as sess:
        expected = _counts(SQLAlchemyRepository(sess, Meter))
    assert expected == [1, 1, 1, 1, 1, 1, 1]
    assert _counts(InMemoryRepository(Meter, database=database)) == expected
    for twin in ({"id": 3, "level": float("nan")}, {"id": 3, "exact": Decimal("-NaN")}):
        with Session(engine) as sess, pytest.raises(ConflictError):
            SQLAlchemyRepository(sess, Meter).bulk_insert([twin])
        fake: Any = InMemoryRepository(Meter, database=database)
        with pytest.raises(ConflictError):
            fake.bulk_insert([twin])  # the unique index holds the committed NaN


class Sample(_Base):
    __tablename__ = "fake_numeric_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric)


VALUES: list[Any] = [
    Decimal("1E+3"),
    Decimal("1.0E+3"),
    Decimal("1.10"),
    Decimal("-0"),
    Decimal("0E+2"),
    Decimal("1.5E-7"),
    Decimal("123.4500"),
    Decimal("-7E+30"),
    12,
]


def _texts(repo: Any) -> list[str]:
    return [str(s.amount) for s in repo.list(order_by="id")]


def test_unbounded_numeric_reads_back_as_postgresql_keeps_it(engine: sa.Engine) -> None:
    rows = [{"id": i, "amount": value} for i, value in enumerate(VALUES, 1)]
    with Session(engine) as sess:
        SQLAlchemyRepository(sess, Sample).bulk_insert(rows[:4])
        for row in rows[4:]:
            SQLAlchemyRepository(sess, Sample).add(Sample(**row))
        sess.commit()
    with Session(engine) as sess:
        expected = _texts(SQLAlchemyRepository(sess, Sample))
    database = InMemoryDatabase()
    fake: Any = InMemoryRepository(Sample, database=database)
    fake.bulk_insert(rows[:4])
    for row in rows[4:]:
        fake.add(Sample(**row))
    fake.commit()
    assert _texts(InMemoryRepository(Sample, database=database)) == expected
    assert expected[:3] == ["1000", "1000", "1.10"]
