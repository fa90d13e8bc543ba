"""The in-memory repository's units of work and indexes, beyond the shared contract.

The contract suite pins what every backend does; these pin what only the fake can be
asked in one thread (two units of work racing to commit), and check the fake's indexed
reads against a plain scan-and-sort of the same rows on a table large enough to take
every index path, with uncommitted writes layered on top.
"""

from __future__ import annotations

import gc
import random
import weakref
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy

from serpens.errors import ConflictError, ValidationError
from serpens.fakes import AsyncInMemoryRepository, InMemoryDatabase, InMemoryRepository
from serpens_contract.repository import Kind, Pair, Product

ORDERS: list[Any] = [None, "price", "-price", "name", "-name", ["name", "-price"], "-sku", "-id"]
FILTERS: list[dict[str, Any]] = [{}, {"name": "x"}, {"name": None}, {"price": 3}, {"name": "y"}]


def _expected(rows: list[dict[str, Any]], order_by: Any, filters: dict[str, Any]) -> list[str]:
    """SKUs in the documented order by a plain stable sort (NULLs last ascending)."""
    names = [] if order_by is None else [order_by] if isinstance(order_by, str) else order_by
    terms = [(n.removeprefix("-"), n.startswith("-")) for n in names]
    if all(k != "id" for k, _ in terms):
        terms.append(("id", False))
    out = [
        r
        for r in rows
        if all((r[k] is None) if v is None else r[k] == v for k, v in filters.items())
    ]
    for key, descending in reversed(terms):
        out.sort(key=lambda r, k=key: (r[k] is None, r[k]), reverse=descending)  # type: ignore[misc]
    return [r["sku"] for r in out]


def _stored(skus: list[str]) -> InMemoryDatabase:
    """A database holding one committed product per SKU, each named "stored"."""
    db = InMemoryDatabase()
    seed = InMemoryRepository(Product, database=db)
    seed.bulk_insert([{"sku": sku, "name": "stored"} for sku in skus])
    seed.commit()
    return db


def _state(obj: Any) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in ("id", "sku", "name", "price")}


def test_indexed_reads_match_a_plain_sort_with_uncommitted_writes_on_top() -> None:
    rng = random.Random(7)
    db = InMemoryDatabase()
    seed = InMemoryRepository(Product, database=db)
    seed.bulk_insert(
        [
            {
                "sku": f"s{i:04d}",
                "name": rng.choice(["x", "x", "x", "y", None]),
                "price": rng.choice([None, 1, 2, 3, 4]),
            }
            for i in range(900)
        ]
    )
    seed.commit()
    for order_by in ORDERS:  # build the ordered indexes now: later commits must maintain them
        seed.list(order_by=order_by, limit=1)
    more = InMemoryRepository(Product, database=db)
    for obj in more.list(limit=40, offset=100):
        obj.price = rng.choice([None, 0, 5])
    more.bulk_insert([{"sku": f"t{i:03d}", "name": "x", "price": 2} for i in range(30)])
    more.commit()

    mine = InMemoryRepository(Product, database=db)
    for obj in mine.list(order_by="-price", limit=25, offset=300):
        obj.name = rng.choice(["x", "y", None])
        obj.price = rng.choice([None, 3, 9])
    mine.flush()
    mine.bulk_insert([{"sku": f"u{i:03d}", "name": "y", "price": 3} for i in range(20)])
    mine.upsert({"sku": "s0005", "price": 3}, conflict_on=["sku"], update_fields=["price"])
    for repo, committed_only in ((mine, False), (InMemoryRepository(Product, database=db), True)):
        scan = InMemoryRepository(Product, database=db) if committed_only else mine
        rows = [_state(o) for o in scan.list()]
        assert len(rows) == (930 if committed_only else 950)
        for order_by in ORDERS:
            for filters in FILTERS:
                want = _expected(rows, order_by, filters)
                assert repo.count(**filters) == len(want)
                for offset, limit in ((0, 10), (37, 100), (0, None), (940, 50)):
                    got = repo.list(order_by=order_by, limit=limit, offset=offset, **filters)
                    stop = None if limit is None else offset + limit
                    assert [o.sku for o in got] == want[offset:stop], (order_by, filters)
                first = repo.get_by(**filters)
                assert (first.sku if first else None) == (
                    _expected(rows, None, filters)[:1] or [None]
                )[0]
        page = repo.paginate(page=4, size=30, order_by="-price")
        assert [o.sku for o in page.items] == _expected(rows, "-price", {})[90:120]
        assert page.total == len(rows)
        walked: list[str] = []
        cursor = None
        while True:
            got_page = repo.seek(after=cursor, limit=77, order_by="-sku")
            walked += [o.sku for o in got_page.items]
            cursor = got_page.next_cursor
            if cursor is None:
                break
        assert walked == _expected(rows, "-sku", {})
        assert repo.get_by(sku="u005") is (None if committed_only else repo.get_by(sku="u005"))


