"""Custom ``version_id_generator`` cases of the Repository suite.

Every insert path stores the generator's first version and every object update its next
one, as a ``Session``'s flush makes them; an updating upsert, whose SQL cannot call a
Python generator per row, is refused by name before any write; a stale version is still a
conflict. A generator may be any callable, not only a function. With
``version_id_generator=False`` the application's versions are written as set, and a
committed update that left the version as it was makes no other unit's write stale.
Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

from serpens.errors import BackendTimeoutError, ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models_versions import Ledger, Revision, Tally, Ticket
from serpens_contract.capabilities import requires

WAIT_S = 0.5
"""How long a unit of work gets to finish a write before the one holding the row commits."""

_TAG = re.compile(r"[0-9a-f]{32}")
"""A :func:`~serpens_contract._repository_models_versions.new_tag` version."""


class VersionGeneratorCases:
    """Cases on models whose ``version_id_col`` has a custom ``version_id_generator``."""

    def test_every_insert_path_stores_the_generators_first_version(
        self, db: RepositoryDatabase
    ) -> None:
        """``add`` and ``bulk_add`` write it over the object's own (as a ``Session``)."""
        tallies: Any = db.repository(Tally)
        added = tallies.add(Tally(code="a", version=5))
        both = tallies.bulk_add([Tally(code="b"), Tally(code="c")])
        assert tallies.bulk_insert([{"code": "d"}, {"code": "e"}]) == 2
        upserted = tallies.upsert({"code": "f"}, conflict_on=["code"])
        assert tallies.upsert_many([{"code": "g"}, {"code": "h"}], conflict_on=["code"]) == 2
        assert (added.version, [t.version for t in both], upserted.version) == (10, [10, 10], 10)
        db.commit(tallies)
        stored = db.repository(Tally).list(order_by="code")
        assert [(t.code, t.version) for t in stored] == [(c, 10) for c in "abcdefgh"]

    def test_a_row_dicts_given_version_is_written_as_given(self, db: RepositoryDatabase) -> None:
        tallies: Any = db.repository(Tally)
        tallies.bulk_insert([{"code": "a", "version": 3}])
        tallies.upsert({"code": "b", "version": 4}, conflict_on=["code"])
        assert [t.version for t in tallies.list(order_by="code")] == [3, 4]

    def test_a_string_generator_versions_each_row_and_each_update(
        self, db: RepositoryDatabase
    ) -> None:
        tickets: Any = db.repository(Ticket)
        obj = tickets.add(Ticket(code="a"))
        tickets.bulk_add([Ticket(code="b")])
        tickets.bulk_insert([{"code": "c"}, {"code": "d"}])
        tickets.upsert({"code": "e"}, conflict_on=["code"])
        tickets.upsert_many([{"code": "f"}], conflict_on=["code"])
        first = obj.version
        obj.name = "x"
        tickets.flush()
        assert _TAG.fullmatch(obj.version)
        assert obj.version != first
        db.commit(tickets)
        stored = db.repository(Ticket).list(order_by="code")
        versions = [t.version for t in stored]
        assert all(_TAG.fullmatch(v) for v in versions), versions
        assert len(set(versions)) == 6  # one call per row
        assert stored[0].version == obj.version

    def test_an_update_stores_the_generators_next_version_or_the_one_set(
        self, db: RepositoryDatabase
    ) -> None:
        tallies: Any = db.repository(Tally)
        obj = tallies.add(Tally(code="a"))
        obj.name = "x"
        tallies.flush()
        assert obj.version == 20
        obj.name = "y"
        obj.version = 99  # a Session writes a version set on the object as set
        tallies.flush()
        assert obj.version == 99
        db.commit(tallies)
        assert db.repository(Tally).get_or_raise(obj.id).version == 99

    @pytest.mark.parametrize("model", [Ticket, Tally], ids=["string", "integer"])
    def test_an_updating_upsert_is_refused_by_name_before_any_write(
        self, db: RepositoryDatabase, model: type[Any]
    ) -> None:
        repo: Any = db.repository(model)
        repo.add(model(code="a", name="x"))
        for values in ({"code": "a", "name": "y"}, {"code": "b", "name": "y"}):
            with pytest.raises(ValidationError) as caught:
                repo.upsert(values, conflict_on=["code"], update_fields=["name"])
            assert [e.path for e in caught.value.errors] == ["update_fields"]
            assert "version_id_generator" in caught.value.errors[0].message
            with pytest.raises(ValidationError) as many:
                repo.upsert_many([values], conflict_on=["code"], update_fields=["name"])
            assert [e.path for e in many.value.errors] == ["update_fields"]
        assert repo.upsert({"code": "a", "name": "y"}, conflict_on=["code"], update_fields=[])
        db.commit(repo)
        stored = db.repository(model).list(order_by="code")
        assert [(r.code, r.name) for r in stored] == [("a", "x")]

    def test_a_stale_custom_version_is_a_conflict(self, db: RepositoryDatabase) -> None:
        mine: Any = db.repository(Ticket)
        obj = mine.add(Ticket(code="a", name="x"))
        db.commit(mine)
        theirs: Any = db.repository(Ticket)
        theirs.get_or_raise(obj.id).name = "theirs"
        theirs.flush()
        db.commit(theirs)
        obj.name = "mine"
        with pytest.raises(ConflictError):
            mine.flush()

    def test_a_generator_that_is_no_function_versions_each_row_and_each_update(
        self, db: RepositoryDatabase
    ) -> None:
        """A bound method of a built-in (no ``__code__``, no ``__module__``) makes the versions.

        A ``Session`` calls any ``version_id_generator`` it is given: ``generator(None)``
        for a new row, ``generator(current)`` for an update; it is no counter, so an
        updating upsert is refused as for any custom generator.
        """
        revisions: Any = db.repository(Revision)
        obj = revisions.add(Revision(code="a"))
        assert revisions.bulk_insert([{"code": "b"}]) == 1
        assert obj.version == "None+"
        obj.name = "x"
        revisions.flush()
        assert obj.version == "None++"
        with pytest.raises(ValidationError):
            revisions.upsert(
                {"code": "b", "name": "y"}, conflict_on=["code"], update_fields=["name"]
            )
        db.commit(revisions)
        stored = db.repository(Revision).list(order_by="code")
        assert [(r.code, r.name, r.version) for r in stored] == [
            ("a", "x", "None++"),
            ("b", None, "None+"),
        ]

    # -- version_id_generator=False ------------------------------------------------------
    def test_application_versions_are_written_as_set(self, db: RepositoryDatabase) -> None:
        """No version is made: an update keeps the one read unless the object sets another."""
        ledgers: Any = db.repository(Ledger)
        obj = ledgers.add(Ledger(code="a", version=1))
        ledgers.bulk_insert([{"code": "b", "version": 5}])
        ledgers.upsert({"code": "c", "version": 7}, conflict_on=["code"])
        obj.name = "x"
        ledgers.flush()
        assert obj.version == 1
        obj.version = 2
        ledgers.flush()
        assert obj.version == 2
        kept = {"code": "b", "name": "y", "version": 6}
        assert ledgers.upsert(kept, conflict_on=["code"], update_fields=["name"]).version == 5
        both = {"code": "c", "name": "z", "version": 8}
        assert ledgers.upsert(both, conflict_on=["code"], update_fields=["name", "version"])
        db.commit(ledgers)
        stored = db.repository(Ledger).list(order_by="code")
        assert [(r.code, r.name, r.version) for r in stored] == [
            ("a", "x", 2),
            ("b", "y", 5),
            ("c", "z", 8),
        ]

    def test_application_versions_must_be_given(self, db: RepositoryDatabase) -> None:
        ledgers: Any = db.repository(Ledger)
        with pytest.raises(ValidationError):
            ledgers.add(Ledger(code="a"))
        with pytest.raises(ValidationError):
            ledgers.bulk_insert([{"code": "b"}])
        assert ledgers.count() == 0

    def test_a_stale_application_version_is_a_conflict(self, db: RepositoryDatabase) -> None:
        mine: Any = db.repository(Ledger)
        obj = mine.add(Ledger(code="a", name="x", version=1))
        db.commit(mine)
        theirs: Any = db.repository(Ledger)
        other = theirs.get_or_raise(obj.id)
        other.version = 2
        theirs.flush()
        db.commit(theirs)
        obj.name = "mine"
        with pytest.raises(ConflictError):
            mine.flush()

    @requires("threads")
    def test_an_update_keeping_an_application_version_makes_no_other_write_stale(
        self, db: RepositoryDatabase
    ) -> None:
        """Two units of work update other columns of one row at once: both changes are stored.

        With ``version_id_generator=False`` an update that sets no version leaves it as it
        was, so the other unit's ``UPDATE ... WHERE version = <read>`` still finds the
        row: on PostgreSQL it waits for the row lock of the unit that flushed first, then
        writes once that one committed. The first committer's row is never lost; the
        other's change is stored beside it, unless the database gives up waiting for the
        lock (SQLite locks the whole database while one unit holds a write).
        """
        setup: Any = db.repository(Ledger)
        row_id = setup.add(Ledger(code="a", name="n", version=1)).id
        db.commit(setup)
        db.close_unit_of_work(setup)
        first: Any = db.repository(Ledger)
        other: Any = db.repository(Ledger)
        theirs = other.get_or_raise(row_id)  # read before the first unit's write
        first.get_or_raise(row_id).name = "first"
        first.flush()
        raised: list[Exception] = []

        def write_other() -> None:
            try:
                theirs.code = "b"
                other.flush()  # waits for the first unit's row lock where there is one
                db.commit(other)
            except Exception as exc:  # noqa: BLE001 - reported by the test thread
                raised.append(exc)

        thread = threading.Thread(target=write_other)
        thread.start()
        thread.join(WAIT_S)  # an implementation without row locks is done by now
        try:
            db.commit(first)
        finally:
            thread.join()
            db.close_unit_of_work(first)
            db.close_unit_of_work(other)
        stored = db.repository(Ledger).get_or_raise(row_id)
        if raised:
            assert [type(e) for e in raised] == [BackendTimeoutError], raised
            assert (stored.code, stored.name, stored.version) == ("a", "first", 1)
        else:
            assert (stored.code, stored.name, stored.version) == ("b", "first", 1)
