"""Object-write cases of the Repository suite.

Writes through objects are type-checked and flushed with a version bump; a stale version
is a conflict; datetimes round-trip as UTC. The unit of work's own cases are in
:mod:`serpens_contract.repository._units_of_work`. Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm.attributes import flag_modified

from serpens.errors import ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Kind, Product
from serpens_contract.repository._shared import (
    UTC_MINUS_3,
    WRONG_TYPES,
    _flush_refuses_then_stores,
    _skus,
)


class ObjectWriteCases:
    """Cases on writes through objects."""

    # -- writes through objects ----------------------------------------------------------
    def test_a_flush_writes_the_attributes_set_and_keeps_them_as_set(
        self, db: RepositoryDatabase
    ) -> None:
        """A flush writes the attributes set since loading; the objects keep their values.

        A list changed in place is not written, even when another attribute of its object
        is set: SQLAlchemy sees no change without a ``Mutable`` type or ``flag_modified``
        (a new list is written, and so is one flagged with ``flag_modified``). The object
        keeps the list as changed until it is loaded again, and a set value as it was
        set. The fake wrote the list changed in place, and read the stored row back into
        the object after the flush.
        """
        kinds: Any = db.repository(Kind)
        first, second, third = kinds.bulk_add([Kind(tags=["x"]) for _ in range(3)])
        db.commit(kinds)
        repo: Any = db.repository(Kind)
        changed, replaced = repo.get_or_raise(first.id), repo.get_or_raise(second.id)
        flagged = repo.get_or_raise(third.id)
        changed.tags.append("y")
        changed.memo = "set"
        replaced.tags = [*replaced.tags, "y"]
        flagged.tags.append("y")
        flag_modified(flagged, "tags")  # SQLAlchemy's way to say so
        repo.flush()
        assert (changed.tags, changed.memo) == (["x", "y"], "set")
        db.commit(repo)
        fresh: Any = db.repository(Kind)
        assert (fresh.get_or_raise(first.id).tags, fresh.get_or_raise(first.id).memo) == (
            ["x"],
            "set",
        )
        assert fresh.get_or_raise(second.id).tags == ["x", "y"]
        assert fresh.get_or_raise(third.id).tags == ["x", "y"]

    @pytest.mark.parametrize(("field", "value"), WRONG_TYPES)
    def test_object_writes_with_a_wrong_type_are_validation_errors(
        self, db: RepositoryDatabase, products: Any, field: str, value: object
    ) -> None:
        """``add()``, ``upsert()`` and a flush check types as the bulk writes do, before any I/O.

        The error names the attribute; nothing is stored and the unit of work stays usable
        (a value a driver refuses mid-flush would leave a SQL session needing a rollback).
        """
        with pytest.raises(ValidationError) as info:
            products.add(Product(**{"sku": "bad", field: value}))
        assert [e.path for e in info.value.errors] == [field]
        with pytest.raises(ValidationError) as info:
            products.upsert({"sku": "bad", field: value}, conflict_on=["sku"])
        assert [e.path for e in info.value.errors] == [field]
        assert products.count() == 0
        at = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC_MINUS_3)
        good = {"sku": "ok", "price": 1, "seen_at": at}
        obj = products.add(Product(**good))
        _flush_refuses_then_stores(products, obj, field, value, good[field])
        db.commit(products)
        got: Any = db.repository(Product).get(obj.id)
        assert (got.sku, got.price, got.seen_at) == ("ok", 1, at)
        assert got.seen_at.utcoffset() == dt.timedelta(0)

    def test_a_sql_expression_does_not_hide_a_wrong_type_after_it(self, products: Any) -> None:
        """The attributes after a SQL expression (only a database evaluates it) are checked."""
        wrong: Any = "12"
        obj = Product(sku="a", stock=0, price=wrong)
        obj.name = Product.sku + "-x"  # a SQL expression, written before price is checked
        with pytest.raises(ValidationError) as info:
            products.add(obj)
        assert [e.path for e in info.value.errors] == ["price"]
        assert products.count() == 0

    def test_unflushed_adds_are_written_by_flush(self, products: Any) -> None:
        obj = products.add(Product(sku="a"), flush=False)
        assert products.count() == 0
        products.flush()
        assert products.count() == 1
        assert isinstance(obj.id, int)

    def test_unflushed_bulk_adds_are_written_by_flush(self, products: Any) -> None:
        """As serpens 2.9's ``bulk_add(objs, flush=False)``: pending until the next flush."""
        batch = [Product(sku="b"), Product(sku="a")]
        assert products.bulk_add(batch, flush=False) == batch
        assert products.count() == 0
        products.flush()
        assert _skus(products.list(order_by="sku")) == ["a", "b"]
        assert all(isinstance(p.id, int) for p in batch)

    @pytest.mark.parametrize("flush", [True, False])
    def test_an_object_given_twice_to_bulk_add_is_one_row(self, products: Any, flush: bool) -> None:
        """A unit of work holds an object once, as a ``Session`` does: one row, one key."""
        obj, other = Product(sku="a"), Product(sku="b")
        assert products.bulk_add([obj, other, obj], flush=flush) == [obj, other, obj]
        products.flush()
        assert _skus(products.list(order_by="sku")) == ["a", "b"]
        assert products.count() == 2

    def test_changed_objects_are_written_by_flush_with_a_version_bump(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        obj = products.add(Product(sku="a", name="x"))
        obj.name = "y"
        products.flush()
        assert (obj.version, obj.updated_at is not None) == (2, True)
        db.commit(products)
        fresh: Any = db.repository(Product)
        assert fresh.get(obj.id).name == "y"

    def test_a_change_after_a_flush_that_wrote_nothing_is_written(
        self, db: RepositoryDatabase
    ) -> None:
        """A value set again as it was makes a flush that writes nothing; the next one is seen.

        The fake kept such an object marked changed, so SQLAlchemy's hook never told it of
        the next change, which no flush or commit then wrote.
        """
        repo: Any = db.repository(Product)
        repo.add(Product(sku="a", name="same"))
        db.commit(repo)
        obj = repo.get_by(sku="a")
        obj.name = "same"
        repo.flush()
        obj.price = 5
        db.commit(repo)
        got: Any = db.repository(Product).get_by(sku="a")
        assert (got.name, got.price, got.version) == ("same", 5, 2)

    def test_a_stale_version_is_a_conflict(self, db: RepositoryDatabase) -> None:
        mine: Any = db.repository(Product)
        obj = mine.add(Product(sku="a", name="x"))
        db.commit(mine)
        theirs: Any = db.repository(Product)
        theirs.get(obj.id).name = "theirs"
        theirs.flush()
        db.commit(theirs)
        obj.name = "mine"
        with pytest.raises(ConflictError):
            mine.flush()

    def test_datetimes_round_trip_as_utc_aware(self, db: RepositoryDatabase) -> None:
        products: Any = db.repository(Product)
        at = dt.datetime(2024, 5, 6, 12, 0, tzinfo=UTC_MINUS_3)
        obj = products.add(Product(sku="a", seen_at=at))
        db.commit(products)
        other: Any = db.repository(Product)
        got = other.get(obj.id)
        assert got.seen_at == at
        assert got.seen_at.tzinfo is not None
        assert got.seen_at.utcoffset() == dt.timedelta(0)
        assert got.seen_at.hour == 15
        with pytest.raises(ValidationError):
            db.repository(Product).add(Product(sku="b", seen_at=dt.datetime(2024, 1, 1)))  # noqa: DTZ001
