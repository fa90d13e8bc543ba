"""Contract suite of the IdempotencyStore port (``serpens.ports.IdempotencyStore``).

Override ``open_idempotency_store`` to return a callable ``namespace -> store``; called
twice with one namespace it must return two stores on the same records (two processes
of one service). A cell whose store reads the suite's ``clock`` fixture declares
``IdempotencyCapabilities(clock="injected")`` and its boundaries are tested exactly;
others wait in real time, a lease or TTL of ``time_unit`` seconds at a time. The outage
cases (``IdempotencyOutageCases`` in :mod:`serpens_contract.outage`) need
``outage_capabilities`` and an ``outage`` fixture on the cell.
"""

from __future__ import annotations

from typing import ClassVar

from serpens_contract._suite import ContractSuite
from serpens_contract.idempotency._cases import _IdempotencyCases
from serpens_contract.idempotency._differential import _IdempotencyDifferentialCases
from serpens_contract.idempotency._support import (
    IdempotencyCapabilities,
    ManualClock,
    StoreMaker,
)
from serpens_contract.outage import IdempotencyOutageCases

__all__ = ["IdempotencyCapabilities", "IdempotencyContract", "ManualClock", "StoreMaker"]


class IdempotencyContract(
    _IdempotencyCases, _IdempotencyDifferentialCases, IdempotencyOutageCases, ContractSuite
):
    """Every IdempotencyStore must pass these tests."""

    contract = "idempotency"
    capabilities: ClassVar[IdempotencyCapabilities] = IdempotencyCapabilities()
