"""The base class every contract suite derives from."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

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
            serpens' own adapters declare one: the SQS cells' trickled receive.
        backend: what the implementation runs on, for the capability report's rows
            (``"in-process"`` by default); a cell that learns its server's version only at
            run time overrides the :meth:`contract_backend` fixture instead.
    """

    contract: ClassVar[str] = ""
    capabilities: ClassVar[object] = None
    known_divergences: ClassVar[Mapping[str, str]] = {}
    backend: ClassVar[str] = "in-process"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Defining a suite (importing it) needs the whole extra: its ``async`` cases
        # would otherwise each fail with pytest's "async def functions are not natively
        # supported", naming nothing to install.
        super().__init_subclass__(**kwargs)
        if importlib.util.find_spec("pytest_asyncio") is None:
            from serpens.errors import MissingExtraError  # noqa: PLC0415 - only when failing

            raise MissingExtraError("pytest-asyncio", "contract")

    @pytest.fixture(autouse=True)
    def _contract_backend_in_report(self, contract_backend: str) -> str:
        # Autouse, so every test requests ``contract_backend`` (which the report reads),
        # while a subclass may still override ``contract_backend`` with a plain fixture.
        return contract_backend

    @pytest.fixture
    def contract_backend(self) -> str:
        """The backend and server version this cell runs on (``"PostgreSQL 15.19 (local)"``).

        The report shows it on the cell's row; override this fixture to name a server
        whose version is only known once it runs, or record it from any fixture with
        ``request.node.user_properties.append(("serpens_backend", "..."))``.
        """
        return self.backend
