"""Cases on the rows of a single-table hierarchy whose subclass adds columns: keys, versions.

``Parcel`` is keyed by text, versioned, and refers to a ``Product``; its subclass
``Courier`` adds a nullable integer, a foreign key to a ``Vehicle`` and a ``JSON`` list.
Whatever class writes a row, through whichever class's repository, the table's foreign
keys hold for it, a version set on the object is written as set, a column the write
leaves out stays ``NULL`` (the table generates no key), and a mutable value an object
loads is its own copy. Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from serpens.errors import ConflictError
from serpens_contract._repository_databases import RepositoryDatabase, SharedUnitDatabase
from serpens_contract._repository_models import Product
from serpens_contract._repository_models_hierarchy import Car, Courier, Parcel
from serpens_contract.capabilities import requires


def _referred(db: RepositoryDatabase) -> tuple[int, int]:
    """A committed product and a committed car: the ids a parcel may refer to."""
    products: Any = db.repository(Product)
    product = products.add(Product(sku="p")).id
    db.commit(products)
    cars: Any = db.repository(Car)
    car = cars.add(Car(name="c")).id
    db.commit(cars)
    return product, car


def _couriers(db: RepositoryDatabase) -> list[tuple[object, ...]]:
    """Every courier row as another unit of work reads it, by code."""
    theirs: Any = db.repository(Courier)
    rows: list[tuple[object, ...]] = [
        (c.code, c.product_id, c.vehicle_id, c.stops, c.route, c.version)
        for c in theirs.list(order_by="code")
    ]
    db.close_unit_of_work(theirs)
    return rows


class HierarchyRowCases:
    """Cases on ``Parcel`` and ``Courier`` rows: foreign keys, versions, keys, mutable values."""

    def test_foreign_keys_hold_for_every_class_of_the_hierarchy(
        self, db: RepositoryDatabase
    ) -> None:
        """A foreign key naming no row is a ``ConflictError``, on a base or a subclass column.

        PostgreSQL (23503) and SQLite (``PRAGMA foreign_keys=ON``) check the table's
        foreign keys on every row written to it, whatever class writes it and through
        whichever class's repository; a key to a row of another hierarchy (a car, a
        ``Vehicle``) is found in that hierarchy's one table.
        """
        product, car = _referred(db)
        gone, no_car = product + 1000, car + 1000
        writes: list[Callable[[Any], object]] = [
            lambda r: r.add(Courier(code="x1", product_id=gone)),
            lambda r: r.add(Courier(code="x2", vehicle_id=no_car)),
            lambda r: r.bulk_insert([{"code": "x3", "vehicle_id": no_car}]),
            lambda r: r.upsert({"code": "x4", "product_id": gone}, conflict_on=["code"]),
        ]
        for write in writes:
            couriers: Any = db.repository(Courier)
            with pytest.raises(ConflictError):
                write(couriers)
            db.rollback(couriers)
        for obj in (Parcel(code="y1", product_id=gone), Courier(code="y2", vehicle_id=no_car)):
            parcels: Any = db.repository(Parcel)
            with pytest.raises(ConflictError):
                parcels.add(obj)
            db.rollback(parcels)
        kept: Any = db.repository(Courier)
        kept.add(Courier(code="ok", product_id=product, vehicle_id=car))
        db.commit(kept)
        changed: Any = db.repository(Courier)
        changed.get_or_raise("ok").vehicle_id = no_car
        with pytest.raises(ConflictError):
            changed.flush()
        db.rollback(changed)
        assert _couriers(db) == [("ok", product, car, None, None, 1)]
        assert db.repository(Parcel).count() == 1

    def test_a_version_set_on_a_subclass_object_is_written_as_set(
        self, db: RepositoryDatabase
    ) -> None:
        """An update writes the counter's next version, or the one set on the object.

        A ``Session`` writes a version set on the object as set (``UPDATE ... SET version
        = <set> WHERE version = <read>``), through the subclass's repository or the base's.
        """
        couriers: Any = db.repository(Courier)
        obj = couriers.add(Courier(code="a", stops=1))
        assert obj.version == 1
        obj.stops = 2
        couriers.flush()
        assert obj.version == 2
        obj.stops, obj.version = 3, 9
        couriers.flush()
        assert obj.version == 9
        db.commit(couriers)
        parcels: Any = db.repository(Parcel)  # the base writes by the whole table's rules
        held = parcels.get_or_raise("a")
        held.stops, held.version = 4, 20  # set, never read: an async session could not load it
        parcels.flush()
        assert held.version == 20
        db.commit(parcels)
        assert _couriers(db) == [("a", None, None, 4, None, 20)]

    def test_a_subclass_column_left_out_stays_null_where_no_key_is_generated(
        self, db: RepositoryDatabase
    ) -> None:
        """A courier added through the base's repository without ``stops`` holds ``NULL``.

        The table is keyed by text: PostgreSQL and SQLite generate no value for any of its
        columns, a subclass's integer one included, so a column left out is ``NULL``.
        """
        parcels: Any = db.repository(Parcel)
        parcels.add(Courier(code="a"))  # a fake taking stops for the key generator fails this
        parcels.add(Courier(code="b", stops=5))
        parcels.bulk_insert([{"code": "p"}])
        db.commit(parcels)
        assert [(c, s) for c, _, _, s, _, _ in _couriers(db)] == [("a", None), ("b", 5)]

    @requires("shared_units_of_work")
    def test_a_json_value_filled_in_by_a_subclass_read_is_the_objects_own(
        self, db: RepositoryDatabase
    ) -> None:
        """A list a subclass read loads into an object a base read left without it is a copy.

        SQLAlchemy's plain ``JSON`` sees no in-place change (no ``MutableList``): the list
        changed in place is neither written by the commit nor seen by another unit of work.
        """
        couriers: Any = db.repository(Courier)
        couriers.add(Courier(code="a", route=["x"]))
        db.commit(couriers)
        db.close_unit_of_work(couriers)
        parcels, mine = cast("SharedUnitDatabase", db).repositories(Parcel, Courier)
        (parcel,) = parcels.list()
        assert mine.list() == [parcel]  # the base read left its route unloaded: loaded here
        assert parcel.route == ["x"]
        parcel.route.append("in place")
        assert mine.list()[0].route == ["x", "in place"]  # the one instance, as changed
        assert _couriers(db) == [("a", None, None, None, ["x"], 1)]
        db.commit(parcels)
        db.close_unit_of_work(parcels)
        assert _couriers(db) == [("a", None, None, None, ["x"], 1)]