def test_the_second_of_two_units_of_work_inserting_one_key_fails_at_commit() -> None:
    db = InMemoryDatabase()
    first = InMemoryRepository(Product, database=db)
    second = InMemoryRepository(Product, database=db)
    first.add(Product(sku="a", name="first"))
    second.add(Product(sku="a", name="second"))  # invisible to each other until commit
    second.add(Product(sku="b"))
    first.commit()
    with pytest.raises(ConflictError, match=r"sku"):
        second.commit()
    # The failed commit published nothing and rolled the unit of work back.
    assert second.get_by(sku="b") is None
    assert [(p.sku, p.name) for p in InMemoryRepository(Product, database=db).list()] == [
        ("a", "first")
    ]
    second.add(Product(sku="b"))
    second.commit()
    assert InMemoryRepository(Product, database=db).count() == 2


def test_a_composite_key_committed_meanwhile_is_a_conflict() -> None:
    db = InMemoryDatabase()
    first = InMemoryRepository(Pair, database=db)
    second = InMemoryRepository(Pair, database=db)
    first.add(Pair(left="a", right="b", code="1"))
    second.add(Pair(left="a", right="b", code="2"))
    first.commit()
    with pytest.raises(ConflictError, match=r"Pair id=\('a', 'b'\)"):
        second.commit()
    assert InMemoryRepository(Pair, database=db).get(("a", "b")).code == "1"


def test_the_second_of_two_versioned_updates_fails_at_commit() -> None:
    db = InMemoryDatabase()
    setup = InMemoryRepository(Product, database=db)
    key = setup.add(Product(sku="a", name="old")).id
    setup.commit()
    mine = InMemoryRepository(Product, database=db)
    theirs = InMemoryRepository(Product, database=db)
    mine.get_or_raise(key).name = "mine"
    theirs.get_or_raise(key).name = "theirs"
    mine.flush()
    theirs.flush()
    theirs.commit()
    with pytest.raises(ConflictError, match="stale version"):
        mine.commit()
    stored = InMemoryRepository(Product, database=db).get_or_raise(key)
    assert (stored.name, stored.version) == ("theirs", 2)
    assert mine.get_or_raise(key).name == "theirs"  # rolled back: refreshed from the store


def test_an_unversioned_update_applies_its_changed_columns_over_a_newer_row() -> None:
    db = InMemoryDatabase()
    setup = InMemoryRepository(Pair, database=db)
    setup.add(Pair(left="a", right="b", code="1", label=None))
    setup.commit()
    mine = InMemoryRepository(Pair, database=db)
    theirs = InMemoryRepository(Pair, database=db)
    mine.get_or_raise(("a", "b")).label = "mine"
    mine.flush()
    theirs.get_or_raise(("a", "b")).code = "2"
    theirs.flush()
    theirs.commit()
    mine.commit()  # READ COMMITTED: a plain UPDATE of other columns keeps theirs
    stored = InMemoryRepository(Pair, database=db).get_or_raise(("a", "b"))
    assert (stored.code, stored.label) == ("2", "mine")


