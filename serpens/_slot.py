"""A process-wide, swappable instance: the default adapter, or the one a test put in."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

__all__ = ["Slot"]

T = TypeVar("T")


class Slot(Generic[T]):
    """Holds one *T* per process: built by *factory* on first use, or set explicitly.

    ``on_change`` runs after every :meth:`set` and around :meth:`use`, for callers that
    must drop state tied to the previous instance (a cache of its answers, say).
    """

    def __init__(
        self, factory: Callable[[], T], *, on_change: Callable[[], None] | None = None
    ) -> None:
        self._factory = factory
        self._on_change = on_change
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        """Return the instance, building the default one on first use."""
        with self._lock:
            if self._value is None:
                self._value = self._factory()
            return self._value

    def set(self, value: T | None) -> None:
        """Use *value* from now on (``None``: build the default again on next use)."""
        with self._lock:
            self._value = value
        self._changed()

    @contextmanager
    def use(self, value: T) -> Iterator[T]:
        """Use *value* inside the ``with`` block, then restore the previous instance."""
        with self._lock:
            previous, self._value = self._value, value
        self._changed()
        try:
            yield value
        finally:
            with self._lock:
                self._value = previous
            self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()
