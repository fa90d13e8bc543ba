"""Reads of attributes a ``Session`` leaves unloaded, cases of the Repository suite.

A ``Session``'s rollback expires every object it holds, and a read through a
single-table hierarchy's base class selects the base's columns only, leaving a
subclass's own unloaded. Reading such an attribute loads it: a sync session runs that
load, an async one cannot (no IO outside an ``await``) and SQLAlchemy raises
``MissingGreenlet``, the error itself or, on aiosqlite, as the cause of a
``StatementError``. Read through the repository again (``get``, ``list``; the subclass's
repository for its columns), the object answers on every backend; a value set on it
meanwhile is written by the next commit, and the columns not set keep their stored
values (no NULL written anywhere). A rollback with no transaction in progress expires
nothing. Once the unit of work is closed, an expired column cannot be loaded
(``DetachedInstanceError``), and after a failed flush its load is refused
(``PendingRollbackError``), on a sync session and an async one alike. An async cell is
one whose repositories the database drives through :class:`~serpens_contract.SyncDriver`.
Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import exc
from sqlalchemy.orm import exc as orm_exc

from serpens.errors import ConflictError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Kind, Product
from serpens_contract._repository_models_hierarchy import Car, Vehicle
from serpens_contract.capabilities import requires
from serpens_contract.runner import SyncDriver


def _on_async(repository: object) -> bool:
    """Whether *repository* is an async one, driven through :class:`SyncDriver`."""
    return isinstance(repository, SyncDriver)


def _missing_greenlet(read: Callable[[], object]) -> None:
    """*read* raises ``MissingGreenlet`` (itself, or as a ``StatementError``'s cause)."""
    with pytest.raises(exc.SQLAlchemyError) as caught:
        read()
    error = caught.value
    cause = getattr(error, "orig", None)
    assert isinstance(error, exc.MissingGreenlet) or isinstance(cause, exc.MissingGreenlet), error


def _detached(read: Callable[[], object]) -> None:
    """*read* raises ``DetachedInstanceError``: a load an object out of its session needs."""
    message = r"^Instance <\w+ at 0x[0-9a-f]+> is not bound to a Session; attribute refresh "
    with pytest.raises(orm_exc.DetachedInstanceError, match=message + "operation cannot proceed"):
        read()


@contextlib.contextmanager
def _failed_loads(db: RepositoryDatabase) -> Iterator[None]:
    """Close *db*'s units of work at the end and collect what failed loads left behind.

    Their garbage is collected here, where its warnings are expected: coroutines
    aiosqlite never awaited (``RuntimeWarning``), connections asyncpg's pool dropped
    unclosed when a checkout failed (``ResourceWarning``). Error logs are off meanwhile:
    the record of a pool's failed reset would hold that garbage past the test.
    """
    level = logging.root.manager.disable
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        warnings.simplefilter("ignore", ResourceWarning)
        logging.disable(logging.ERROR)  # a pool's record of its failed reset keeps the garbage
        try:
            yield
        finally:
            db.close()
            gc.collect()
            logging.disable(level)


def _committed(db: RepositoryDatabase, *skus: str) -> None:
    setup: Any = db.repository(Product)
    setup.bulk_add([Product(sku=sku, name=f"{sku}-name", price=10, stock=3) for sku in skus])
    db.commit(setup)
    db.close_unit_of_work(setup)


def _stored(db: RepositoryDatabase) -> list[tuple[object, ...]]:
    theirs: Any = db.repository(Product)
    rows: list[tuple[object, ...]] = [
        (p.sku, p.name, p.price, p.stock, p.version) for p in theirs.list(order_by="sku")
    ]
    db.close_unit_of_work(theirs)
    return rows


class UnloadedReadCases:
    """Cases on unloaded attributes: reads, reads again, values set on them."""

    def test_an_attribute_read_after_a_rollback_loads_on_sync_and_raises_on_async(
        self, db: RepositoryDatabase
    ) -> None:
        """A sync session loads the committed row; an async one raises ``MissingGreenlet``.

        Every column of the object, its key and version included, changed or not.
        """
        with _failed_loads(db):
            _committed(db, "a")
            mine: Any = db.repository(Product)
            product = mine.get_by(sku="a")
            product.name = "changed"
            mine.flush()
            db.rollback(mine)
            if _on_async(mine):
                for key in ("name", "price", "stock", "id", "version"):
                    _missing_greenlet(functools.partial(getattr, product, key))
                # still unloaded: a failed load loads nothing
                _missing_greenlet(lambda: product.name)
            else:
                assert (product.name, product.price, product.stock) == ("a-name", 10, 3)
            assert mine.get_by(sku="a") is product  # read again: loaded on every backend
            assert (product.name, product.price, product.version) == ("a-name", 10, 1)

    def test_objects_read_again_after_a_rollback_answer_on_every_backend(
        self, db: RepositoryDatabase
    ) -> None:
        """``list`` and ``get`` load the expired objects they return: the row as it is then."""
        _committed(db, "a", "b", "c")
        mine: Any = db.repository(Product)
        a, b, c = mine.list(order_by="sku")
        ids = (a.id, b.id, c.id)  # read before the rollback: an async session loads nothing
        b.price = 99  # a change the rollback takes back
        mine.flush()
        db.rollback(mine)
        theirs: Any = db.repository(Product)
        theirs.get(ids[2]).name = "theirs"  # committed while mine's objects are expired
        db.commit(theirs)
        assert list(mine.list(order_by="sku", sku="b")) == [b]
        assert (b.id, b.name, b.price, b.version) == (ids[1], "b-name", 10, 1)
        assert mine.get(ids[2]) is c
        assert (c.name, c.price, c.version) == ("theirs", 10, 2)
        assert mine.get(ids[0]) is a
        assert (a.sku, a.name, a.price, a.stock) == ("a", "a-name", 10, 3)

    def test_an_object_listed_again_after_a_rollback_is_loaded_once(
        self, db: RepositoryDatabase
    ) -> None:
        """The read that loads an expired object leaves it loaded: the next read keeps it.

        A ``Session`` refreshes an expired object from the row a query returns, and after
        that the identity map's object answers queries as it is: a list changed in place
        (plain ``JSON`` sees no such change) stays changed, and is never written.
        """
        kinds: Any = db.repository(Kind)
        ident = kinds.add(Kind(tags=["a"])).id
        db.commit(kinds)
        db.close_unit_of_work(kinds)
        mine: Any = db.repository(Kind)
        (kind,) = mine.list()
        kind.tags = ["b"]
        mine.flush()
        db.rollback(mine)
        assert mine.list() == [kind]  # loaded again, from the row as it is
        assert kind.tags == ["a"]
        kind.tags.append("in place")
        assert mine.list() == [kind]
        assert kind.tags == ["a", "in place"]  # loaded already: the object as it is
        db.commit(mine)
        assert db.repository(Kind).get_or_raise(ident).tags == ["a"]

    def test_a_value_set_after_a_rollback_is_written_and_nothing_else_changes(
        self, db: RepositoryDatabase
    ) -> None:
        """A set needs no load: the commit writes it, the columns not set keep their values.

        The object answers after the flush that wrote it; an expired object added again is
        the one the unit of work holds (nothing inserted), and one neither set nor read
        again writes nothing and stays unloaded on an async session.
        """
        with _failed_loads(db):
            _committed(db, "a", "b", "c")
            mine: Any = db.repository(Product)
            a, b, c = mine.list(order_by="sku")
            db.rollback(mine)
            a.price = 5  # set, never read: no load needed
            b.name = "renamed"
            assert mine.add(b) is b  # held already: added again, nothing new
            mine.add(Product(sku="d", name="d-name", price=1))  # flushes a and b first
            db.commit(mine)
            assert (a.sku, a.name, a.price, a.stock, a.version) == ("a", "a-name", 5, 3, 2)
            assert (b.sku, b.name, b.price, b.stock, b.version) == ("b", "renamed", 10, 3, 2)
            if _on_async(mine):
                _missing_greenlet(lambda: c.name)
            else:
                assert c.name == "c-name"
            assert _stored(db) == [
                ("a", "a-name", 5, 3, 2),
                ("b", "renamed", 10, 3, 2),
                ("c", "c-name", 10, 3, 1),
                ("d", "d-name", 1, 0, 1),
            ]
            assert mine.get_by(sku="c") is c
            assert (c.name, c.price, c.version) == ("c-name", 10, 1)

    def test_a_rollback_with_no_transaction_in_progress_expires_nothing(
        self, db: RepositoryDatabase
    ) -> None:
        """After a commit, a rollback before any statement or change is a pass-through.

        A ``get`` the identity map answers runs no statement; a change to an object begins
        the transaction a ``Session`` begins at its first statement, which the next rollback
        then ends, expiring the objects.
        """
        with _failed_loads(db):
            mine: Any = db.repository(Product)
            product = mine.add(Product(sku="a", name="n"))
            ident = product.id
            db.commit(mine)
            assert mine.get(ident) is product  # from the identity map: no statement
            db.rollback(mine)
            assert (product.sku, product.name, product.version) == ("a", "n", 1)
            product.name = "changed"  # begins the transaction
            db.rollback(mine)
            if _on_async(mine):
                _missing_greenlet(lambda: product.name)
            else:
                assert product.name == "n"
            assert mine.get(ident) is product
            assert (product.sku, product.name, product.version) == ("a", "n", 1)

    def test_a_pass_through_rollback_leaves_the_objects_as_they_are(
        self, db: RepositoryDatabase
    ) -> None:
        """A rollback with no transaction in progress refreshes nothing on a later read.

        It expires nothing, so a read that returns an object the identity map holds keeps
        the object as it is, as a ``Session`` does for every object not expired: another
        unit of work's commit since, which the read's query does see, does not show.
        """
        with _failed_loads(db):
            mine: Any = db.repository(Product)
            product = mine.add(Product(sku="a", name="n"))
            ident = product.id
            db.commit(mine)
            db.rollback(mine)  # after a commit, before any statement: a pass-through
            theirs: Any = db.repository(Product)
            theirs.get(ident).name = "theirs"
            db.commit(theirs)
            db.close_unit_of_work(theirs)
            assert mine.list() == [product]
            assert mine.get_by(sku="a") is product
            assert (product.name, product.version) == ("n", 1)
            assert mine.count(name="theirs") == 1  # the query saw the commit

    def test_what_a_rollback_expired_is_refused_once_the_unit_is_closed(
        self, db: RepositoryDatabase
    ) -> None:
        """An expired column read after ``close()`` raises ``DetachedInstanceError``.

        ``close()`` detaches the objects as they are; loading an expired column needs the
        session, so SQLAlchemy refuses the read (an async session too: the refusal comes
        before any IO). What was loaded again before the close (a sync session's read of
        an attribute) or set since the rollback stays readable.
        """
        with _failed_loads(db):
            _committed(db, "a", "b")
            mine: Any = db.repository(Product)
            a, b = mine.list(order_by="sku")
            db.rollback(mine)  # the list began a transaction: both are expired
            if not _on_async(mine):
                assert a.name == "a-name"  # a sync session loads the row on access
            b.price = 5  # set: not loaded
            db.close_unit_of_work(mine)
            if _on_async(mine):
                _detached(lambda: a.name)
            else:
                assert (a.name, a.price, a.version) == ("a-name", 10, 1)
            assert b.price == 5
            for key in ("name", "stock", "id", "version"):
                _detached(functools.partial(getattr, b, key))
            _detached(lambda: b.name)  # still: a refused load loads nothing

    def test_an_expired_column_read_after_a_failed_flush_is_refused(
        self, db: RepositoryDatabase
    ) -> None:
        """SQLAlchemy's ``PendingRollbackError``: a load is a statement of a failed unit.

        A ``Session`` whose flush failed refuses every statement until ``rollback()``,
        the load of an expired column too (an ``AsyncSession`` as well: it refuses before
        any IO). The port's calls raise ``ConflictError`` there; an attribute read is no
        port call and raises SQLAlchemy's own error.
        """
        with _failed_loads(db):
            _committed(db, "a")
            mine: Any = db.repository(Product)
            a = mine.get_by(sku="a")
            db.rollback(mine)
            mine.add(Product(sku="b"))
            mine.add(Product(sku="b"), flush=False)
            with pytest.raises(ConflictError):
                mine.flush()
            refused = r"(?s)first issue Session\.rollback\(\)\..*7s2a"  # SQLAlchemy's code
            with pytest.raises(exc.PendingRollbackError, match=refused):
                a.name  # noqa: B018
            db.rollback(mine)
            assert mine.get_by(sku="a") is a
            assert (a.sku, a.name, a.version) == ("a", "a-name", 1)

    def test_a_subclass_column_read_through_the_base_repository_is_unloaded(
        self, db: RepositoryDatabase
    ) -> None:
        """A sync session loads it on access, an async one raises ``MissingGreenlet``.

        The base class's columns answer; a value set on the subclass's column without
        reading it is written by the commit, and its other columns keep their values.
        """
        with _failed_loads(db):
            cars: Any = db.repository(Car)
            ident = cars.add(Car(name="c", seats=4, plate="P1")).id
            db.commit(cars)
            db.close_unit_of_work(cars)
            vehicles: Any = db.repository(Vehicle)
            (car,) = vehicles.list()
            assert (type(car), car.id, car.kind, car.name) == (Car, ident, "car", "c")
            if _on_async(vehicles):
                for key in ("seats", "plate", "colour"):
                    _missing_greenlet(functools.partial(getattr, car, key))
            else:
                assert (car.seats, car.plate, car.colour) == (4, "P1", "grey")
            car.seats = 5  # set, never read: no load needed
            db.commit(vehicles)
            assert car.seats == 5
            theirs: Any = db.repository(Car)
            stored = theirs.get(ident)
            assert (stored.name, stored.seats, stored.plate, stored.colour) == (
                "c",
                5,
                "P1",
                "grey",
            )

    @requires("shared_units_of_work")
    def test_the_subclass_repository_fills_in_the_columns_a_base_read_left_unloaded(
        self, db: RepositoryDatabase
    ) -> None:
        """In one unit of work, a read through the subclass's repository loads its columns."""
        with _failed_loads(db):
            cars: Any = db.repository(Car)
            ident = cars.add(Car(name="c", seats=4, plate="P1")).id
            db.commit(cars)
            db.close_unit_of_work(cars)
            shared: Any = db  # a SharedUnitDatabase, as the capability says
            vehicles, mine = shared.repositories(Vehicle, Car)
            (car,) = vehicles.list()
            assert mine.list() == [car]
            assert (car.id, car.seats, car.plate, car.colour) == (ident, 4, "P1", "grey")
