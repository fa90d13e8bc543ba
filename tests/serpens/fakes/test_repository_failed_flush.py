"""A failed flush and expired objects on the fake, where only the fake can show them.

A ``Session`` warns (``SAWarning``) when an object is changed after its flush failed, and
loads an expired attribute on access, which the fake cannot do. The contract cases of
``serpens_contract.repository`` hold what every backend does; these hold the rest.
"""

from __future__ import annotations

import pytest

from serpens.errors import ConflictError, ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository, InMemorySession
from serpens_contract.repository import Kind, Product
from tests.serpens.fakes.test_repository_units_of_work import _stored


class TestInMemoryFailedFlushAndExpiry:
    """What only the fake shows of a failed flush and of expired objects."""

    def test_a_failed_unit_flushes_nothing_and_refuses_a_change(self) -> None:
        repo = InMemoryRepository(Product, database=_stored(["s0"]))
        loaded = repo.get_by(sku="s0")
        repo.add(Product(sku="s0"), flush=False)
        with pytest.raises(ConflictError):
            repo.flush()
        repo.flush()  # nothing to write: a failed Session's flush asks nothing either
        loaded.name = "changed"
        with pytest.raises(ConflictError, match="rolled back"):
            repo.flush()
        repo.rollback()
        assert (repo.get_by(sku="s0") is loaded, loaded.name) == (True, "stored")

    def test_a_rollback_refreshes_every_object_after_one_it_forgets(self) -> None:
        """An object added in the unit of work comes first; the loaded one after it too."""
        repo = InMemoryRepository(Product, database=_stored(["s0"]))
        repo.add(Product(sku="new"))
        loaded = repo.get_by(sku="s0")
        loaded.name = "changed"
        repo.flush()
        repo.rollback()
        assert loaded.name == "stored"  # read straight, without a query that reloads it

    def test_an_expired_objects_mutable_value_is_loaded_as_a_copy(self) -> None:
        db = InMemoryDatabase()
        repo = InMemoryRepository(Kind, database=db)
        kind = repo.add(Kind(tags=["a"]))
        ident = kind.id  # read before the rollback: reading it after would load the row
        repo.commit()
        assert repo.count() == 1  # a statement: the rollback ends a transaction, expiring
        repo.rollback()
        repo.upsert_many([{"id": ident, "tags": ["b"]}], conflict_on=["id"], update_fields=["tags"])
        assert repo.get(ident) is kind
        assert kind.tags == ["b"]
        kind.tags.append("z")  # changed in place, not flagged: nothing is written
        repo.commit()
        stored = InMemoryRepository(Kind, database=db).get(kind.id)
        assert stored is not None
        assert stored.tags == ["b"]

    def test_an_expired_object_an_upsert_refreshes_is_no_longer_expired(self) -> None:
        """Loaded whole by the upsert: a later write does not show in it, as in a Session."""
        repo = InMemoryRepository(Product, database=_stored(["s0"]))
        loaded = repo.get_by(sku="s0")
        repo.rollback()
        again = repo.upsert({"sku": "s0", "price": 1}, conflict_on=["sku"], update_fields=["price"])
        repo.upsert_many([{"sku": "s0", "price": 2}], conflict_on=["sku"], update_fields=["price"])
        assert (again is loaded, repo.get_by(sku="s0") is loaded, loaded.price) == (True, True, 1)

    @pytest.mark.parametrize("shared", [False, True])
    def test_a_commit_flushes_unchecked_and_any_refusal_fails_the_unit(self, shared: bool) -> None:
        """A wrong-typed value refused at the commit fails the unit of work, as on asyncpg.

        ``session.commit()`` flushes without the adapters' check first: asyncpg refuses the
        value and the session must be rolled back (psycopg2 lets the server cast ``"12"``,
        SQLite stores it, so no contract case can hold it). ``flush()`` checks it first and
        leaves the unit usable.
        """
        database = _stored(["s0"])
        session = InMemorySession(database) if shared else None
        repo = InMemoryRepository(Product, database=database, session=session)
        loaded = repo.get_by(sku="s0")
        assert loaded is not None
        loaded.price = "12"  # type: ignore[assignment]
        with pytest.raises(ValidationError, match="price"):
            repo.flush()
        assert repo.count() == 1  # checked before the flush: usable
        with pytest.raises(ValidationError, match="price"):
            repo.commit()
        with pytest.raises(ConflictError, match="rolled back"):
            repo.count()
        repo.rollback()
        assert loaded.price is None
