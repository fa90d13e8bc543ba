"""The fake's ``JSON`` columns beyond the contract: what PostgreSQL's ``json`` refuses.

The repository contract proves on every cell that a JSON column reads back its JSON text
(int keys as strings, tuples as lists) and refuses a value with no JSON text. A NaN or an
infinity has a text in Python's ``json`` (``NaN``), which PostgreSQL's ``json`` refuses
and SQLite stores; the fake is as strict as PostgreSQL, so it refuses them too.
"""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository


class _Base(DeclarativeBase):
    pass


class Doc(_Base):
    __tablename__ = "docs"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[object] = mapped_column(sa.JSON(none_as_null=True), nullable=True)  # None: NULL


@pytest.mark.parametrize("value", [math.nan, [math.inf], {"a": -math.inf}])
def test_a_nan_or_an_infinity_is_refused_as_postgresql_refuses_it(value: object) -> None:
    database = InMemoryDatabase()
    docs = InMemoryRepository(Doc, database=database)
    with pytest.raises(ValidationError) as raised:
        docs.add(Doc(body=value))
    assert [e.path for e in raised.value.errors] == ["body"]
    with pytest.raises(ValidationError):
        docs.bulk_insert([{"body": value}])
    assert docs.count() == 0


class Tagged(_Base):
    __tablename__ = "tagged"

    id: Mapped[int] = mapped_column(primary_key=True)
    tags: Mapped[object] = mapped_column(sa.JSON, default=lambda: ["new"])


class TestInMemoryRepositoryJsonCopies:
    """Objects and callers never share a mutable value with a stored row."""

    def test_a_stored_value_is_a_copy_the_caller_cannot_change(self) -> None:
        database = InMemoryDatabase()
        docs = InMemoryRepository(Doc, database=database)
        given = {"items": [1, 2]}
        doc = docs.add(Doc(body=given))
        docs.commit()
        given["items"].append(3)
        loaded = InMemoryRepository(Doc, database=database).get(doc.id)
        assert loaded is not None
        assert loaded.body == {"items": [1, 2]}
        loaded.body["items"].append(4)  # a loaded value is the caller's own copy too
        again = InMemoryRepository(Doc, database=database).get(doc.id)
        assert again is not None
        assert again.body == {"items": [1, 2]}

    def test_a_generated_value_is_the_object_s_own_copy(self) -> None:
        database = InMemoryDatabase()
        tagged = InMemoryRepository(Tagged, database=database)
        obj = tagged.add(Tagged())
        assert obj.tags == ["new"]
        obj.tags.append("changed in place")  # no attribute event: nothing to flush
        tagged.commit()
        loaded = InMemoryRepository(Tagged, database=database).get(obj.id)
        assert loaded is not None
        assert loaded.tags == ["new"]


class TestInMemoryJsonFilters:
    def test_a_null_filter_on_an_unindexed_column_sees_this_units_rewrites(self) -> None:
        database = InMemoryDatabase()
        seed = InMemoryRepository(Doc, database=database)
        seed.bulk_insert(
            [{"id": 1, "body": {"a": 1}}, {"id": 2, "body": None}, {"id": 3, "body": None}]
        )
        seed.commit()
        docs = InMemoryRepository(Doc, database=database)
        rewritten = docs.get(2)
        assert rewritten is not None
        rewritten.body = {"b": 2}
        docs.flush()
        assert [d.id for d in docs.list(body=None)] == [3]
