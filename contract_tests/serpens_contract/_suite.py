"""The base class every contract suite derives from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

__all__ = ["ContractSuite"]


class ContractSuite:
    """Base of every port's contract suite (``CacheContract``, ``RepositoryContract``, ...).

    A suite is a plain class whose name does not start with ``Test``, so pytest does not
    collect it; an implementation's author subclasses it as ``TestMyThing`` and overrides
    the suite's one factory fixture.

    Attributes:
        contract: the port's name (``"cache"``); keys the capability registry and the report.
        capabilities: the port's capability dataclass describing honest differences.
        known_divergences: test name -> reason; each becomes a strict xfail, reported.
            serpens' own adapters keep this empty.
    """

    contract: ClassVar[str] = ""
    capabilities: ClassVar[object] = None
    known_divergences: ClassVar[Mapping[str, str]] = {}
