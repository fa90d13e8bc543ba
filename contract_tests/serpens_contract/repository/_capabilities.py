"""What a Repository implementation declares: its capabilities and its outage hook's types.

:class:`RepositoryCapabilities` lists the honest differences between repositories, each
registered here as a named capability the suite's tests may require; ``OutageFault`` and
``Outage`` type the ``repository_outage`` fixture. Kept apart from the cases so that every
mixin and the package's ``__init__`` can import them without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal

from serpens_contract.capabilities import register_capability

OutageFault = Literal["unreachable", "frozen", "reset"]
"""A backend outage the suite asks for: connects refused, no answer at all, connections reset."""

Outage = Callable[[OutageFault], AbstractContextManager[object]]
"""The ``repository_outage`` fixture: *fault* in force inside the returned ``with`` block."""

OUTAGE_MARGIN_S = 1.0
"""How much later than ``outage_deadline_s`` a call may end (scheduling, the error's path)."""


@dataclass(frozen=True)
class RepositoryCapabilities:
    """Honest differences between repositories.

    Attributes:
        outages: the faults the implementation's ``repository_outage`` fixture can inject
            (``"unreachable"``, ``"frozen"``, ``"reset"``); none for a backend the suite
            cannot put behind a proxy (SQLite is a file). Each missing one is a reported skip.
        outage_deadline_s: the configured bound of one call against a dead backend (for
            the SQL adapters ``max(DB_CLIENT_TIMEOUT_MS, DB_PING_TIMEOUT_MS +
            DB_CONNECT_TIMEOUT)``); every call must end within it plus
            :data:`OUTAGE_MARGIN_S`.
        exact_decimal: ``Numeric`` columns keep a ``Decimal`` exactly, rounded to the
            column's scale half away from zero, as PostgreSQL does (38 significant digits
            in ``Numeric(38, 10)``, ``1.005`` read back as ``1.01`` in ``Numeric(6, 2)``).
            Off for SQLite, which stores a float; off by default.
        sequence_keys: an autoincrement key comes from a sequence that explicit keys do
            not advance, as PostgreSQL's ``SERIAL`` and identity columns: after a row
            written with ``id=2``, the second generated key (2) collides with it
            (``ConflictError``). Off for SQLite, whose next key passes the largest one;
            off by default.
        threads: a synchronous repository whose units of work may run on several threads
            at once over one database (one engine; one ``InMemoryDatabase``), as a
            threaded server's workers run them. Off for async repositories, bound to
            their event loop, and by default.
        shared_units_of_work: the database opens repositories of several models in one
            unit of work (:class:`~serpens_contract.repository.SharedUnitDatabase`'s
            ``repositories``), as a service hands one ``Session`` to several repositories:
            they see each other's writes at once, and a commit, rollback or close from any
            of them acts on them all. Off by default (a database without the method).
    """

    outages: frozenset[str] = field(default_factory=frozenset)
    outage_deadline_s: float = 0.0
    exact_decimal: bool = False
    sequence_keys: bool = False
    threads: bool = False
    shared_units_of_work: bool = False


def _has_outage(fault: str) -> Callable[[Any], bool]:
    return lambda capabilities: fault in capabilities.outages


for _fault, _meaning in (
    ("unreachable", "connects are refused (server down, port closed)"),
    ("frozen", "the backend accepts and never answers, mid-request"),
    ("reset", "open connections are reset (TCP RST)"),
):
    register_capability(
        "repository",
        f"outage_{_fault}",
        _has_outage(_fault),
        f"the cell can inject the {_fault!r} outage: {_meaning}",
    )


register_capability(
    "repository",
    "exact_decimal",
    lambda capabilities: capabilities.exact_decimal,
    "Numeric columns keep a Decimal exactly, rounded to their scale as PostgreSQL rounds",
)
register_capability(
    "repository",
    "sequence_keys",
    lambda capabilities: capabilities.sequence_keys,
    "autoincrement keys come from a sequence explicit keys do not advance (PostgreSQL)",
)
register_capability(
    "repository",
    "threads",
    lambda capabilities: capabilities.threads,
    "units of work run on several threads at once over one database (synchronous)",
)
register_capability(
    "repository",
    "shared_units_of_work",
    lambda capabilities: capabilities.shared_units_of_work,
    "repositories of several models share one unit of work (one session)",
)
