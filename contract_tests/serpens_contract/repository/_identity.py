"""Identity and keys cases of the Repository suite: one instance per key, composite keys.

``add`` makes the caller's object persistent, reads return one instance per key within a
unit of work, ``get_by`` matches every filter, and mutable values are never shared between
units of work. Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy

from serpens.errors import NotFoundError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Kind, Pair, Product
from serpens_contract.repository._shared import _skus


class IdentityAndKeyCases:
    """Cases on identity and keys: persistence on ``add``, one instance per key."""

    # -- identity and keys ---------------------------------------------------------------
    def test_add_makes_the_callers_object_persistent_with_defaults(self, products: Any) -> None:
        obj = Product(sku="a", price=3)
        assert products.add(obj) is obj
        assert isinstance(obj.id, int)
        assert (obj.stock, obj.version) == (0, 1)
        second = products.add(Product(sku="b"))
        assert second.id > obj.id

    def test_a_write_refused_before_any_io_uses_no_generated_key(self, products: Any) -> None:
        """The checks run before the database builds a row: its sequence does not move."""
        first = products.add(Product(sku="a")).id
        refused: list[Callable[[], object]] = [
            lambda: products.add(Product(sku="x" * 41)),  # over String(40)
            lambda: products.add(Product(sku="b", price="3")),  # a str for an Integer
            lambda: products.bulk_add([Product(sku="c"), Product(sku="y" * 41)]),
            lambda: products.bulk_insert([{"sku": "d"}, {"sku": "z" * 41}]),
            lambda: products.upsert({"sku": "w" * 41}, conflict_on=["sku"]),
        ]
        for write in refused:
            with pytest.raises(ValidationError):
                write()
        assert products.add(Product(sku="e")).id == first + 1
        assert [p.sku for p in products.list(order_by="id")] == ["a", "e"]

    def test_reads_return_one_instance_per_key_within_a_unit_of_work(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        obj = products.add(Product(sku="a", name="x"))
        assert products.get(obj.id) is obj
        assert products.get_by(sku="a") is obj
        assert products.list()[0] is obj
        assert products.upsert({"sku": "a"}, conflict_on=["sku"]) is obj
        db.commit(products)
        other: Any = db.repository(Product)
        again = other.get(obj.id)
        assert again is not obj
        assert (again.sku, again.name) == ("a", "x")

    def test_missing_rows_are_none_or_not_found(self, products: Any) -> None:
        assert products.get(424242) is None
        assert products.get_by(sku="nope") is None
        with pytest.raises(NotFoundError, match=r"^Product id=424242$") as info:
            products.get_or_raise(424242)
        assert isinstance(info.value, LookupError)

    def test_composite_keys(self, db: RepositoryDatabase) -> None:
        pairs: Any = db.repository(Pair)
        pairs.add(Pair(left="a", right="b", code="c"))
        assert pairs.get(("a", "b")).code == "c"
        assert pairs.get(("b", "a")) is None
        with pytest.raises(ValidationError):
            pairs.get("a")
        with pytest.raises(NotFoundError, match=r"^Pair id=\('b', 'a'\)$"):
            pairs.get_or_raise(("b", "a"))

    def test_adding_an_object_the_unit_of_work_holds_again_writes_nothing_new(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        """``add()`` of a pending or loaded object is no second row (``Session.add`` twice).

        Composite keys included: the unit of work knows the object by its whole key.
        """
        pending = products.add(Product(sku="a"), flush=False)
        assert products.add(pending) is pending
        loaded = products.add(Product(sku="b"))
        assert products.add(loaded) is loaded
        assert products.bulk_add([loaded, pending]) == [loaded, pending]
        assert _skus(products.list()) == ["a", "b"]
        db.commit(products)  # SQLite: one writer at a time
        pairs: Any = db.repository(Pair)
        pair = pairs.add(Pair(left="a", right="b", code="c"))
        assert pairs.add(pair) is pair
        assert pairs.get(("a", "b")) is pair
        db.commit(pairs)
        other: Any = db.repository(Pair)
        again = other.get(("a", "b"))
        assert other.list()[0] is again
        assert other.get_by(code="c") is again
        again.code = "d"
        assert other.add(again) is again
        assert other.count() == 1
        assert other.get(("a", "b")).code == "d"

    def test_get_by_a_unique_set_with_a_null_scans_instead_of_the_index(
        self, db: RepositoryDatabase
    ) -> None:
        """NULLs never conflict, so a unique set holding a NULL may match several rows.

        ``get_by`` then returns the first match by primary key, and a second unique set
        in the same filters (the primary key here) still finds its one row.
        """
        pairs: Any = db.repository(Pair)
        pairs.bulk_add([Pair(left="a", right=r, code="c") for r in ("c", "b")])
        pairs.add(Pair(left="z", right="z", code="c", label="x"))
        assert (pairs.get_by(code="c", label=None).right, pairs.count(code="c")) == ("b", 3)
        assert pairs.get_by(code="c", label=None, left="a", right="c").right == "c"
        assert pairs.get_by(code="c", label="x").left == "z"
        assert pairs.get_by(code="c", label="y") is None
        assert pairs.get_by(code="d", label=None) is None

    def test_get_by_a_unique_column_and_another_that_differs_finds_nothing(
        self, db: RepositoryDatabase
    ) -> None:
        """Every filter must match: the unique column finding its row is not enough."""
        products: Any = db.repository(Product)
        products.add(Product(sku="a", name="x"))
        assert products.get_by(sku="a", name="x").sku == "a"
        assert products.get_by(sku="a", name="y") is None  # a write pending here
        assert products.get_by(sku="a", name=None) is None
        db.commit(products)
        theirs: Any = db.repository(Product)
        assert theirs.get_by(sku="a", name="y") is None  # nothing written there yet
        assert theirs.get_by(sku="a", name="x").sku == "a"

    def test_every_read_hands_out_an_instance_sqlalchemy_can_inspect(
        self, db: RepositoryDatabase
    ) -> None:
        """Objects from ``get_by``, ``list``, ``seek`` and ``upsert`` are full mapped instances.

        ``sqlalchemy.inspect`` names the model's mapper and reads the attributes through it,
        as for any object a ``Session`` loads: code that inspects its models (a serializer,
        an audit hook) runs on every backend alike.
        """
        products: Any = db.repository(Product)
        products.bulk_insert([{"sku": "a"}, {"sku": "b"}, {"sku": "c"}])
        db.commit(products)
        got: list[Any] = [
            db.repository(Product).get_by(sku="a"),
            *db.repository(Product).list(order_by="sku"),
            *db.repository(Product).seek(limit=2, order_by="-sku").items,
            db.repository(Product).upsert({"sku": "d"}, conflict_on=["sku"]),
        ]
        assert [obj.sku for obj in got] == ["a", "a", "b", "c", "c", "b", "d"]
        for obj in got:
            state = sqlalchemy.inspect(obj)
            assert state.mapper.class_ is Product
            assert state.attrs.sku.value == obj.sku

    def test_mutable_values_are_never_shared_between_units_of_work(
        self, db: RepositoryDatabase
    ) -> None:
        """A list is copied in and out: changing one in place changes nothing stored.

        SQLAlchemy's plain ``JSON`` and ``PickleType`` types do not see in-place changes
        (no ``MutableList``), so the caller's list after ``add()`` and a loaded list
        changed in place stay unwritten, and so does a list an ``upsert`` refreshed;
        another unit of work reads what was written.
        """
        kinds: Any = db.repository(Kind)
        tags, shape = ["a"], ["s"]
        obj = kinds.add(Kind(tags=tags, shape=shape))
        tags.append("after add")
        shape.append("after add")
        db.commit(kinds)
        loaded: Any = db.repository(Kind)
        got = loaded.get(obj.id)  # loaded by key
        assert (got.tags, got.shape) == (["a"], ["s"])
        got.tags.append("in place")
        assert loaded.list()[0].tags == ["a", "in place"]  # the one instance, as changed
        db.commit(loaded)
        listed: Any = db.repository(Kind)
        first = listed.list()[0]  # loaded by a query
        assert first.tags == ["a"]
        first.tags.append("listed")
        db.commit(listed)
        fresh: Any = db.repository(Kind)
        assert [k.tags for k in fresh.list()] == [["a"]]
        replaced = fresh.get(obj.id)
        replaced.tags = [*replaced.tags, "set"]  # a new list is a change, as in SQLAlchemy
        fresh.flush()
        db.commit(fresh)
        last: Any = db.repository(Kind)
        held = last.get(obj.id)
        last.upsert({"id": obj.id, "tags": ["b"]}, conflict_on=["id"], update_fields=["tags"])
        assert held.tags == ["b"]  # refreshed by the upsert, from what it stored
        held.tags.append("refreshed")  # in place: not a change, and not the stored list
        db.commit(last)
        assert db.repository(Kind).get_or_raise(obj.id).tags == ["b"]
