"""Contract suite of the Repository port (``serpens.ports.Repository`` / ``AsyncRepository``).

One suite, no branching on the implementation: an async implementation is driven through
:class:`~serpens_contract.SyncDriver` by its :class:`RepositoryDatabase`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

try:
    from hypothesis.stateful import run_state_machine_as_test
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens_contract._repository_databases import (
    FakeDatabase,
    RepositoryDatabase,
    SharedUnitDatabase,
    SQLAlchemyDatabase,
    contract_schema,
)
from serpens_contract._repository_machine import RepositoryMachine
from serpens_contract._repository_models import (
    Color,
    ContractBase,
    Kind,
    Pair,
    Product,
    Shelf,
    Stamp,
)
from serpens_contract._repository_models import Tone as Tone
from serpens_contract._suite import ContractSuite
from serpens_contract.differential import again_when_stalled

# The example cases live in one mixin per theme, in this package's private modules.
from serpens_contract.repository import (
    _column_fidelity,
    _column_ranges,
    _column_values,
    _conflicts,
    _hierarchy_columns,
    _hierarchy_rows,
    _identity,
    _inheritance,
    _object_writes,
    _ordering,
    _outages,
    _relationship_reach,
    _relationships,
    _shared_units,
    _threads,
    _units_of_work,
    _unloaded_reads,
    _upserts,
    _version_generators,
)
from serpens_contract.repository._capabilities import (
    OUTAGE_MARGIN_S,
    Outage,
    OutageFault,
    RepositoryCapabilities,
)
from serpens_contract.repository._shared import TAMPERED_CURSORS as TAMPERED_CURSORS
from serpens_contract.repository._shared import UTC_MINUS_3 as UTC_MINUS_3
from serpens_contract.repository._shared import WRONG_TYPES, OpenDatabase
from serpens_contract.settings import hypothesis_settings

# OUTAGE_MARGIN_S and WRONG_TYPES are exported so that the API reference, which renders a
# package's exported names only, still shows their docstrings now they live in submodules.
__all__ = [
    "OUTAGE_MARGIN_S",
    "WRONG_TYPES",
    "Color",
    "ContractBase",
    "FakeDatabase",
    "Kind",
    "Outage",
    "OutageFault",
    "Pair",
    "Product",
    "RepositoryCapabilities",
    "RepositoryContract",
    "RepositoryDatabase",
    "SQLAlchemyDatabase",
    "SharedUnitDatabase",
    "Shelf",
    "Stamp",
    "contract_schema",
]


# Bases are listed last theme first: pytest collects a class's inherited tests in reverse
# MRO order, so the suite's tests run identity and keys first, outages last, as written.
class RepositoryContract(
    _outages.RepositoryOutageCases,
    _version_generators.VersionGeneratorCases,
    _hierarchy_rows.HierarchyRowCases,
    _hierarchy_columns.HierarchyColumnCases,
    _inheritance.InheritanceCases,
    _threads.ThreadCases,
    _relationship_reach.RelationshipReachCases,
    _relationships.RelationshipCases,
    _shared_units.SharedUnitOfWorkCases,
    _unloaded_reads.UnloadedReadCases,
    _units_of_work.UnitOfWorkCases,
    _object_writes.ObjectWriteCases,
    _upserts.UpsertAndBulkInsertCases,
    _ordering.OrderingAndPagingCases,
    _column_fidelity.ColumnFidelityCases,
    _column_ranges.ColumnRangeCases,
    _column_values.ColumnValueCases,
    _conflicts.ConflictAndValidationCases,
    _identity.IdentityAndKeyCases,
    ContractSuite,
):
    """Every Repository must pass these tests.

    Override ``open_repository_database`` to return a callable that creates a fresh,
    empty, isolated :class:`RepositoryDatabase` holding ``ContractBase.metadata``'s tables.
    """

    contract = "repository"
    capabilities: ClassVar[RepositoryCapabilities] = RepositoryCapabilities()

    @pytest.fixture
    def open_repository_database(self) -> OpenDatabase:
        pytest.fail("override `open_repository_database`: return a callable -> database")

    @pytest.fixture
    def db(self, open_repository_database: OpenDatabase) -> RepositoryDatabase:
        return open_repository_database()

    @pytest.fixture
    def repository_outage(self, db: RepositoryDatabase) -> Outage:
        """Override when ``capabilities.outages`` is not empty: a fault -> context manager."""
        pytest.fail("override `repository_outage`: return a callable fault -> context manager")

    @pytest.fixture
    def products(self, db: RepositoryDatabase) -> Any:  # Any: tests read optional results
        return db.repository(Product)

    # -- differential --------------------------------------------------------------------
    def test_differential_against_fake(self, open_repository_database: OpenDatabase) -> None:
        """Random calls answer like the fake's, the unit of work's ends and other units' reads too.

        Adds, bulk adds, upserts, bulk inserts, flushes, reads and pages, commits, rollbacks
        and closes; with ``shared_units_of_work``, reviews written in the products' unit of
        work as well.
        """
        shared = self.capabilities.shared_units_of_work

        class Machine(RepositoryMachine):
            def __init__(self) -> None:
                super().__init__(open_repository_database, shared=shared)

        again_when_stalled(
            lambda: run_state_machine_as_test(Machine, settings=hypothesis_settings())
        )
