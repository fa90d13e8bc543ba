"""The outage switch of the repository fakes: a simulated database outage.

The outage belongs to the :class:`~serpens.fakes.InMemoryDatabase`, as a real database
outage hits every session on it: ``repo.outage()`` and ``database.outage()`` are the same
switch, and every repository on that database raises
:class:`~serpens.errors.BackendUnavailableError` (or, with ``timeout=True``,
:class:`~serpens.errors.BackendTimeoutError`) from each port operation meanwhile.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self

from serpens.fakes._outage import OutageSwitch

__all__ = ["RepositoryOutage"]

_WRAPPED = "__serpens_outage__"


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        # A method that __init__ runs before the database is attached has no switch to
        # check yet (tools that rewrite methods, such as mutmut's trampolines, do this).
        database = getattr(self, "database", None)
        if database is not None and database._outage_kind is not None:  # noqa: SLF001
            raise database._outage_error()  # noqa: SLF001 - the switch's own error
        return method(self, *args, **kwargs)

    setattr(guarded, _WRAPPED, True)
    return guarded


class RepositoryOutage:
    """Mixin of the repository fakes: ``outage()`` of their database, checked per call.

    Every public plain method the fake defines checks the database's outage first
    (async methods delegate to a sync repository, which checks); methods added later
    are covered without listing them. Users' subclasses are left as written: their
    methods reach the database through the fake's, which check.
    """

    database: OutageSwitch

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__ != "serpens.fakes._repository":
            return
        for name, member in list(vars(cls).items()):
            if (
                name.startswith("_")
                or not inspect.isfunction(member)
                or inspect.iscoroutinefunction(member)
                or getattr(member, _WRAPPED, False)
            ):
                continue
            setattr(cls, name, _guarded(member))

    @contextmanager
    def outage(self, *, timeout: bool = False) -> Iterator[Self]:
        """Simulate an unreachable database inside the ``with`` block (see the module)."""
        with self.database.outage(timeout=timeout):
            yield self

    def start_outage(self, *, timeout: bool = False) -> None:
        """Start a simulated database outage, until :meth:`end_outage`."""
        self.database.start_outage(timeout=timeout)

    def end_outage(self) -> None:
        """End the simulated database outage."""
        self.database.end_outage()

    @property
    def in_outage(self) -> bool:
        """Whether the database is in a simulated outage."""
        return self.database.in_outage