def test_changes_to_loaded_objects_are_found_without_walking_them() -> None:
    db = InMemoryDatabase()
    repo = InMemoryRepository(Product, database=db)
    repo.bulk_insert([{"sku": f"s{i}", "price": i} for i in range(50)])
    loaded = list(repo.list())
    loaded[7].name = "changed"
    repo.add(Product(sku="new"))  # flushes the change too, as a Session's flush does
    repo.commit()
    other = InMemoryRepository(Product, database=db)
    assert other.get_by(sku="s7").name == "changed"
    assert (other.get_by(sku="s7").version, other.get_by(sku="s8").version) == (2, 1)


def test_rollback_restores_loaded_objects_to_their_committed_values() -> None:
    db = InMemoryDatabase()
    repo = InMemoryRepository(Product, database=db)
    flushed = repo.add(Product(sku="a", name="committed"))
    unflushed = repo.add(Product(sku="b", name="committed"))
    repo.commit()
    flushed.name = "flushed"
    repo.flush()
    unflushed.name = "not flushed"
    repo.rollback()
    assert (flushed.name, flushed.version) == ("committed", 1)
    assert unflushed.name == "committed"
    repo.flush()  # nothing left to write
    repo.commit()
    names = [p.name for p in InMemoryRepository(Product, database=db).list()]
    assert names == ["committed", "committed"]


async def test_the_async_fake_commits_rolls_back_and_closes() -> None:
    db = InMemoryDatabase()
    mine = AsyncInMemoryRepository(Product, database=db)
    await mine.add(Product(sku="a"))
    await mine.rollback()
    await mine.add(Product(sku="b"))
    await mine.commit()
    await mine.add(Product(sku="c"))
    await mine.close()
    other = AsyncInMemoryRepository(Product, database=db)
    assert [p.sku for p in await other.list()] == ["b"]


@pytest.mark.parametrize("changed_first", [False, True])
def test_objects_a_closed_unit_of_work_read_are_detached(changed_first: bool) -> None:
    """A change to an object after ``close`` is no write of the reused repository.

    Closing after plain reads takes a shortcut (nothing to look at); with a change not
    flushed the object keeps it, as an object ``Session.close()`` expunges does (beside
    PostgreSQL: ``test_repository_sessions.py``). Either way they leave the unit of work.
    """
    db = _stored([f"s{i}" for i in range(5)])
    repo = InMemoryRepository(Product, database=db)
    loaded = list(repo.list())
    if changed_first:
        loaded[0].name = "dropped by close"
    repo.close()
    assert loaded[0].name == ("dropped by close" if changed_first else "stored")
    loaded[1].name = "after close"
    repo.add(Product(sku="new"))
    repo.commit()
    reader = InMemoryRepository(Product, database=db)
    stored = reader.get_by(sku="s1")
    assert (stored.name, stored.version) == ("stored", 1)
    assert reader.count(name="stored") == 5


def test_changes_to_detached_objects_hide_no_change_of_the_reused_repository() -> None:
    """Its flush skips each object a ``close`` detached, one by one, and writes its own.

    Forty objects changed after ``close`` stay unwritten; the one the reused repository
    loads and changes afterwards is written, wherever the flush meets it among them.
    """
    db = _stored([f"s{i}" for i in range(40)])
    repo = InMemoryRepository(Product, database=db)
    detached = list(repo.list())
    repo.close()
    for obj in detached:
        obj.name = "after close"
    mine = repo.get_by(sku="s0")
    assert mine is not None
    assert mine is not detached[0]
    mine.name = "written"
    repo.commit()
    reader = InMemoryRepository(Product, database=db)
    assert [p.name for p in reader.list(order_by="sku", limit=2)] == ["written", "stored"]
    assert reader.count(name="stored") == 39


def test_a_closed_unit_of_work_keeps_nothing_of_the_objects_it_read() -> None:
    """Changing an object after ``close`` does not make the repository hold on to it."""
    db = _stored(["a"])
    repo = InMemoryRepository(Product, database=db)
    obj = repo.get_by(sku="a")
    repo.close()
    obj.name = "changed after close"
    state = weakref.ref(sqlalchemy.inspect(obj))
    del obj
    gc.collect()
    assert state() is None


