"""Upsert and bulk-insert cases of the Repository suite.

``upsert`` inserts or updates only ``update_fields``, ``upsert_many`` applies every row
atomically, and ``bulk_insert`` applies defaults, all or nothing, refusing wrong-typed
rows before any I/O. Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from serpens.errors import ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Kind, Pair, Product
from serpens_contract.repository._shared import UTC_MINUS_3, WRONG_TYPES, _skus


class UpsertAndBulkInsertCases:
    """Cases on ``upsert``, ``upsert_many`` and ``bulk_insert``."""

    # -- upsert --------------------------------------------------------------------------
    def test_upsert_inserts_then_does_nothing_when_update_fields_is_omitted(
        self, products: Any
    ) -> None:
        created = products.upsert({"sku": "a", "name": "x", "price": 1}, conflict_on=["sku"])
        assert (created.name, created.price, created.stock, created.version) == ("x", 1, 0, 1)
        same = products.upsert({"sku": "a", "name": "y", "price": 2}, conflict_on=["sku"])
        assert same is created
        assert (same.name, same.price, same.version) == ("x", 1, 1)
        assert products.count() == 1

    def test_upsert_updates_only_update_fields_and_bumps_version_and_onupdate(
        self, products: Any
    ) -> None:
        products.upsert({"sku": "a", "name": "x", "price": 1}, conflict_on=["sku"])
        before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        row = products.upsert(
            {"sku": "a", "name": "y", "price": 2}, conflict_on=["sku"], update_fields=["name"]
        )
        assert (row.name, row.price, row.version) == ("y", 1, 2)
        assert row.updated_at is not None
        assert row.updated_at >= before

    def test_upsert_writes_a_given_onupdate_field_as_given(self, products: Any) -> None:
        """An ``onupdate`` column named in ``update_fields`` takes the given value, not its default.

        A batch of ``upsert_many`` too; the version still goes up.
        """
        products.bulk_insert([{"sku": "a"}, {"sku": "b"}])
        at = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC_MINUS_3)
        row = products.upsert(
            {"sku": "a", "updated_at": at}, conflict_on=["sku"], update_fields=["updated_at"]
        )
        assert (row.updated_at, row.version) == (at, 2)
        earlier = at - dt.timedelta(days=1)
        products.upsert_many(
            [{"sku": "b", "updated_at": earlier}], conflict_on=["sku"], update_fields=["updated_at"]
        )
        got = products.get_by(sku="b")
        assert (got.updated_at, got.version) == (earlier, 2)

    def test_upsert_returns_the_row_refreshed_from_the_store(self, db: RepositoryDatabase) -> None:
        mine: Any = db.repository(Product)
        loaded = mine.upsert({"sku": "a", "name": "x"}, conflict_on=["sku"])
        db.commit(mine)
        theirs: Any = db.repository(Product)
        theirs.upsert({"sku": "a", "name": "y"}, conflict_on=["sku"], update_fields=["name"])
        db.commit(theirs)
        assert mine.get_by(sku="a").name == "x"  # identity map: no refresh on plain reads
        again = mine.upsert({"sku": "a", "name": "ignored"}, conflict_on=["sku"])
        assert again is loaded
        assert (again.name, again.version) == ("y", 2)

    def test_an_updating_upsert_refreshes_the_loaded_object(self, db: RepositoryDatabase) -> None:
        """``DO UPDATE`` returns the stored row into the object the unit of work holds."""
        mine: Any = db.repository(Product)
        loaded = mine.upsert({"sku": "a", "name": "x"}, conflict_on=["sku"])
        db.commit(mine)
        theirs: Any = db.repository(Product)
        theirs.upsert({"sku": "a", "name": "y"}, conflict_on=["sku"], update_fields=["name"])
        db.commit(theirs)
        again = mine.upsert({"sku": "a", "price": 5}, conflict_on=["sku"], update_fields=["price"])
        assert again is loaded
        assert (again.name, again.price, again.version) == ("y", 5, 3)

    def test_upsert_validates_its_conflict_target_and_fields(self, products: Any) -> None:
        bad_calls: list[dict[str, Any]] = [
            {"values": {"sku": "a", "name": "x"}, "conflict_on": ["name"]},
            {"values": {"sku": "a"}, "conflict_on": ["sku", "name"]},
            {"values": {"name": "x"}, "conflict_on": ["sku"]},
            {"values": {"sku": "a"}, "conflict_on": ["sku"], "update_fields": ["name"]},
        ]
        for call in bad_calls:
            with pytest.raises(ValidationError):
                products.upsert(**call)
        assert products.count() == 0

    def test_upsert_conflicting_on_another_constraint_raises_and_leaves_work_usable(
        self, products: Any
    ) -> None:
        a = products.add(Product(sku="a"))
        products.add(Product(sku="b"))
        with pytest.raises(ConflictError):
            products.upsert({"id": a.id, "sku": "b"}, conflict_on=["id"], update_fields=["sku"])
        with pytest.raises(ConflictError):
            products.upsert({"id": a.id, "sku": "new"}, conflict_on=["sku"])
        assert _skus(products.list()) == ["a", "b"]
        products.add(Product(sku="c"))
        assert products.count() == 3

    def test_an_upsert_needs_every_not_null_value_though_it_conflicts(
        self, db: RepositoryDatabase
    ) -> None:
        """An upsert's proposed row needs its NOT NULL values, though it updates a stored row.

        PostgreSQL and SQLite check the row the INSERT proposes before they look for the
        conflict: an upsert by key that leaves out (or nulls) a NOT NULL column without a
        default is a ``ValidationError`` even when the key is stored and only ``stock``
        would change. The fake updated the stored row.
        """
        first: Any = db.repository(Product)
        key = first.add(Product(sku="a", stock=1)).id
        db.commit(first)
        for values, fields in [
            ({"id": key, "stock": 2}, ["stock"]),
            ({"id": key, "stock": 2}, None),
            ({"id": key, "sku": None, "stock": 2}, ["stock"]),
        ]:
            with pytest.raises(ValidationError):
                db.repository(Product).upsert(values, conflict_on=["id"], update_fields=fields)
            with pytest.raises(ValidationError):
                db.repository(Product).upsert_many(
                    [values], conflict_on=["id"], update_fields=fields
                )
        stored = db.repository(Product).get_or_raise(key)
        assert (stored.sku, stored.stock, stored.version) == ("a", 1, 1)
        given = db.repository(Product)
        given.upsert(
            {"id": key, "sku": "b", "stock": 2}, conflict_on=["id"], update_fields=["stock"]
        )
        assert given.get_or_raise(key).stock == 2  # with every value given, it updates

    def test_upsert_on_a_composite_unique_constraint(self, db: RepositoryDatabase) -> None:
        pairs: Any = db.repository(Pair)
        pairs.add(Pair(left="a", right="b", code="c", label="l"))
        row = pairs.upsert(
            {"left": "x", "right": "y", "code": "c", "label": "l"},
            conflict_on=["label", "code"],
        )
        assert (row.left, row.right) == ("a", "b")
        assert pairs.count() == 1

    def test_upsert_many_applies_every_row_atomically(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        kept = products.add(Product(sku="a", name="old", price=1))
        count = products.upsert_many(
            [{"sku": "a", "name": "new", "price": 5}, {"sku": "b", "name": "n", "price": 2}],
            conflict_on=["sku"],
            update_fields=["name"],
        )
        assert count == 2
        rows = products.list()
        assert [(r.sku, r.name, r.price, r.version) for r in rows] == [
            ("a", "old", 1, 1),  # identity map: the loaded instance is not refreshed
            ("b", "n", 2, 1),
        ]
        assert rows[0] is kept
        assert products.upsert({"sku": "a"}, conflict_on=["sku"]).name == "new"
        assert products.upsert_many([], conflict_on=["sku"]) == 0
        with pytest.raises(ValidationError):
            products.upsert_many([{"sku": "c"}, {"sku": "c"}], conflict_on=["sku"])
        with pytest.raises(ValidationError):
            products.upsert_many([{"sku": "c"}, {"sku": "d", "name": "x"}], conflict_on=["sku"])
        assert products.count() == 2
        db.commit(products)  # SQLite has one writer at a time
        pairs: Any = db.repository(Pair)
        twice = [{"left": "a", "right": "b", "code": "c", "label": "l"}] * 2
        with pytest.raises(ValidationError):
            pairs.upsert_many(twice, conflict_on=["code", "label"])
        mine = [{"left": "a", "right": "b", "code": "c", "label": "l"}]
        assert pairs.upsert_many(mine, conflict_on=["left", "right"]) == 1
        assert mine == [{"left": "a", "right": "b", "code": "c", "label": "l"}]  # untouched

    def test_upsert_many_inserts_every_row_whose_conflict_key_holds_a_null(
        self, db: RepositoryDatabase
    ) -> None:
        """A NULL never conflicts: each row whose conflict key holds one is a new row.

        PostgreSQL and SQLite insert every row of ``INSERT ... ON CONFLICT`` whose key holds
        a NULL (a plain unique constraint lets NULLs repeat), in a key of one column or of
        several, as ``upsert`` of one such row does. The batch check took two of them for
        one key given twice and refused the batch, on every backend.
        """
        kinds: Any = db.repository(Kind)
        nulls = [{"tally": None, "memo": "a"}, {"tally": None, "memo": "b"}]
        for fields in (None, ["memo"]):
            assert kinds.upsert_many(nulls, conflict_on=["tally"], update_fields=fields) == 2
        assert sorted(k.memo for k in kinds.list(tally=None)) == ["a", "a", "b", "b"]
        db.commit(kinds)  # SQLite has one writer at a time
        pairs: Any = db.repository(Pair)
        rows = [
            {"left": "a", "right": "1", "code": "c", "label": None},
            {"left": "b", "right": "2", "code": "c", "label": None},
        ]
        assert pairs.upsert_many(rows, conflict_on=["code", "label"]) == 2
        assert sorted(p.left for p in pairs.list(code="c")) == ["a", "b"]

    def test_a_primary_key_given_as_none_is_a_validation_error(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        """A row dict whose primary key value is ``None`` is refused, before any I/O.

        PostgreSQL refuses the explicit NULL (SQLSTATE 23502) where SQLite generated an
        ``INTEGER PRIMARY KEY`` (and stored a NULL in a text key column) and the fake
        generated a key: the same write stored a row on one backend and failed on the
        other. Leaving the field out gives a generated key everywhere.
        """
        writes: dict[str, Callable[[Any], object]] = {
            "id": lambda r: r.upsert({"id": None, "sku": "a"}, conflict_on=["id"]),
            "rows[1].id": lambda r: r.bulk_insert(
                [{"id": 7, "sku": "a"}, {"id": None, "sku": "b"}]
            ),
            "rows[0].id": lambda r: r.upsert_many([{"id": None, "sku": "a"}], conflict_on=["sku"]),
        }
        for path, write in writes.items():
            with pytest.raises(ValidationError) as info:
                write(products)
            assert [e.path for e in info.value.errors] == [path]
        assert products.count() == 0
        pairs: Any = db.repository(Pair)
        with pytest.raises(ValidationError) as info:
            pairs.bulk_insert([{"left": "a", "right": None, "code": "c", "label": "l"}])
        assert [e.path for e in info.value.errors] == ["rows[0].right"]
        assert products.bulk_insert([{"sku": "a"}]) == 1  # left out: generated
        assert products.count() == 1

    def test_upsert_with_no_update_fields_inserts_or_leaves_the_row_alone(
        self, products: Any
    ) -> None:
        created = products.upsert({"sku": "a", "name": "x"}, conflict_on=["sku"], update_fields=[])
        assert (created.sku, created.name, created.version) == ("a", "x", 1)
        again = products.upsert({"sku": "a", "name": "y"}, conflict_on=["sku"], update_fields=[])
        assert (again.name, again.version) == ("x", 1)  # an empty update changes nothing
        count = products.upsert_many(
            [{"sku": "a", "name": "z"}, {"sku": "b", "name": "new"}],
            conflict_on=["sku"],
            update_fields=(),
        )
        assert count == 2
        rows = products.list(order_by="sku")
        assert [(r.sku, r.name, r.version) for r in rows] == [("a", "x", 1), ("b", "new", 1)]

    def test_upsert_with_no_update_fields_on_a_model_without_version(
        self, db: RepositoryDatabase
    ) -> None:
        pairs: Any = db.repository(Pair)
        values = {"left": "l", "right": "r", "code": "c"}
        assert pairs.upsert(values, conflict_on=["left", "right"], update_fields=[]).code == "c"
        changed = {**values, "code": "d"}
        assert pairs.upsert(changed, conflict_on=["left", "right"], update_fields=[]).code == "c"

    def test_a_version_given_to_an_insert_is_stored_as_given(self, products: Any) -> None:
        """A row that names its version keeps it (a migration copying rows); ``None`` is 1."""
        assert products.upsert({"sku": "a", "version": 7}, conflict_on=["sku"]).version == 7
        many = [{"sku": "b", "version": 5}, {"sku": "c", "version": None}]
        assert products.upsert_many(many, conflict_on=["sku"]) == 2
        assert (
            products.bulk_insert([{"sku": "d", "version": None}, {"sku": "e", "version": 3}]) == 2
        )
        rows = products.list(order_by="sku")
        assert [(r.sku, r.version) for r in rows] == [
            ("a", 7),
            ("b", 5),
            ("c", 1),
            ("d", 1),
            ("e", 3),
        ]

    # -- bulk insert ---------------------------------------------------------------------
    def test_bulk_insert_applies_defaults_and_is_all_or_nothing(self, products: Any) -> None:
        at = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC_MINUS_3)
        rows = [{"sku": f"s{i}", "price": i, "seen_at": at} for i in range(3)]
        assert products.bulk_insert(rows) == 3
        assert rows[0] == {"sku": "s0", "price": 0, "seen_at": at}  # the caller's dicts: as given
        assert products.bulk_insert([]) == 0
        got = products.get_by(sku="s1")
        assert (got.price, got.stock, got.version) == (1, 0, 1)
        assert got.seen_at == at
        assert got.seen_at.utcoffset() == dt.timedelta(0)
        with pytest.raises(ConflictError):
            products.bulk_insert([{"sku": "new"}, {"sku": "s0"}])
        assert products.count() == 3

    @pytest.mark.parametrize(("field", "value"), WRONG_TYPES)
    def test_bulk_writes_with_a_wrong_type_are_validation_errors(
        self, products: Any, field: str, value: object
    ) -> None:
        good = {"sku": "ok", "price": 1, "seen_at": None}
        bad = {**good, "sku": "bad", field: value}
        with pytest.raises(ValidationError) as info:
            products.bulk_insert([good, bad])
        assert [e.path for e in info.value.errors] == [f"rows[1].{field}"]
        with pytest.raises(ValidationError):
            products.upsert_many([good, bad], conflict_on=["sku"], update_fields=["price"])
        assert products.count() == 0  # nothing stored, and the unit of work is usable
        assert products.bulk_insert([good]) == 1

    def test_bulk_writes_check_the_columns_after_one_of_unknown_type(
        self, db: RepositoryDatabase
    ) -> None:
        """A column whose value types the rules cannot know (a ``TypeDecorator``) is skipped.

        The columns after it in the row are still checked.
        """
        kinds: Any = db.repository(Kind)
        with pytest.raises(ValidationError) as info:
            kinds.bulk_insert([{"code": "a", "flag": True}, {"code": "b", "flag": "yes"}])
        assert [e.path for e in info.value.errors] == ["rows[1].flag"]
        assert kinds.count() == 0
