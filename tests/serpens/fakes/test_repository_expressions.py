"""Attributes a SQL expression computes, and an order over a relationship.

A model with ``column_property(qty * 2)`` (or ``query_expression()``) made every
repository of it fail with a bare ``AttributeError`` in the shared rules, the SQL
adapters' included. The SQL adapters now read such attributes as SQLAlchemy loads them;
the fake computes them on each written row with SQLite, so the same steps on the fake and
on PostgreSQL read the same values (after an add, a bulk insert, a flush of a change, an
upsert). Such an attribute is no column: a write or a filter naming it is a
``ValidationError`` on every backend. One the fake cannot compute from its row (a
subquery over another table) is a ``ConfigurationError`` naming the escape, unless it is
``deferred``. Ordering by a relationship (``Line.order``) is a ``ValidationError``
everywhere: the SQL adapters sent it to the database, which failed or compared the
join's columns, and the fake called it a SQL expression.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    column_property,
    mapped_column,
    query_expression,
    relationship,
)

from serpens.errors import ConfigurationError, ValidationError
from serpens.fakes import InMemoryRepository
from serpens_sqlalchemy import SQLAlchemyRepository
from tests.serpens.fakes._beside_postgresql import Step, assert_alike, engine_for, on_fake


class _Base(DeclarativeBase):
    pass


class Item(_Base):
    __tablename__ = "fake_expression_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    first: Mapped[str] = mapped_column(sa.String(10))
    last: Mapped[str | None] = mapped_column(sa.String(10))
    qty: Mapped[int] = mapped_column(default=0)
    price: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), default=Decimal(0))
    lines: Mapped[list[Line]] = relationship(back_populates="item")
    full: Mapped[str | None] = column_property(first + " " + last)
    double: Mapped[int] = column_property(qty * 2)
    in_stock: Mapped[bool] = column_property(qty > 0)
    total: Mapped[Decimal] = column_property(price * qty)
    shout: Mapped[str] = column_property(sa.func.upper(first))
    extra: Mapped[int | None] = query_expression()


class Line(_Base):
    __tablename__ = "fake_expression_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fake_expression_items.id"))
    item: Mapped[Item | None] = relationship(back_populates="lines")


def _view(item: Item) -> tuple[object, ...]:
    return (item.full, item.double, item.in_stock, item.total, item.shout, item.extra)


def _change(repo: Any) -> object:
    item = repo.get(1)
    item.qty = 5
    repo.flush()
    return _view(item)


STEPS: list[Step] = [
    lambda r: _view(r.add(Item(id=1, first="ann", last="lee", qty=3, price=Decimal("0.10")))),
    lambda r: _view(r.get(1)),
    lambda r: r.bulk_insert([{"id": 2, "first": "bob", "last": None, "price": Decimal("1.005")}]),
    lambda r: [_view(i) for i in r.list()],
    _change,
    lambda r: _view(
        r.upsert({"id": 1, "first": "ann", "qty": 7}, conflict_on=["id"], update_fields=["qty"])
    ),
    lambda r: r.bulk_insert([{"id": 3, "first": "cy", "double": 4}]),
    lambda r: r.count(double=14),
    lambda r: r.list(order_by=Line.item),
]
OUTCOMES: list[object] = [
    ("ann lee", 6, True, Decimal("0.30"), "ANN", None),
    ("ann lee", 6, True, Decimal("0.30"), "ANN", None),
    1,
    [
        ("ann lee", 6, True, Decimal("0.30"), "ANN", None),
        (None, 0, False, Decimal("0.00"), "BOB", None),
    ],
    ("ann lee", 10, True, Decimal("0.50"), "ANN", None),
    ("ann lee", 14, True, Decimal("0.70"), "ANN", None),
    ValidationError,  # no column: not written
    ValidationError,  # nor filtered on
    ValidationError,
]


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


def test_expression_attributes_read_alike_beside_postgresql(engine: sa.Engine) -> None:
    outcomes = assert_alike(engine, Item, STEPS)
    assert [fake for fake, _ in outcomes] == OUTCOMES


class _Other(DeclarativeBase):
    pass


class Entry(_Other):
    __tablename__ = "fake_expression_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    basket_id: Mapped[int] = mapped_column(sa.ForeignKey("fake_expression_baskets.id"))


def _entries_of(key: Any) -> Any:
    """The number of entries whose ``basket_id`` is *key*: a subquery over another table."""
    return (
        sa.select(sa.func.count(Entry.id))
        .where(Entry.basket_id == key)
        .correlate_except(Entry)
        .scalar_subquery()
    )


class Basket(_Other):
    """Its count comes from another table: no row of its own holds it."""

    __tablename__ = "fake_expression_baskets"

    id: Mapped[int] = mapped_column(primary_key=True)
    entries: Mapped[int] = column_property(_entries_of(id))  # noqa: A003 - the column above


class Crate(_Other):
    """The same count, ``deferred``: a repository's query never loads it."""

    __tablename__ = "fake_expression_crates"

    id: Mapped[int] = mapped_column(primary_key=True)
    entries: Mapped[int] = column_property(_entries_of(id), deferred=True)  # noqa: A003


class TestInMemoryExpressions:
    """What runs without a server (the SQL adapter's half on SQLite)."""

    def test_expression_attributes_on_the_fake_alone(self) -> None:
        assert on_fake(Item, STEPS) == OUTCOMES

    def test_an_order_over_a_relationship_names_it_on_every_backend(self) -> None:
        engine = sa.create_engine("sqlite://")
        _Base.metadata.create_all(engine)
        with Session(engine) as session:
            for repo in (InMemoryRepository(Line), SQLAlchemyRepository(session, Line)):
                for order in (Line.item, Item.lines, [Line.id, Line.item]):
                    with pytest.raises(
                        ValidationError, match=r"relationship (Line\.item|Item\.lines)"
                    ):
                        repo.list(order_by=order)
        engine.dispose()

    def test_an_attribute_the_fake_cannot_compute_is_a_configuration_error(self) -> None:
        with pytest.raises(ConfigurationError, match=r"(?s)Basket\.entries.*deferred=True"):
            InMemoryRepository(Basket)

    def test_a_deferred_attribute_is_left_to_the_database(self) -> None:
        crates: Any = InMemoryRepository(Crate)
        crates.add(Crate(id=1))
        crates.commit()
        assert InMemoryRepository(Crate, database=crates.database).count() == 1
