"""An outage switch for the fakes: unit tests exercise the paths of a dead backend.

Under ``fake.outage()`` every port call of the fake behaves as its production adapter
does when the backend is unreachable: strict fakes raise
:class:`~serpens.errors.BackendUnavailableError` (or
:class:`~serpens.errors.BackendTimeoutError` with ``timeout=True``), fail-open caches miss
on read, do nothing on write and never raise. Stored state is kept and comes back when
the outage ends; inspection helpers (``keys()``, ``published``, ``requests``, ...) keep
working, so a test can assert that nothing was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, Self

from serpens.errors import BackendError, BackendTimeoutError, BackendUnavailableError

__all__ = ["OutageSwitch"]

_Kind = Literal["unavailable", "timeout"]


class OutageSwitch:
    """Mixin giving a fake :meth:`outage`, :meth:`start_outage` and :meth:`end_outage`.

    The state lives on the instance; a fake needs no ``__init__`` change, only a
    :meth:`_check_outage` call at the start of each port operation.
    """

    _outage_kind: _Kind | None = None

    @contextmanager
    def outage(self, *, timeout: bool = False) -> Iterator[Self]:
        """Simulate an unreachable backend inside the ``with`` block.

        Args:
            timeout: raise :class:`~serpens.errors.BackendTimeoutError` (a backend that
                accepts and never answers) instead of ``BackendUnavailableError``.
        """
        self.start_outage(timeout=timeout)
        try:
            yield self
        finally:
            self.end_outage()

    def start_outage(self, *, timeout: bool = False) -> None:
        """Start a simulated outage (until :meth:`end_outage`); see :meth:`outage`."""
        self._outage_kind = "timeout" if timeout else "unavailable"

    def end_outage(self) -> None:
        """End the simulated outage: calls reach the stored state again."""
        self._outage_kind = None

    @property
    def in_outage(self) -> bool:
        """Whether a simulated outage is on."""
        return self._outage_kind is not None

    def _outage_error(self) -> BackendError:
        name = type(self).__name__
        if self._outage_kind == "timeout":
            return BackendTimeoutError(f"{name}: simulated outage, the backend did not answer")
        return BackendUnavailableError(f"{name}: simulated outage, the backend is unreachable")

    def _check_outage(self) -> None:
        """Raise the outage's error when one is on (call first in every port operation)."""
        if self._outage_kind is not None:
            raise self._outage_error()
