"""Contract suite of the transactional outbox (``serpens.ports.Outbox`` and ``OutboxStore``).

A cell overrides two fixtures: ``open_outbox_unit``, a callable opening a unit of work
with the outbox on it (an async context manager yielding an :class:`OutboxUnit`;
leaving it closes the unit), and ``open_outbox_store``, a callable opening a store on
what those units commit (each call another relay's store on the same rows). A cell
whose store reads the suite's ``clock`` fixture declares
``OutboxCapabilities(clock="injected")`` and its boundaries are tested exactly; others
wait in real time, a lease or delay of ``time_unit`` seconds at a time. The outage cases
(``OutboxOutageCases`` in :mod:`serpens_contract.outage`) need ``outage_capabilities``
and an ``outage`` fixture on the cell.
"""

from __future__ import annotations

from typing import ClassVar

from serpens_contract._suite import ContractSuite
from serpens_contract.outage import OutboxOutageCases
from serpens_contract.outbox._cases import _OutboxCases
from serpens_contract.outbox._differential import _OutboxDifferentialCases
from serpens_contract.outbox._limits import _OutboxLimitCases
from serpens_contract.outbox._support import (
    TOPIC,
    ManualClock,
    OutboxCapabilities,
    OutboxUnit,
    StoreMaker,
    UnitMaker,
    settle,
)

__all__ = [
    "TOPIC",
    "ManualClock",
    "OutboxCapabilities",
    "OutboxContract",
    "OutboxUnit",
    "StoreMaker",
    "UnitMaker",
    "settle",
]


class OutboxContract(
    _OutboxCases,
    _OutboxLimitCases,
    _OutboxDifferentialCases,
    OutboxOutageCases,
    ContractSuite,
):
    """Every outbox (an Outbox writer with its OutboxStore) must pass these tests."""

    contract = "outbox"
    capabilities: ClassVar[OutboxCapabilities] = OutboxCapabilities()
