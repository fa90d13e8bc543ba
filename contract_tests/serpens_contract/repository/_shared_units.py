"""Repository cases of one unit of work shared by the repositories of several models.

One theme of :class:`~serpens_contract.repository.RepositoryContract` (capability
``shared_units_of_work``): a service hands one session to the repositories of an order and
its lines, or of a row and its outbox message, and commits them together. Repositories in
one unit of work see each other's writes at once and nobody else does before the commit;
a commit, rollback or close from any of them acts on them all; two repositories of one
model hold one instance per key; a refused write leaves the shared unit usable, a value
serpens refuses on any model's object is refused before a write through another's. On
threads (capability ``threads`` too), of shared units racing for one unique value the
winner's rows are stored together and nothing of a loser's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

import pytest

from serpens.errors import ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase, SharedUnitDatabase
from serpens_contract._repository_models import Product, Review
from serpens_contract._threads import on_threads, starting_line
from serpens_contract.capabilities import requires

THREADS = 4
ROUNDS = 8
PAUSE_S = 0.002
"""How long a racer works between writing its product and committing, as a service would."""


def _shared(db: RepositoryDatabase, *models: type[Any]) -> tuple[Any, ...]:
    return cast("SharedUnitDatabase", db).repositories(*models)


def _committed(db: RepositoryDatabase) -> tuple[int, int]:
    """The products and reviews another unit of work sees (ended before it returns)."""
    products: Any = db.repository(Product)
    reviews: Any = db.repository(Review)
    seen = (products.count(), reviews.count())
    db.close_unit_of_work(products)
    db.close_unit_of_work(reviews)
    return seen


class SharedUnitOfWorkCases:
    """Cases on repositories of several models sharing one unit of work."""

    @requires("shared_units_of_work")
    def test_repositories_in_one_unit_of_work_see_each_others_writes_and_nobody_else(
        self, db: RepositoryDatabase
    ) -> None:
        products, reviews = _shared(db, Product, Review)
        product = products.add(Product(sku="a"))
        review = reviews.add(Review(product_id=product.id, stars=4))  # refers to it at once
        reviews.bulk_insert([{"product_id": product.id, "stars": 2}])
        products.upsert({"sku": "b", "price": 2}, conflict_on=["sku"])
        assert (products.count(), reviews.count()) == (2, 2)
        assert reviews.get_by(stars=4) is review
        assert [r.stars for r in reviews.list(product_id=product.id, order_by="stars")] == [2, 4]
        assert _committed(db) == (0, 0)

    @requires("shared_units_of_work")
    def test_a_commit_from_any_repository_of_the_unit_publishes_all_of_its_writes(
        self, db: RepositoryDatabase
    ) -> None:
        products, reviews = _shared(db, Product, Review)
        product = products.add(Product(sku="a"))
        reviews.add(Review(product_id=product.id))
        db.commit(reviews)
        assert _committed(db) == (1, 1)
        more = products.add(Product(sku="b"))  # the unit of work goes on after it
        reviews.bulk_insert([{"product_id": more.id}])
        db.commit(products)
        assert _committed(db) == (2, 2)

    @requires("shared_units_of_work")
    def test_a_rollback_from_any_repository_of_the_unit_discards_all_of_its_writes(
        self, db: RepositoryDatabase
    ) -> None:
        products, reviews = _shared(db, Product, Review)
        kept = products.add(Product(sku="a", name="old"))
        db.commit(products)
        more = products.add(Product(sku="b"))
        reviews.add(Review(product_id=more.id))
        kept.name = "changed"  # changed, not flushed: the rollback takes it back too
        db.rollback(reviews)
        assert (products.count(), reviews.count()) == (1, 0)
        # read back through a repository: an async session loads nothing on attribute access
        assert products.get_by(sku="a") is kept
        assert kept.name == "old"
        assert products.get_by(sku="b") is None
        reviews.add(Review(product_id=kept.id))  # usable, and writes through both go on
        products.add(Product(sku="b"))
        db.commit(products)
        assert _committed(db) == (2, 1)

    @requires("shared_units_of_work")
    def test_closing_from_any_repository_of_the_unit_ends_all_of_it(
        self, db: RepositoryDatabase
    ) -> None:
        products, reviews = _shared(db, Product, Review)
        product = products.add(Product(sku="a"))
        reviews.add(Review(product_id=product.id))
        product.name = "kept"  # changed, not flushed
        db.close_unit_of_work(reviews)
        assert product.name == "kept"  # a closed unit's objects keep the values they hold
        assert _committed(db) == (0, 0)
        assert (products.count(), reviews.count()) == (0, 0)
        again = products.add(Product(sku="a"))  # the key is free; the unit is usable again
        assert again is not product
        reviews.add(Review(product_id=again.id))
        db.commit(reviews)
        assert _committed(db) == (1, 1)

    @requires("shared_units_of_work")
    def test_a_refused_write_leaves_the_shared_unit_of_work_usable(
        self, db: RepositoryDatabase
    ) -> None:
        products, reviews = _shared(db, Product, Review)
        product = products.add(Product(sku="a"))
        reviews.add(Review(product_id=product.id, stars=1))
        with pytest.raises(ConflictError):
            products.add(Product(sku="a"))  # a duplicate key
        with pytest.raises(ConflictError):
            reviews.add(Review(product_id=product.id + 1000))  # a reference to nothing
        reviews.add(Review(product_id=product.id, stars=2))
        assert [r.stars for r in reviews.list(order_by="stars")] == [1, 2]
        db.commit(products)
        assert _committed(db) == (1, 2)

    @requires("shared_units_of_work")
    def test_two_repositories_of_one_model_in_a_unit_hold_one_instance_per_key(
        self, db: RepositoryDatabase
    ) -> None:
        products, twin = _shared(db, Product, Product)
        product = products.add(Product(sku="a"))
        assert twin.get(product.id) is product
        assert twin.get_by(sku="a") is product
        got = twin.upsert({"sku": "a", "name": "new"}, conflict_on=["sku"], update_fields=["name"])
        assert got is product
        assert (product.name, products.get_by(name="new")) == ("new", product)
        added = twin.add(Product(sku="b"))
        assert products.get(added.id) is added
        db.commit(twin)
        assert _committed(db) == (2, 0)

    @requires("shared_units_of_work")
    def test_a_write_flushes_every_models_pending_objects_first(
        self, db: RepositoryDatabase
    ) -> None:
        """A write through one repository flushes what the others hold pending first.

        As one ``Session``'s savepoint does; a failure there, or at the commit, fails the
        whole unit of work until it is rolled back.
        """
        products, reviews = _shared(db, Product, Review)
        product = products.add(Product(sku="a"))
        reviews.add(Review(product_id=product.id, stars=3), flush=False)
        products.upsert({"sku": "b"}, conflict_on=["sku"])
        assert reviews.count() == 1  # written by the products' upsert
        db.commit(products)
        reviews.add(Review(product_id=product.id + 1000), flush=False)  # refers to nothing
        with pytest.raises(ConflictError):
            products.add(Product(sku="c"))
        with pytest.raises(ConflictError, match="rolled back"):
            products.count()
        db.rollback(reviews)
        products.add(Product(sku="a"), flush=False)  # a duplicate, found at the commit
        with pytest.raises(ConflictError):
            db.commit(reviews)
        with pytest.raises(ConflictError, match="rolled back"):
            reviews.count()
        db.rollback(products)
        assert _committed(db) == (2, 1)

    @requires("shared_units_of_work")
    def test_a_write_checks_every_models_changed_objects_first(
        self, db: RepositoryDatabase
    ) -> None:
        """A wrong value on one model's object is refused by a write through another's.

        As through its own (see the units-of-work cases): the write would flush it first,
        and psycopg2 let the server cast ``"12"`` into the integer column. Nothing is
        written and the unit of work stays usable; a NOT NULL the database refuses in
        that flush fails it.
        """
        products, reviews = _shared(db, Product, Review)
        product = products.add(Product(sku="a"))
        product.price = "12"
        with pytest.raises(ValidationError) as info:
            reviews.add(Review(product_id=product.id))
        assert [e.path for e in info.value.errors] == ["price"]
        assert reviews.count() == 0
        product.price = 12
        reviews.add(Review(product_id=product.id))
        db.commit(reviews)
        product.sku = None  # NOT NULL: refused by the database, in the flush
        with pytest.raises(ValidationError):
            reviews.add(Review(product_id=product.id))
        with pytest.raises(ConflictError, match="rolled back"):
            reviews.count()
        db.rollback(products)
        assert _committed(db) == (1, 1)
        stored: Any = db.repository(Product)
        assert [(p.sku, p.price) for p in stored.list()] == [("a", 12)]

    @requires("shared_units_of_work", "threads")
    def test_of_shared_units_racing_for_one_unique_value_the_winner_commits_whole(
        self, db: RepositoryDatabase
    ) -> None:
        """Units of work writing a review, a product and its review race for one ``sku``.

        Exactly one commits each round, its three rows together; a loser, refused at its
        write or at its commit, stores nothing, not even the review written before. Each
        racer pauses after writing its product, so the others write theirs before the
        first commit on an implementation that lets them (the in-memory one finds the
        clash at the commit; PostgreSQL holds the others' writes until then).
        """
        winners: list[list[int]] = [[] for _ in range(ROUNDS)]
        barrier = starting_line(THREADS)

        def racer(me: int) -> Callable[[], None]:
            def race() -> None:
                for round_, won in enumerate(winners):
                    reviews, products = _shared(db, Review, Product)
                    mark = round_ * 10 + me
                    barrier.wait()
                    try:
                        reviews.add(Review(stars=mark))  # written before the clash
                        product = products.add(Product(sku=f"race-{round_}"))
                        time.sleep(PAUSE_S)
                        reviews.add(Review(product_id=product.id, stars=mark))
                        db.commit(reviews)
                        won.append(me)
                    except ConflictError:
                        db.rollback(products)
                    finally:
                        db.close_unit_of_work(products)

            return race

        assert on_threads([racer(me) for me in range(THREADS)]) == []
        assert [len(won) for won in winners] == [1] * ROUNDS
        reader: Any = db.repository(Review)
        stored = sorted(r.stars for r in reader.list(limit=1000))
        assert stored == sorted(2 * [r * 10 + won[0] for r, won in enumerate(winners)])
        assert db.repository(Product).count() == ROUNDS
