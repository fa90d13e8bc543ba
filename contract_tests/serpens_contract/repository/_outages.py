"""Outage cases of the Repository suite: strict, bounded, recovering.

Each fault the cell's ``repository_outage`` fixture can inject (``capabilities.outages``)
must raise a serpens backend error within ``outage_deadline_s`` plus
``OUTAGE_MARGIN_S``, and the database must work again once it is over. Mixed into
``RepositoryContract``, whose ``capabilities`` the cases read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from serpens.errors import BackendTimeoutError, BackendUnavailableError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Product
from serpens_contract.capabilities import requires
from serpens_contract.repository._capabilities import (
    OUTAGE_MARGIN_S,
    Outage,
    RepositoryCapabilities,
)


class RepositoryOutageCases:
    """Cases on a backend outage: a serpens error in time, then recovery."""

    capabilities: ClassVar[RepositoryCapabilities]

    # -- outages: strict, bounded, recovering ---------------------------------------------
    def _outage_call(
        self, call: Callable[[], object], expected: tuple[type[Exception], ...]
    ) -> Exception:
        started = time.monotonic()
        with pytest.raises(expected) as info:
            call()
        elapsed = time.monotonic() - started
        limit = self.capabilities.outage_deadline_s + OUTAGE_MARGIN_S
        assert elapsed < limit, f"the call took {elapsed:.2f} s, more than {limit:.2f} s"
        return info.value

    def _recovered(self, db: RepositoryDatabase, sku: str) -> None:
        after: Any = db.repository(Product)
        assert after.get_by(sku=sku) is not None
        after.add(Product(sku=f"{sku}-after"))
        db.commit(after)
        db.close_unit_of_work(after)

    def _warm(self, db: RepositoryDatabase, sku: str) -> Any:
        setup: Any = db.repository(Product)
        setup.add(Product(sku=sku))
        db.commit(setup)
        db.close_unit_of_work(setup)
        held: Any = db.repository(Product)
        assert held.get_by(sku=sku) is not None  # a unit of work that has talked to the backend
        return held

    @requires("outage_unreachable")
    def test_an_unreachable_backend_raises_unavailable_then_recovers(
        self, db: RepositoryDatabase, repository_outage: Outage
    ) -> None:
        db.close_unit_of_work(self._warm(db, "u"))  # its connection idles in the pool
        with repository_outage("unreachable"):
            fresh: Any = db.repository(Product)
            self._outage_call(lambda: fresh.get_by(sku="u"), (BackendUnavailableError,))
            self._outage_call(lambda: fresh.add(Product(sku="lost")), (BackendUnavailableError,))
        db.close_unit_of_work(fresh)
        self._recovered(db, "u")
        assert db.repository(Product).get_by(sku="lost") is None

    @requires("outage_frozen")
    def test_a_frozen_backend_mid_request_ends_within_the_deadline(
        self, db: RepositoryDatabase, repository_outage: Outage
    ) -> None:
        held = self._warm(db, "f")
        strict = (BackendTimeoutError, BackendUnavailableError)
        with repository_outage("frozen"):
            self._outage_call(lambda: held.get_by(sku="g"), strict)
            fresh: Any = db.repository(Product)
            self._outage_call(fresh.count, strict)
        db.close_unit_of_work(fresh)
        db.close_unit_of_work(held)
        self._recovered(db, "f")

    @requires("outage_reset")
    def test_a_reset_connection_raises_unavailable_then_recovers(
        self, db: RepositoryDatabase, repository_outage: Outage
    ) -> None:
        held = self._warm(db, "r")
        with repository_outage("reset"):
            self._outage_call(
                lambda: held.upsert({"sku": "r"}, conflict_on=["sku"]), (BackendUnavailableError,)
            )
        db.close_unit_of_work(held)
        self._recovered(db, "r")