class TestInMemoryCommitChecks:
    def test_a_unique_value_committed_meanwhile_conflicts_after_a_row_with_a_null(self) -> None:
        db = InMemoryDatabase()
        first = InMemoryRepository(Pair, database=db)
        second = InMemoryRepository(Pair, database=db)
        first.add(Pair(left="1", right="1", code="c", label=None))  # NULL: never a conflict
        first.add(Pair(left="2", right="2", code="c", label="x"))
        second.add(Pair(left="3", right="3", code="c", label="x"))
        second.commit()
        with pytest.raises(ConflictError, match=r"\(code, label\)"):
            first.commit()
        assert InMemoryRepository(Pair, database=db).count() == 1


class SmallPages(InMemoryRepository[Product]):
    model = Product
    max_page_size = 2


class TestInMemoryRepositoryUnitOfWorkDetails:
    """What a unit of work does with its objects and rows, down to the fake's own details."""

    def test_a_subclass_lowers_the_largest_page(self) -> None:
        """``max_page_size`` set on a subclass bounds ``paginate``'s size and ``seek``'s limit."""
        repo = SmallPages()
        repo.bulk_add([Product(sku=s) for s in "abc"])
        assert [p.sku for p in repo.paginate(size=2).items] == ["a", "b"]
        assert [p.sku for p in repo.seek(limit=2).items] == ["a", "b"]
        with pytest.raises(ValidationError, match="size"):
            repo.paginate(size=3)
        with pytest.raises(ValidationError, match="size"):
            repo.seek(limit=3)

    def test_bulk_insert_stores_an_explicit_none_not_the_default(self) -> None:
        """A key given as ``None`` is a NULL, as the adapter's INSERT sends it.

        The column's ``default`` applies only to a key left out (``add`` differs: there an
        unset attribute takes it).
        """
        repo = InMemoryRepository(Product)
        with pytest.raises(ValidationError, match="NOT NULL"):
            repo.bulk_insert([{"sku": "a", "stock": None}])
        assert repo.count() == 0

    def test_a_rollback_keeps_nothing_of_the_objects_it_forgets(self) -> None:
        """An object inserted and rolled back leaves the unit of work, its state included."""
        repo = InMemoryRepository(Product)
        obj = repo.add(Product(sku="a"))
        repo.rollback()
        state = weakref.ref(sqlalchemy.inspect(obj))
        del obj
        gc.collect()
        assert state() is None

    def test_a_flush_leaves_values_equal_to_the_stored_ones_as_set(self) -> None:
        """No value set on the object is written back into it by the flush.

        A ``Session``'s flush does not reload an updated row: ``1.5`` stays ``1.5``, not the
        stored ``1.50`` (nor ``1.005`` the stored ``1.01``: the contract pins that).
        """
        repo = InMemoryRepository(Kind)
        kind = repo.add(Kind(tally=Decimal("1.25")))
        kind.tally = Decimal("1.5")
        repo.flush()
        assert str(kind.tally) == "1.5"

    def test_an_upsert_leaves_the_object_it_refreshes_clean(self) -> None:
        """A later flush does not visit it (a ``Session`` reloads it as unmodified).

        The change made before the upsert is flushed first (as the savepoint a
        ``Session`` opens for the upsert flushes it), then overwritten by the upsert.
        """
        repo = InMemoryRepository(Kind)
        kind = repo.add(Kind(flag=True))
        kind.flag = False
        repo.upsert({"id": kind.id, "flag": True}, conflict_on=["id"], update_fields=["flag"])
        assert kind.flag is True
        assert not repo._dirty._modified  # nothing left for a flush to visit
        repo.flush()
        repo.commit()
        stored = InMemoryRepository(Kind, database=repo.database).get(kind.id)
        assert stored is not None
        assert stored.flag is True


def test_a_rollback_undoes_a_change_not_flushed() -> None:
    """The changed object is refreshed from its committed row, and stays the one instance."""
    db = _stored(["s0", "s1"])
    repo = InMemoryRepository(Product, database=db)
    loaded = repo.get_by(sku="s0")
    loaded.name = "changed"
    repo.rollback()
    assert (loaded.name, repo.get_by(sku="s0") is loaded) == ("stored", True)
