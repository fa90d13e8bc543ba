"""Cases on single-table hierarchies whose subclasses map columns of their own.

The table holds every class's columns: a row of one class holds its column default (or
``NULL``) in the others'. A subclass's repository reads, filters, orders, upserts and
bulk-inserts on its own columns, whose unique and ``CHECK`` constraints hold for the
whole table; the base class's repository builds each row as its class and refuses a
subclass's field as an unknown one. A NOT NULL column of a subclass refuses every row
that leaves it empty, whatever its class, as PostgreSQL and SQLite do. Mixed into
``RepositoryContract``.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from serpens.errors import ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase, SharedUnitDatabase
from serpens_contract._repository_models_hierarchy import Car, Deposit, Savings, Truck, Vehicle
from serpens_contract.capabilities import requires


def _fleet(db: RepositoryDatabase) -> dict[str, int]:
    """One committed row of each class, written through the base's repository; keys by name."""
    vehicles: Any = db.repository(Vehicle)
    rows = [
        vehicles.add(Vehicle(name="v")),
        vehicles.add(Car(name="c1", seats=4, plate="P1", colour="red")),
        vehicles.add(Car(name="c2", seats=2, plate=None, colour=None)),
        vehicles.add(Truck(name="t", axles=3, wheels=10, load=None)),
    ]
    db.commit(vehicles)
    db.close_unit_of_work(vehicles)
    return {row.name: row.id for row in rows}


def _read(db: RepositoryDatabase, ident: int) -> Any:
    """The car *ident* read in a unit of work closed after (SQLite: no reader left open)."""
    cars: Any = db.repository(Car)
    car = cars.get(ident)
    db.close_unit_of_work(cars)
    return car


def _cars(rows: Any) -> list[tuple[str, int | None, str | None]]:
    return [(r.name, r.seats, r.plate) for r in rows]


