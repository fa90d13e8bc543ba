"""Unit-of-work cases of the Repository suite: each unit of work is a transaction.

Uncommitted writes are invisible to others, commit publishes them, rollback and closing
discard them; a rollback expires the loaded objects; a write flushes what is pending
first, and a failed flush (a conflict, a `CHECK` or NOT NULL the database refuses) leaves
the unit refusing every call until it is rolled back.
Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from serpens.errors import ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Account, Product
from serpens_contract.repository._shared import _skus


class UnitOfWorkCases:
    """Cases on units of work (transactions)."""

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
        c.name = "unflushed"  # a change the rollback takes back
        db.rollback(mine)
        changes = [{"sku": "a", "name": "n", "price": 5}, {"sku": "c", "name": None, "price": 7}]
        mine.upsert_many(changes, conflict_on=["sku"], update_fields=["name", "price"])
        assert mine.get(a_id) is a
        assert (a.name, a.price, a.version) == ("n", 5, 2)
        # loaded again now, so no longer expired: a later write does not show in it
        mine.upsert_many([{"sku": "a", "price": 6}], conflict_on=["sku"], update_fields=["price"])
        assert (mine.get(a_id).price, mine.get_by(sku="a").price, a.version) == (5, 5, 2)
        c.name = "set"  # on an expired object: kept by the next read, which loads the rest
        rows = [(o.sku, o.name, o.price, o.version) for o in mine.list(order_by="sku")]
        assert rows == [("a", "n", 5, 2), ("c", "set", 7, 2)]
        mine.flush()
        assert (c.name, c.price, c.version) == ("set", 7, 3)
        refreshed = mine.upsert(
            {"sku": "c", "stock": 1}, conflict_on=["sku"], update_fields=["stock"]
        )
        mine.upsert_many([{"sku": "c", "price": 8}], conflict_on=["sku"], update_fields=["price"])
        assert (refreshed is c, mine.get_by(sku="c").price) == (True, 7)  # loaded by the upsert
        db.commit(mine)
        theirs: Any = db.repository(Product)
        got = theirs.get_by(sku="c")
        assert (got.name, got.price, got.stock, got.version) == ("set", 8, 1, 5)

    def test_a_flush_after_a_rollback_writes_against_the_current_row(
        self, db: RepositoryDatabase
    ) -> None:
        """A value set on an expired object is written over the row another unit committed."""
        mine: Any = db.repository(Product)
        mine.add(Product(sku="a", name="old", price=1))
        db.commit(mine)
        assert mine.count() == 1  # a statement: the rollback below ends a transaction
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

    def test_a_failed_flush_must_be_rolled_back_before_anything_else(
        self, db: RepositoryDatabase
    ) -> None:
        """A flush that fails leaves the unit of work refusing every call until a rollback.

        A ``Session`` whose flush fails rolls its transaction back: what was flushed
        before goes too, and every call but ``rollback()`` and ``close()`` is refused
        (SQLAlchemy's ``PendingRollbackError``, a ``ConflictError`` here), so that no
        later write is committed without the earlier ones. The fake went on as if
        nothing had failed.
        """
        repo: Any = db.repository(Product)
        kept = repo.add(Product(sku="a"))
        db.commit(repo)
        repo.add(Product(sku="b"))  # flushed: rolled back with the failed flush
        repo.add(Product(sku="a"), flush=False)
        with pytest.raises(ConflictError):
            repo.flush()
        calls: list[Callable[[Any], object]] = [
            lambda r: r.get_by(sku="b"),
            lambda r: r.count(),
            lambda r: r.list(),
            lambda r: r.paginate(),
            lambda r: r.seek(),
            lambda r: r.add(Product(sku="c")),
            lambda r: r.add(Product(sku="c"), flush=False),
            lambda r: r.bulk_add([Product(sku="c")]),
            lambda r: r.bulk_add([Product(sku="c")], flush=False),
            lambda r: r.upsert({"sku": "c"}, conflict_on=["sku"]),
            lambda r: r.upsert_many([{"sku": "c"}], conflict_on=["sku"]),
            lambda r: r.bulk_insert([{"sku": "c"}]),
        ]
        for call in calls:
            with pytest.raises(ConflictError, match="rolled back"):
                call(repo)
        db.rollback(repo)
        assert _skus(repo.list(order_by="sku")) == ["a"]
        assert repo.get_by(sku="a") is kept  # still in the unit of work, not detached
        kept.name = "after"  # so its change is written by the next commit
        repo.add(Product(sku="c"))
        db.commit(repo)
        stored = db.repository(Product).list(order_by="sku")
        assert [(p.sku, p.name) for p in stored] == [("a", "after"), ("c", None)]

    def test_a_flush_the_database_refuses_fails_the_unit_of_work(
        self, db: RepositoryDatabase
    ) -> None:
        """A ``CHECK`` or NOT NULL refusal in a flush fails the unit of work, as a conflict does.

        The database refuses the row inside the flush (PostgreSQL's 23514 and 23502, SQLite's
        constraint errors), whether ``flush()`` or a later write flushes it, and the
        ``Session`` must then be rolled back. A value serpens refuses before any flush (a
        string over its length) writes nothing and leaves the unit usable. The fake refused
        both and went on.
        """
        setup: Any = db.repository(Account)
        key = setup.add(Account(email="a@x")).id
        db.commit(setup)
        db.close_unit_of_work(setup)
        refusals: list[Callable[[Any], object]] = [
            lambda r: setattr(r.get_or_raise(key), "handle", "admin"),  # a column's CHECK
            lambda r: setattr(r.get_or_raise(key), "email", None),  # NOT NULL
            lambda r: r.add(Account(email="zz"), flush=False),  # the table's CHECK
            lambda r: r.add(Account(email=None), flush=False),
        ]
        flushes: list[Callable[[Any], object]] = [
            lambda r: r.flush(),
            lambda r: r.add(Account(email="b@x")),
            lambda r: r.bulk_insert([{"email": "c@x"}]),
        ]
        for refusal in refusals:
            for flush in flushes:
                repo: Any = db.repository(Account)
                refusal(repo)
                with pytest.raises(ValidationError):
                    flush(repo)
                with pytest.raises(ConflictError, match="rolled back"):
                    repo.count()
                db.rollback(repo)
                assert repo.count() == 1
                db.close_unit_of_work(repo)
        repo = db.repository(Account)
        repo.get_or_raise(key).email = "x" * 41  # over its String(40): checked before
        repo.add(Account(email="d@x"), flush=False).email = "y" * 41
        with pytest.raises(ValidationError):
            repo.flush()
        assert repo.count() == 1
        db.rollback(repo)
        stored = db.repository(Account).list()
        assert [(a.email, a.handle) for a in stored] == [("a@x", None)]

    def test_a_flush_writes_changed_objects_in_primary_key_order(
        self, db: RepositoryDatabase
    ) -> None:
        """Of several refused changed objects, the first by primary key decides the error.

        A ``Session`` writes a model's updates in primary-key order, so a stale version
        (``ConflictError``) in the first row wins over NULLs in NOT NULL columns after it
        (``ValidationError``), and the other way round. A run of updates of the same
        columns is one executemany whose matched rows are counted after it: there a NULL
        in a later row wins over a stale first one. The fake wrote them in no fixed order.
        """
        setup: Any = db.repository(Product)
        setup.bulk_add([Product(sku=f"s{i}") for i in range(6)])
        db.commit(setup)
        db.close_unit_of_work(setup)
        cases = [  # the stale rows, what the stale rows change, the error
            ({0}, "name", ConflictError),
            ({1, 2, 3, 4, 5}, "name", ValidationError),
            ({0}, "sku", ValidationError),  # one executemany of sku for all six
        ]
        for n, (stale, column, error) in enumerate(cases):
            mine: Any = db.repository(Product)
            loaded = mine.list(order_by="id")
            db.commit(mine)  # ends its transaction (SQLite's readers lock writers out)
            theirs: Any = db.repository(Product)
            for i in stale:
                theirs.get_or_raise(loaded[i].id).name = f"theirs{n}"  # a new version
            db.commit(theirs)
            db.close_unit_of_work(theirs)
            for i, obj in enumerate(loaded):
                setattr(obj, column if i in stale else "sku", f"m{i}" if i in stale else None)
            with pytest.raises(error):
                mine.flush()
            db.rollback(mine)
            db.close_unit_of_work(mine)

    def test_a_write_flushes_what_is_pending_first(self, db: RepositoryDatabase) -> None:
        """Every write flushes the objects added without a flush before it writes its own.

        As the savepoint a ``Session`` opens for the write does: an object pending before
        ``upsert`` is written by it, and kept when the write's own row conflicts; when
        the pending object itself conflicts, that is a failed flush (see above).
        """
        repo: Any = db.repository(Product)
        repo.add(Product(sku="a"))
        db.commit(repo)
        repo.add(Product(sku="p"), flush=False)
        repo.upsert({"sku": "u"}, conflict_on=["sku"])
        assert _skus(repo.list(order_by="sku")) == ["a", "p", "u"]
        repo.add(Product(sku="q"), flush=False)
        with pytest.raises(ConflictError):
            repo.add(Product(sku="a"))  # its own conflict: q is written, the unit usable
        assert _skus(repo.list(order_by="sku")) == ["a", "p", "q", "u"]
        repo.add(Product(sku="a"), flush=False)
        with pytest.raises(ConflictError):
            repo.bulk_insert([{"sku": "v"}])  # the pending duplicate fails the flush first
        with pytest.raises(ConflictError, match="rolled back"):
            repo.count()
        db.rollback(repo)
        assert _skus(repo.list(order_by="sku")) == ["a"]

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

    def test_a_write_checks_the_changed_objects_it_flushes_first(
        self, db: RepositoryDatabase
    ) -> None:
        """A wrong value set on a loaded object is refused by the next write, before any I/O.

        The write flushes it first, outside its own savepoint: unchecked, psycopg2 let
        the server cast ``"12"`` into an integer column and stored it. The unit of work
        stays usable and nothing is written.
        """
        repo: Any = db.repository(Product)
        product = repo.add(Product(sku="a"))
        product.price = "12"
        writes: list[Callable[[Any], object]] = [
            lambda r: r.add(Product(sku="b")),
            lambda r: r.upsert({"sku": "b"}, conflict_on=["sku"]),
            lambda r: r.upsert_many([{"sku": "b"}, {"sku": "c"}], conflict_on=["sku"]),
            lambda r: r.bulk_insert([{"sku": "b"}]),
        ]
        for write in writes:
            with pytest.raises(ValidationError) as info:
                write(repo)
            assert [e.path for e in info.value.errors] == ["price"]
        product.price = 12
        repo.add(Product(sku="b"))
        db.commit(repo)
        stored = db.repository(Product).list(order_by="sku")
        assert [(p.sku, p.price) for p in stored] == [("a", 12), ("b", None)]
