"""An unbounded ``Numeric`` column reads back the digits PostgreSQL keeps, next to the server.

PostgreSQL's ``numeric`` keeps a number at the scale it was written with, and never an
exponent above the units: ``Decimal("1E+3")`` reads back as ``Decimal("1000")`` (equal,
but its text differs, and so does any JSON or log line made of it). SQLite stores a
float there, so this is not a contract case; it runs against PostgreSQL itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_sqlalchemy import SQLAlchemyRepository


class _Base(DeclarativeBase):
    pass


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


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    _Base.metadata.drop_all(engine)
    _Base.metadata.create_all(engine)
    try:
        yield engine
    finally:
        _Base.metadata.drop_all(engine)
        engine.dispose()


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
