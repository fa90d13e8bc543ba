"""Single-table inheritance cases of the Repository suite.

A repository of the hierarchy's base sees every row, each built as the class its
discriminator names; a subclass's repository sees only its class's rows and its
subclasses', in every read (``get``, ``get_by``, ``exists``, ``count``, ``list``,
``paginate`` and its total, ``seek``). Writes store the repository's class's identity,
refuse another class's, and an upsert whose conflicting row is another class's raises
``ConflictError`` and changes nothing. Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from serpens.errors import ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase, SharedUnitDatabase
from serpens_contract._repository_models_inheritance import Director, Manager, Staff
from serpens_contract.capabilities import requires


def _hierarchy(db: RepositoryDatabase) -> dict[str, int]:
    """One committed row of each class; their keys by name."""
    staff: Any = db.repository(Staff)
    rows = [staff.add(Staff(name="s")), staff.add(Manager(name="m")), staff.add(Director(name="d"))]
    db.commit(staff)
    db.close_unit_of_work(staff)
    return {row.name: row.id for row in rows}


def _kinds(rows: Any) -> list[tuple[str, str, str]]:
    return [(type(r).__name__, r.kind, r.name) for r in rows]


class InheritanceCases:
    """Cases on repositories of the classes of one single-table hierarchy."""

    def test_the_base_repository_builds_each_row_as_its_class(self, db: RepositoryDatabase) -> None:
        ids = _hierarchy(db)
        staff: Any = db.repository(Staff)
        assert _kinds(staff.list()) == [
            ("Staff", "staff", "s"),
            ("Manager", "manager", "m"),
            ("Director", "director", "d"),
        ]
        assert type(staff.get(ids["m"])) is Manager
        assert type(staff.get_by(name="d")) is Director
        assert (staff.count(), staff.paginate(size=2).total) == (3, 3)
        assert [r.name for r in staff.seek(limit=5).items] == ["s", "m", "d"]

    def test_a_subclass_repository_reads_only_its_rows(self, db: RepositoryDatabase) -> None:
        ids = _hierarchy(db)
        managers: Any = db.repository(Manager)
        assert _kinds(managers.list()) == [
            ("Manager", "manager", "m"),
            ("Director", "director", "d"),
        ]
        assert managers.get(ids["s"]) is None
        assert managers.get_by(name="s") is None
        assert type(managers.get(ids["d"])) is Director
        assert (managers.count(), managers.count(name="s")) == (2, 0)
        assert (managers.exists(name="s"), managers.exists(name="d")) == (False, True)
        page = managers.paginate(size=1)
        assert ([r.name for r in page.items], page.total) == (["m"], 2)
        first = managers.seek(limit=1)
        assert [r.name for r in first.items] == ["m"]
        rest = managers.seek(after=first.next_cursor, limit=5)
        assert ([r.name for r in rest.items], rest.next_cursor) == (["d"], None)
        assert [r.name for r in managers.list(order_by="-name", limit=1, offset=1)] == ["d"]
        directors: Any = db.repository(Director)
        assert (directors.count(), directors.get(ids["m"])) == (1, None)
        assert [r.name for r in directors.paginate().items] == ["d"]

    def test_writes_store_the_repository_class_identity(self, db: RepositoryDatabase) -> None:
        managers: Any = db.repository(Manager)
        row = managers.upsert({"name": "u"}, conflict_on=["name"])
        assert (type(row), row.kind) == (Manager, "manager")
        assert managers.bulk_insert([{"name": "b"}]) == 1
        assert managers.upsert_many([{"name": "c"}], conflict_on=["name"]) == 1
        assert managers.bulk_insert([{"name": "e", "kind": "director"}]) == 1
        db.commit(managers)
        staff: Any = db.repository(Staff)
        assert _kinds(staff.list(order_by="name")) == [
            ("Manager", "manager", "b"),
            ("Manager", "manager", "c"),
            ("Director", "director", "e"),
            ("Manager", "manager", "u"),
        ]
        assert staff.bulk_insert([{"name": "f"}]) == 1
        assert staff.upsert({"name": "g", "kind": "director"}, conflict_on=["name"]).kind == (
            "director"
        )
        assert (staff.get_by(name="f").kind, type(staff.get_by(name="g"))) == ("staff", Director)

    def test_an_upsert_on_another_class_row_raises_conflict_and_changes_nothing(
        self, db: RepositoryDatabase
    ) -> None:
        ids = _hierarchy(db)
        managers: Any = db.repository(Manager)
        with pytest.raises(ConflictError):
            managers.upsert({"name": "s"}, conflict_on=["name"])
        with pytest.raises(ConflictError):
            managers.upsert(
                {"id": ids["s"], "name": "z"}, conflict_on=["id"], update_fields=["name"]
            )
        with pytest.raises(ConflictError):
            managers.upsert_many(
                [{"name": "n"}, {"name": "s"}], conflict_on=["name"], update_fields=["name"]
            )
        assert managers.count() == 2  # the unit of work is still usable: nothing was written
        mine = managers.upsert({"name": "m"}, conflict_on=["name"])  # its own row: fine
        assert (type(mine), mine.id) == (Manager, ids["m"])
        db.commit(managers)
        staff: Any = db.repository(Staff)
        assert _kinds(staff.list()) == [
            ("Staff", "staff", "s"),
            ("Manager", "manager", "m"),
            ("Director", "director", "d"),
        ]
        # the base's repository sees every row: its upsert updates a subclass's row
        row = staff.upsert({"name": "d"}, conflict_on=["name"])
        assert (type(row), row.kind, row.id) == (Director, "director", ids["d"])

    def test_a_write_naming_another_class_or_changing_one_is_refused(
        self, db: RepositoryDatabase
    ) -> None:
        managers: Any = db.repository(Manager)
        with pytest.raises(ValidationError):
            managers.bulk_insert([{"name": "x", "kind": "staff"}])
        with pytest.raises(ValidationError):
            managers.upsert({"name": "x", "kind": "staff"}, conflict_on=["name"])
        with pytest.raises(ValidationError):
            managers.upsert_many([{"name": "x", "kind": "nobody"}], conflict_on=["name"])
        staff: Any = db.repository(Staff)
        with pytest.raises(ValidationError):
            staff.upsert(
                {"name": "x", "kind": "manager"}, conflict_on=["name"], update_fields=["kind"]
            )
        assert (managers.count(), staff.count()) == (0, 0)

    @requires("shared_units_of_work")
    def test_one_unit_of_work_holds_one_object_per_row_of_the_hierarchy(
        self, db: RepositoryDatabase
    ) -> None:
        staff, managers = cast("SharedUnitDatabase", db).repositories(Staff, Manager)
        boss = managers.add(Manager(name="m"))
        clerk = staff.add(Staff(name="s"))
        assert staff.get(boss.id) is boss
        assert managers.get(clerk.id) is None
        assert staff.get_by(name="m") is boss
        assert [r.name for r in managers.list()] == ["m"]
        assert (staff.count(), managers.count()) == (2, 1)
