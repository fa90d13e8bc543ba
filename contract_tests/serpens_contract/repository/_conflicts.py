"""Conflict and argument-validation cases of the Repository suite.

A conflict leaves the unit of work usable; missing values, over-long strings, unknown
fields, wrong-typed arguments and upsert arguments that cannot work are each a
``ValidationError`` naming the field, before any I/O. Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from serpens.errors import ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Account, Pair, Product, Review
from serpens_contract.repository._shared import _flush_refuses_then_stores, _skus


class ConflictAndValidationCases:
    """Cases on conflicts and on arguments refused before any I/O."""

    # -- conflicts and validation --------------------------------------------------------
    def test_a_duplicate_add_conflicts_and_the_unit_of_work_stays_usable(
        self, products: Any
    ) -> None:
        products.add(Product(sku="a"))
        with pytest.raises(ConflictError):
            products.add(Product(sku="a"))
        products.add(Product(sku="b"))
        assert _skus(products.list()) == ["a", "b"]

    def test_a_conflict_as_the_first_write_of_a_unit_of_work_leaves_it_usable(
        self, db: RepositoryDatabase
    ) -> None:
        first: Any = db.repository(Product)
        taken = first.add(Product(sku="a")).id
        db.commit(first)
        writes: list[Callable[[Any], object]] = [
            lambda r: r.add(Product(sku="a")),
            lambda r: r.bulk_add([Product(sku="b"), Product(sku="a")]),
            lambda r: r.bulk_insert([{"sku": "b"}, {"sku": "a"}]),
            lambda r: r.upsert({"id": taken, "sku": "b"}, conflict_on=["sku"]),
            lambda r: r.upsert_many([{"id": taken, "sku": "b"}], conflict_on=["sku"]),
        ]
        for i, write in enumerate(writes):
            fresh: Any = db.repository(Product)
            with pytest.raises(ConflictError):
                write(fresh)
            fresh.add(Product(sku=f"ok{i}"))
            db.commit(fresh)
        assert _skus(db.repository(Product).list()) == ["a", "ok0", "ok1", "ok2", "ok3", "ok4"]

    def test_partial_and_expression_unique_indexes_hold_as_declared(
        self, db: RepositoryDatabase
    ) -> None:
        """Partial and expression unique indexes hold as declared; neither is a target.

        A partial unique index holds among the rows it selects, an expression one compares
        what its expression gives: ``WHERE NOT deleted`` frees a deleted account's email,
        ``lower(handle)`` makes ``"BOB"`` a duplicate of ``"Bob"``. The fake read the first
        as unique over every row and the second as unique on the bare column, and the
        shared rules took both columns as ``conflict_on``, which PostgreSQL then refused
        (SQLSTATE 42P10).
        """
        accounts: Any = db.repository(Account)
        old = accounts.add(Account(email="a@x", handle="Bob"))
        old.deleted = True
        accounts.flush()
        accounts.add(Account(email="a@x"))  # the deleted account's email is free
        db.commit(accounts)
        writes: list[Callable[[Any], object]] = [
            lambda r: r.add(Account(email="a@x")),  # a live account holds it
            lambda r: r.add(Account(email="b@x", handle="BOB")),
            lambda r: r.bulk_insert([{"email": "c@x", "handle": "bob"}]),
            lambda r: r.upsert({"id": 99, "email": "d@x", "handle": "bOb"}, conflict_on=["id"]),
            lambda r: r.bulk_add(
                [Account(email="e@x", handle="x"), Account(email="f@x", handle="X")]
            ),
        ]
        for write in writes:
            with pytest.raises(ConflictError):
                write(db.repository(Account))
        revived: Any = db.repository(Account)
        revived.get_or_raise(old.id).deleted = False  # two live accounts with one email
        with pytest.raises(ConflictError):
            revived.flush()
        for target in (["email"], ["handle"]):
            with pytest.raises(ValidationError) as info:
                db.repository(Account).upsert({"email": "g@x"}, conflict_on=target)
            assert [e.path for e in info.value.errors] == ["conflict_on"]
        fresh: Any = db.repository(Account)
        fresh.bulk_add([Account(email="h@x"), Account(email="i@x", handle="bobby")])
        gone = fresh.add(Account(email="a@x", handle="gone", deleted=True))  # a second deleted one
        db.commit(fresh)
        emails = [a.email for a in db.repository(Account).list(order_by="id")]
        assert emails == ["a@x", "a@x", "h@x", "i@x", "a@x"]
        assert gone.id is not None

    def test_check_constraints_hold_on_every_write(self, db: RepositoryDatabase) -> None:
        """A row that breaks a ``CHECK`` constraint is a ``ValidationError``, on every write.

        PostgreSQL (23514) and SQLite refuse it, a table's constraint and a column's alike;
        the fake stored it. A NULL result passes (a NULL handle). An upsert's proposed row
        is checked even when it conflicts with a stored row and only updates other
        columns, or none: PostgreSQL and SQLite check it before they look for the conflict.
        """
        accounts: Any = db.repository(Account)
        kept = accounts.add(Account(email="a@x"))
        db.commit(accounts)
        key = kept.id
        writes: list[Callable[[Any], object]] = [
            lambda r: r.add(Account(email="ab")),
            lambda r: r.add(Account(email="b@x", handle="admin")),
            lambda r: r.bulk_add([Account(email="c@x"), Account(email="c")]),
            lambda r: r.bulk_insert([{"email": "d@x"}, {"email": "d@x", "handle": "admin"}]),
            lambda r: r.upsert({"id": 99, "email": "e"}, conflict_on=["id"]),
            lambda r: r.upsert(
                {"id": key, "email": "f"}, conflict_on=["id"], update_fields=["email"]
            ),
            lambda r: r.upsert({"id": key, "email": "g"}, conflict_on=["id"]),
            lambda r: r.upsert(
                {"id": key, "email": "h", "handle": "h"},
                conflict_on=["id"],
                update_fields=["handle"],
            ),
            lambda r: r.upsert_many(
                [{"id": 98, "email": "i@x"}, {"id": key, "email": "i"}], conflict_on=["id"]
            ),
        ]
        for i, write in enumerate(writes):
            fresh: Any = db.repository(Account)
            with pytest.raises(ValidationError):
                write(fresh)
            fresh.add(Account(email=f"ok{i}@x"))  # the unit of work stays usable
            db.commit(fresh)
        loaded: Any = db.repository(Account)
        loaded.get_or_raise(key).handle = "admin"
        with pytest.raises(ValidationError):
            loaded.flush()
        db.rollback(loaded)
        stored = [(a.email, a.handle) for a in db.repository(Account).list(order_by="id")]
        assert stored == [("a@x", None)] + [(f"ok{i}@x", None) for i in range(len(writes))]

    def test_a_row_must_refer_to_a_row_that_is_there(self, db: RepositoryDatabase) -> None:
        """A foreign key naming no row is a ``ConflictError``, on every write that stores it.

        PostgreSQL (23503) and SQLite (``PRAGMA foreign_keys=ON``) refuse it; the fake
        stored it. A NULL key refers to nothing; an upsert that conflicts and leaves the
        stored row alone stores nothing, so nothing is checked (a database checks a key
        with a trigger on the written row, not on the proposed one).
        """
        products: Any = db.repository(Product)
        product = products.add(Product(sku="a")).id
        db.commit(products)
        reviews: Any = db.repository(Review)
        kept = reviews.add(Review(product_id=product)).id
        reviews.add(Review(product_id=None))
        db.commit(reviews)
        gone = product + 1000
        writes: list[Callable[[Any], object]] = [
            lambda r: r.add(Review(product_id=gone)),
            lambda r: r.bulk_add([Review(product_id=product), Review(product_id=gone)]),
            lambda r: r.bulk_insert([{"product_id": product}, {"product_id": gone}]),
            lambda r: r.upsert({"id": 900, "product_id": gone}, conflict_on=["id"]),
            lambda r: r.upsert(
                {"id": kept, "product_id": gone}, conflict_on=["id"], update_fields=["product_id"]
            ),
            lambda r: r.upsert_many(
                [{"id": 901, "product_id": product}, {"id": 902, "product_id": gone}],
                conflict_on=["id"],
            ),
        ]
        for write in writes:
            fresh: Any = db.repository(Review)
            with pytest.raises(ConflictError):
                write(fresh)
            fresh.add(Review(product_id=product))  # the unit of work stays usable
            db.commit(fresh)
        alone: Any = db.repository(Review)
        left = alone.upsert({"id": kept, "product_id": gone, "stars": 1}, conflict_on=["id"])
        assert (left.product_id, left.stars) == (product, 5)
        db.commit(alone)
        changed: Any = db.repository(Review)
        changed.get_or_raise(kept).product_id = gone
        with pytest.raises(ConflictError):
            changed.flush()
        db.rollback(changed)
        stored = [r.product_id for r in db.repository(Review).list(order_by="id")]
        assert stored == [product, None] + [product] * len(writes)

    def test_a_conflict_keeps_the_objects_added_without_a_flush(
        self, db: RepositoryDatabase
    ) -> None:
        """A failed write undoes only itself: an object added with ``flush=False`` is kept.

        The unit of work has begun nothing yet, but it holds that pending object: a
        conflict must not discard it with the failed write.
        """
        first: Any = db.repository(Product)
        first.add(Product(sku="a"))
        db.commit(first)
        repo: Any = db.repository(Product)
        pending = repo.add(Product(sku="p", name="kept"), flush=False)
        with pytest.raises(ConflictError):
            repo.add(Product(sku="a"))
        repo.flush()
        db.commit(repo)
        fresh: Any = db.repository(Product)
        assert _skus(fresh.list(order_by="sku")) == ["a", "p"]
        assert fresh.get(pending.id).name == "kept"

    def test_a_conflict_right_after_a_commit_leaves_the_loaded_objects_loaded(
        self, db: RepositoryDatabase
    ) -> None:
        """A failed write right after a commit undoes only itself: loaded objects stay loaded.

        The unit of work still holds its objects after the commit (on an async session
        an expired attribute could not even be read); they can be changed and committed.
        """
        repo: Any = db.repository(Product)
        kept = repo.add(Product(sku="a", name="old"))
        db.commit(repo)
        with pytest.raises(ConflictError):
            repo.add(Product(sku="a"))
        assert (kept.sku, kept.name) == ("a", "old")
        kept.name = "changed"
        repo.flush()
        db.commit(repo)
        fresh: Any = db.repository(Product)
        assert fresh.get(kept.id).name == "changed"

    def test_a_unique_value_an_update_gave_up_is_free_in_the_same_unit_of_work(
        self, db: RepositoryDatabase
    ) -> None:
        """A value a committed or an uncommitted row no longer holds conflicts with nothing."""
        repo = _new_unit_after_committing_a(db)
        committed = repo.get_by(sku="a")
        repo.add(Product(sku="b"))
        pending = repo.add(Product(sku="c"))
        committed.sku, pending.sku = "x", "y"
        repo.flush()
        repo.add(Product(sku="a"))
        repo.add(Product(sku="c"))
        db.commit(repo)
        assert _skus(db.repository(Product).list(order_by="sku")) == ["a", "b", "c", "x", "y"]

    def test_a_failed_batch_frees_its_values_and_keeps_the_earlier_writes(
        self, db: RepositoryDatabase
    ) -> None:
        repo = _new_unit_after_committing_a(db)
        kept = repo.add(Product(sku="k", name="before"))
        with pytest.raises(ConflictError):
            repo.bulk_insert([{"sku": "b"}, {"sku": "a"}])
        with pytest.raises(ConflictError):
            repo.upsert_many(
                [
                    {"id": kept.id, "sku": "k", "name": "after"},
                    {"id": kept.id + 1000, "sku": "a", "name": "clash"},
                ],
                conflict_on=["id"],
                update_fields=["name"],
            )
        repo.add(Product(sku="b"))
        db.commit(repo)
        fresh: Any = db.repository(Product)
        assert _skus(fresh.list(order_by="sku")) == ["a", "b", "k"]
        assert fresh.get(kept.id).name == "before"

    def test_bulk_add_is_all_or_nothing_and_keeps_input_order(self, products: Any) -> None:
        batch = [Product(sku="c"), Product(sku="a"), Product(sku="b")]
        assert products.bulk_add(batch) == batch
        assert [p.id for p in batch] == sorted(p.id for p in batch)
        with pytest.raises(ConflictError):
            products.bulk_add([Product(sku="d"), Product(sku="e"), Product(sku="d")])
        assert products.count() == 3
        assert products.get_by(sku="d") is None

    def test_a_missing_not_null_value_is_a_validation_error(self, products: Any) -> None:
        with pytest.raises(ValidationError):
            products.add(Product(name="no sku"))
        assert products.add(Product(sku="a")).sku == "a"

    def test_a_string_longer_than_its_column_is_a_validation_error(self, products: Any) -> None:
        # PostgreSQL rejects 41 characters in String(40); SQLite and the fake must too.
        fits, over = "é" * 40, "é" * 41  # characters are counted, not bytes
        with pytest.raises(ValidationError) as info:
            products.add(Product(sku="a", name=over))
        assert [e.path for e in info.value.errors] == ["name"]
        with pytest.raises(ValidationError):
            products.upsert({"sku": "a", "name": over}, conflict_on=["sku"])
        row = {"sku": "b", "price": None, "name": over}
        with pytest.raises(ValidationError) as info:
            products.bulk_insert([{**row, "sku": "a", "name": fits}, row])
        assert [e.path for e in info.value.errors] == ["rows[1].name"]
        with pytest.raises(ValidationError):
            products.upsert_many([row], conflict_on=["sku"], update_fields=["name"])
        assert products.count() == 0  # nothing stored, and the unit of work is usable
        obj = products.add(Product(sku="a", name=fits))
        _flush_refuses_then_stores(products, obj, "name", over, fits)

    def test_unknown_fields_are_validation_errors_before_any_io(self, products: Any) -> None:
        """Each names the offending field (or ``order_by`` for a term that is no name)."""
        calls: list[tuple[Callable[[], object], str]] = [
            (lambda: products.list(colour="red"), "colour"),
            (lambda: products.count(colour="red"), "colour"),
            (lambda: products.exists(colour="red"), "colour"),
            (lambda: products.get_by(colour="red"), "colour"),
            (lambda: products.list(order_by="-colour"), "colour"),
            (lambda: products.list(order_by=42), "order_by"),
            (lambda: products.paginate(order_by="colour"), "colour"),
            (lambda: products.upsert({"sku": "a", "colour": 1}, conflict_on=["sku"]), "colour"),
            (lambda: products.upsert({"sku": "a"}, conflict_on=["nope"]), "nope"),
            (lambda: products.bulk_insert([{"sku": "a", "colour": 1}]), "colour"),
        ]
        for call, path in calls:
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        assert products.count() == 0

    def test_values_of_the_wrong_type_are_validation_errors_before_any_io(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        """Each names the offending argument: the key (``ident``), a filter, a page size."""
        products.add(Product(sku="a", price=1))
        naive = dt.datetime(2024, 1, 1)  # noqa: DTZ001 - the point of the test
        pairs: Any = db.repository(Pair)
        calls: list[tuple[Callable[[], object], str]] = [
            (lambda: products.get("1"), "ident"),
            (lambda: products.get(True), "ident"),
            (lambda: products.get_or_raise(1.5), "ident"),
            (lambda: products.list(price="1"), "price"),
            (lambda: products.list(price=Product.stock), "price"),  # never SQL through a filter
            (lambda: products.count(sku=["a"]), "sku"),
            (lambda: products.exists(name=1), "name"),
            (lambda: products.get_by(seen_at=naive), "seen_at"),
            (lambda: products.list(limit=True), "limit"),
            (lambda: products.paginate(size=True), "size"),
            (lambda: pairs.get(("a", 1)), "ident"),
            (lambda: pairs.get("a"), "ident"),  # one value for a two-column key
            (lambda: pairs.get(("a", "b", "c")), "ident"),
        ]
        for call, path in calls:
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        assert products.get_by(price=1, sku="a", seen_at=None).sku == "a"
        assert products.count() == 1

    def test_upsert_arguments_that_cannot_work_name_the_field(self, products: Any) -> None:
        """Each argument that cannot work is a ``ValidationError`` naming it.

        A missing conflict value, an update field with no value, a target that is not
        unique, two rows with one key in a batch, a nullable keyset order.
        """
        calls: list[tuple[Callable[[], object], str]] = [
            (lambda: products.upsert({"name": "x"}, conflict_on=["sku"]), "sku"),
            (
                lambda: products.upsert({"sku": "a"}, conflict_on=["sku"], update_fields=["name"]),
                "name",
            ),
            (lambda: products.upsert({"sku": "a"}, conflict_on=["name"]), "conflict_on"),
            (
                lambda: products.upsert_many([{"sku": "a"}, {"sku": "a"}], conflict_on=["sku"]),
                "rows[1]",
            ),
            (lambda: products.bulk_insert([{"sku": "a"}, {"name": "b"}]), "rows[1]"),
            (lambda: products.seek(order_by="price"), "order_by"),  # nullable: no keyset
        ]
        for call, path in calls:
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        assert products.count() == 0


def _new_unit_after_committing_a(db: RepositoryDatabase) -> Any:
    """A new unit of work on *db* once another has committed the product of SKU ``a``."""
    first: Any = db.repository(Product)
    first.add(Product(sku="a"))
    db.commit(first)
    return db.repository(Product)