class HierarchyColumnCases:
    """Cases on a hierarchy whose subclasses add columns (``Vehicle``, ``Car``, ``Truck``)."""

    def test_each_row_is_read_as_its_class_with_its_own_columns(
        self, db: RepositoryDatabase
    ) -> None:
        ids = _fleet(db)
        vehicles: Any = db.repository(Vehicle)
        assert [(type(r).__name__, r.kind, r.name) for r in vehicles.list()] == [
            ("Vehicle", "vehicle", "v"),
            ("Car", "car", "c1"),
            ("Car", "car", "c2"),
            ("Truck", "truck", "t"),
        ]
        assert (type(vehicles.get(ids["t"])), vehicles.count()) == (Truck, 4)
        cars: Any = db.repository(Car)
        car = cars.get(ids["c1"])
        assert (car.seats, car.plate, car.colour) == (4, "P1", "red")
        assert cars.get(ids["c2"]).colour == "grey"  # None is left to the default, as anywhere
        assert (cars.get(ids["t"]), cars.count()) == (None, 2)
        truck: Any = db.repository(Truck).get(ids["t"])
        assert (truck.axles, truck.wheels, truck.load) == (3, 10, 0)

    def test_defaults_fill_the_columns_a_write_leaves_out(self, db: RepositoryDatabase) -> None:
        cars: Any = db.repository(Car)
        car = cars.add(Car(name="c"))
        assert (car.seats, car.plate, car.colour) == (None, None, "grey")
        db.commit(cars)  # one writer at a time on SQLite
        trucks: Any = db.repository(Truck)
        assert trucks.bulk_insert([{"name": "t1"}]) == 1
        upserted = trucks.upsert({"name": "t2", "axles": 2}, conflict_on=["name"])
        assert (upserted.axles, upserted.wheels, upserted.load) == (2, 6, 0)
        db.commit(trucks)
        truck: Any = db.repository(Truck).get_by(name="t1")
        assert (truck.axles, truck.wheels, truck.load) == (None, 6, 0)

    def test_a_subclass_filters_and_orders_by_its_own_columns(self, db: RepositoryDatabase) -> None:
        ids = _fleet(db)
        cars: Any = db.repository(Car)
        assert _cars(cars.list(seats=4)) == [("c1", 4, "P1")]
        assert cars.get_by(plate="P1").id == ids["c1"]
        assert cars.get_by(plate="P9") is None
        assert (cars.count(plate=None), cars.exists(seats=2), cars.exists(seats=3)) == (
            1,
            True,
            False,
        )
        assert _cars(cars.list(order_by="seats")) == [("c2", 2, None), ("c1", 4, "P1")]
        assert _cars(cars.list(order_by="-plate")) == [("c2", 2, None), ("c1", 4, "P1")]
        page = cars.paginate(size=1, order_by="-seats")
        assert (_cars(page.items), page.total) == ([("c1", 4, "P1")], 2)
        trucks: Any = db.repository(Truck)
        assert trucks.bulk_insert([{"name": "t2", "wheels": 4}, {"name": "t3", "wheels": 8}]) == 2
        assert ([t.name for t in trucks.list(wheels=10)], trucks.count(axles=None)) == (["t"], 2)
        first = trucks.seek(limit=2, order_by="-wheels")  # a cursor over a subclass's column
        rest = trucks.seek(after=first.next_cursor, limit=5, order_by="-wheels")
        assert ([t.name for t in first.items], [t.name for t in rest.items]) == (
            ["t", "t3"],
            ["t2"],
        )

    def test_a_subclass_upserts_and_inserts_its_own_columns(self, db: RepositoryDatabase) -> None:
        ids = _fleet(db)
        cars: Any = db.repository(Car)
        row = cars.upsert(
            {"name": "c1-new", "plate": "P1", "seats": 5},
            conflict_on=["plate"],
            update_fields=["seats"],
        )
        assert (row.id, row.name, row.seats, row.colour) == (ids["c1"], "c1", 5, "red")
        new = cars.upsert({"name": "c3", "plate": "P3", "seats": 1}, conflict_on=["plate"])
        assert (type(new), new.kind, new.seats, new.colour) == (Car, "car", 1, "grey")
        assert cars.bulk_insert([{"name": "c4", "plate": "P4", "seats": 7}]) == 1
        rows = [{"name": "x", "plate": "P4", "seats": 8}, {"name": "c5", "plate": "P5", "seats": 9}]
        assert cars.upsert_many(rows, conflict_on=["plate"], update_fields=["seats"]) == 2
        db.commit(cars)
        again: Any = db.repository(Car)
        assert _cars(again.list(order_by="name")) == [
            ("c1", 5, "P1"),
            ("c2", 2, None),
            ("c3", 1, "P3"),
            ("c4", 8, "P4"),
            ("c5", 9, "P5"),
        ]
        car = again.get_by(name="c2")
        car.seats, car.plate = 3, "P2"
        again.flush()
        db.commit(again)
        assert _cars([_read(db, ids["c2"])]) == [("c2", 3, "P2")]
        # the base's upsert updates a car's base columns and keeps the car's own
        vehicles: Any = db.repository(Vehicle)
        moved = vehicles.upsert(
            {"id": ids["c1"], "name": "c9"}, conflict_on=["id"], update_fields=["name"]
        )
        assert (type(moved), moved.name) == (Car, "c9")
        db.commit(vehicles)
        assert _cars([_read(db, ids["c1"])]) == [("c9", 5, "P1")]

    def test_the_base_repository_writes_a_subclass_object_whole(
        self, db: RepositoryDatabase
    ) -> None:
        ids = _fleet(db)
        vehicles: Any = db.repository(Vehicle)
        car = vehicles.get(ids["c1"])
        car.seats = 7  # set, never read: an async session could not load it
        car.name = "c1b"
        vehicles.flush()
        added = vehicles.add(Truck(name="t2", axles=4, wheels=8, load=5))
        db.commit(vehicles)
        db.close_unit_of_work(vehicles)
        assert _cars([_read(db, ids["c1"])]) == [("c1b", 7, "P1")]
        trucks: Any = db.repository(Truck)
        truck = trucks.get(added.id)
        assert (truck.name, truck.axles, truck.wheels, truck.load) == ("t2", 4, 8, 5)

    def test_the_base_repository_refuses_a_subclass_field(self, db: RepositoryDatabase) -> None:
        _fleet(db)
        vehicles: Any = db.repository(Vehicle)
        with pytest.raises(ValidationError, match="unknown filter for Vehicle"):
            vehicles.list(seats=4)
        with pytest.raises(ValidationError, match="unknown filter for Vehicle"):
            vehicles.get_by(plate="P1")
        with pytest.raises(ValidationError, match="unknown filter for Vehicle"):
            vehicles.count(axles=3)
        with pytest.raises(ValidationError, match="unknown order_by field for Vehicle"):
            vehicles.list(order_by="seats")
        with pytest.raises(ValidationError, match="unknown value for Vehicle"):
            vehicles.upsert({"name": "x", "seats": 1}, conflict_on=["name"])
        with pytest.raises(ValidationError, match="unknown value for Vehicle"):
            vehicles.bulk_insert([{"name": "x", "kind": "car", "plate": "X"}])
        with pytest.raises(ValidationError, match="unknown conflict_on field for Vehicle"):
            vehicles.upsert({"name": "x"}, conflict_on=["plate"])
        trucks: Any = db.repository(Truck)  # a sibling's column is no column of a truck
        with pytest.raises(ValidationError, match="unknown filter for Truck"):
            trucks.list(seats=4)
        with pytest.raises(ValidationError, match="unknown value for Truck"):
            trucks.upsert_many([{"name": "x", "plate": "X"}], conflict_on=["name"])
        assert vehicles.count() == 4  # refused before any write

    def test_constraints_on_subclass_columns_hold_for_the_table(
        self, db: RepositoryDatabase
    ) -> None:
        _fleet(db)
        cars: Any = db.repository(Car)
        with pytest.raises(ConflictError):
            cars.bulk_insert([{"name": "c3", "plate": "P1"}])
        assert cars.bulk_insert([{"name": "c3", "plate": None}, {"name": "c4", "plate": None}]) == 2
        with pytest.raises(ConflictError):
            cars.upsert({"name": "c5", "plate": "P1"}, conflict_on=["name"])
        db.commit(cars)
        vehicles: Any = db.repository(Vehicle)
        with pytest.raises(ConflictError):
            vehicles.add(Car(name="c6", plate="P1"))
        db.rollback(vehicles)
        trucks: Any = db.repository(Truck)
        with pytest.raises(ValidationError):
            trucks.bulk_insert([{"name": "t2", "axles": 1}])
        with pytest.raises(ValidationError):
            trucks.upsert({"name": "t2", "wheels": None}, conflict_on=["name"])
        assert db.repository(Vehicle).count() == 6

    def test_a_subclass_not_null_column_refuses_other_classes_rows(
        self, db: RepositoryDatabase
    ) -> None:
        deposits: Any = db.repository(Deposit)
        with pytest.raises(ValidationError):
            deposits.bulk_insert([{"owner": "a"}])
        with pytest.raises(ValidationError):
            deposits.upsert({"id": 100, "owner": "a"}, conflict_on=["id"])
        with pytest.raises(ValidationError):
            deposits.add(Deposit(owner="a"))
        db.rollback(deposits)
        savings: Any = db.repository(Savings)
        with pytest.raises(ValidationError):
            savings.bulk_insert([{"owner": "b"}])
        assert savings.bulk_insert([{"owner": "b", "rate": 3}]) == 1
        kept = savings.add(Savings(owner="c", rate=4))
        db.commit(savings)
        everyone: Any = db.repository(Deposit)
        assert [(type(r), r.owner) for r in everyone.list()] == [(Savings, "b"), (Savings, "c")]
        saved: Any = db.repository(Savings).get(kept.id)
        assert saved.rate == 4

    @requires("shared_units_of_work")
    def test_one_unit_of_work_holds_one_object_per_row_with_its_columns(
        self, db: RepositoryDatabase
    ) -> None:
        ids = _fleet(db)
        vehicles, cars = cast("SharedUnitDatabase", db).repositories(Vehicle, Car)
        listed = {r.name: r for r in vehicles.list()}
        mine = {r.name: r for r in cars.list()}  # its own columns: loaded on the same objects
        assert mine["c1"] is listed["c1"]
        assert (listed["c1"].seats, listed["c1"].plate) == (4, "P1")
        added = vehicles.add(Car(name="c3", seats=6, plate="P3", colour="blue"))
        assert cars.get_by(plate="P3") is added
        assert cars.get(ids["v"]) is None
