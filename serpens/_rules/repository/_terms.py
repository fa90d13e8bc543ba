"""The terms an ``order_by`` resolves to (:meth:`~._model.ModelInfo.order`).

A mapped attribute becomes an :class:`OrderTerm`, which every backend sorts by and a
cursor carries; any other SQL expression a :class:`RawOrder`, which only a SQL backend
evaluates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class OrderTerm:
    """Sort by attribute *key*, descending when *descending*; NULLs last ascending."""

    key: str
    descending: bool = False

    @property
    def label(self) -> str:
        """The ``"-key"`` spelling used in cursors."""
        return f"-{self.key}" if self.descending else self.key


@dataclass(frozen=True, slots=True)
class RawOrder:
    """An arbitrary SQL ordering expression only a SQL backend can evaluate."""

    expression: Any
