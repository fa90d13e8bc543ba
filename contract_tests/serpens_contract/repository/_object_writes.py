"""Object-write and unit-of-work cases of the Repository suite.

Writes through objects are type-checked and flushed with a version bump; a stale version
is a conflict; each unit of work is a transaction: uncommitted writes are invisible to
others, commit publishes them, rollback and closing discard them. Mixed into
``RepositoryContract``.
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


class ObjectWriteAndTransactionCases:
    """Cases on writes through objects and on units of work (transactions)."""

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

    # -- units of work (transactions) ---------------------------------------------------
    def test_an_uncommitted_write_is_invisible_to_other_units_of_work(
        self, db: RepositoryDatabase
    ) -> None:
        mine: Any = db.repository(Product)
        obj = mine.add(Product(sku="a"))
        mine.bulk_insert([{"sku": "b"}])
        assert (mine.get(obj.id), _skus(mine.list(order_by="sku"))) == (obj, ["a", "b"])
        theirs: Any = db.repository(Product)
        assert theirs.get(obj.id) is None
        assert theirs.get_by(sku="a") is None
        assert (theirs.count(), theirs.exists(), list(theirs.list())) == (0, False, [])
        assert theirs.paginate(size=10).total == 0
        assert list(theirs.seek(limit=10).items) == []
        db.close_unit_of_work(theirs)

    def test_commit_publishes_every_write_of_the_unit_of_work(self, db: RepositoryDatabase) -> None:
        mine: Any = db.repository(Product)
        mine.bulk_add([Product(sku="a", name="x"), Product(sku="b")])
        mine.upsert({"sku": "c", "price": 3}, conflict_on=["sku"])
        db.commit(mine)
        theirs: Any = db.repository(Product)
        assert _skus(theirs.list(order_by="sku")) == ["a", "b", "c"]
        assert (theirs.get_by(sku="a").name, theirs.get_by(sku="c").price) == ("x", 3)
        assert theirs.count() == 3

    def test_rollback_discards_uncommitted_writes(self, db: RepositoryDatabase) -> None:
        mine: Any = db.repository(Product)
        mine.add(Product(sku="kept"))
        db.commit(mine)
        mine.add(Product(sku="gone"))
        mine.bulk_insert([{"sku": "gone2"}])
        mine.upsert({"sku": "kept", "name": "changed"}, conflict_on=["sku"], update_fields=["name"])
        db.rollback(mine)
        assert mine.get_by(sku="gone") is None
        assert _skus(mine.list(order_by="sku")) == ["kept"]
        assert mine.get_by(sku="kept").name is None
        mine.add(Product(sku="gone"))  # still usable, and the key is free again
        db.commit(mine)
        theirs: Any = db.repository(Product)
        assert _skus(theirs.list(order_by="sku")) == ["gone", "kept"]
        assert theirs.get_by(sku="kept").name is None

    def test_rollback_refreshes_every_loaded_object_and_keeps_tracking_it(
        self, db: RepositoryDatabase
    ) -> None:
        """A rollback refreshes every loaded object and keeps it in the unit of work.

        Objects loaded before it show the committed row, whatever the order they joined
        the unit of work in, and a change made after it is written by the next commit.
        """
        setup: Any = db.repository(Product)
        setup.bulk_add([Product(sku="a", name="old"), Product(sku="b", name="old")])
        db.commit(setup)
        db.close_unit_of_work(setup)
        mine: Any = db.repository(Product)
        mine.add(Product(sku="new"))  # joined first; the rollback drops it
        a, b = mine.get_by(sku="a"), mine.get_by(sku="b")
        a.name = b.name = "changed"
        mine.flush()
        db.rollback(mine)
        # read back through the repository: an async session loads nothing on attribute access
        assert (mine.get_by(sku="a"), mine.get_by(sku="b")) == (a, b)
        assert (a.name, b.name) == ("old", "old")
        assert mine.get_by(sku="new") is None
        a.name = "after"
        db.commit(mine)
        theirs: Any = db.repository(Product)
        assert (theirs.get_by(sku="a").name, theirs.get_by(sku="b").name) == ("after", "old")

    def test_a_rollback_expires_the_loaded_objects_so_later_writes_show(
        self, db: RepositoryDatabase
    ) -> None:
        """After a rollback each loaded object reads the row as it is when read again.

        A ``Session``'s rollback expires every object: a row written since (here by
        ``upsert_many``, which loads no object) shows at the next read of it, and a value
        set on an expired object stays and is written against the current row's version.
        """
        mine: Any = db.repository(Product)
        mine.bulk_insert([{"sku": "a"}, {"sku": "c"}])
        db.commit(mine)
        a, c = mine.list(order_by="sku")
        a_id = a.id  # read before the rollback: an async session loads nothing on access
        db.rollback(mine)
        changes = [{"sku": "a", "name": "n", "price": 5}, {"sku": "c", "name": None, "price": 7}]
        mine.upsert_many(changes, conflict_on=["sku"], update_fields=["name", "price"])
        assert mine.get(a_id) is a
        assert (a.name, a.price, a.version) == ("n", 5, 2)
        c.name = "set"  # on an expired object: kept by the next read, which loads the rest
        rows = [(o.sku, o.name, o.price, o.version) for o in mine.list(order_by="sku")]
        assert rows == [("a", "n", 5, 2), ("c", "set", 7, 2)]
        mine.flush()
        assert (c.name, c.price, c.version) == ("set", 7, 3)
        db.commit(mine)
        theirs: Any = db.repository(Product)
        got = theirs.get_by(sku="c")
        assert (got.name, got.price, got.version) == ("set", 7, 3)

    def test_a_flush_after_a_rollback_writes_against_the_current_row(
        self, db: RepositoryDatabase
    ) -> None:
        """A value set on an expired object is written over the row another unit committed."""
        mine: Any = db.repository(Product)
        mine.add(Product(sku="a", name="old", price=1))
        db.commit(mine)
        db.rollback(mine)
        theirs: Any = db.repository(Product)
        theirs.upsert({"sku": "a", "name": "theirs"}, conflict_on=["sku"], update_fields=["name"])
        db.commit(theirs)
        db.close_unit_of_work(theirs)
        obj = mine.get_by(sku="a")  # the same object, loaded again: their name shows
        assert (obj.name, obj.version) == ("theirs", 2)
        db.rollback(mine)
        db.commit(db.repository(Product))  # nothing: a commit of an empty unit of work
        later: Any = db.repository(Product)
        later.upsert({"sku": "a", "price": 2}, conflict_on=["sku"], update_fields=["price"])
        db.commit(later)
        db.close_unit_of_work(later)
        obj.stock = 4  # set on the expired object, then written without a read between
        mine.flush()
        db.commit(mine)
        got: Any = db.repository(Product).get_by(sku="a")
        assert (got.name, got.price, got.stock, got.version) == ("theirs", 2, 4, 4)

    def test_closing_without_commit_discards_uncommitted_writes(
        self, db: RepositoryDatabase
    ) -> None:
        mine: Any = db.repository(Product)
        mine.add(Product(sku="a"))
        mine.bulk_insert([{"sku": "b"}])
        db.close_unit_of_work(mine)
        theirs: Any = db.repository(Product)
        assert theirs.count() == 0
        theirs.add(Product(sku="a"))  # the key is free
        db.commit(theirs)
        assert _skus(db.repository(Product).list()) == ["a"]

    def test_an_uncommitted_update_shows_the_old_row_to_other_units_of_work(
        self, db: RepositoryDatabase
    ) -> None:
        setup: Any = db.repository(Product)
        setup.add(Product(sku="a", name="old", price=1))
        db.commit(setup)
        db.close_unit_of_work(setup)
        mine: Any = db.repository(Product)
        row = mine.get_by(sku="a")
        row.name = "new"
        mine.flush()
        mine.upsert({"sku": "a", "price": 2}, conflict_on=["sku"], update_fields=["price"])
        assert (mine.get_by(sku="a").name, mine.count(name="new")) == ("new", 1)
        theirs: Any = db.repository(Product)
        seen = theirs.get_by(sku="a")
        assert (seen.name, seen.price, seen.version) == ("old", 1, 1)
        assert (theirs.count(name="new"), theirs.count(name="old")) == (0, 1)
        assert [r.name for r in theirs.list(order_by="-price")] == ["old"]
        db.close_unit_of_work(theirs)
        db.commit(mine)
        fresh: Any = db.repository(Product)
        got = fresh.get_by(sku="a")
        assert (got.name, got.price, got.version) == ("new", 2, 3)
