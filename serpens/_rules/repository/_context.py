"""What a context-sensitive column default reads of its row, where serpens computes it.

SQLAlchemy calls a Python-side default that takes one argument
(``default=lambda ctx: ctx.get_current_parameters()["title"].lower()``) with the INSERT's
execution context. The in-memory fake and the COPY path of ``bulk_insert`` compute such
defaults themselves, with no execution context: they hand the default a
:class:`DefaultContext` holding the row's parameters instead (a zero-argument default
ignores it, as SQLAlchemy's wrapper does).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DefaultContext"]


class DefaultContext:
    """The part of SQLAlchemy's execution context a column default reads: its row's values.

    ``current_parameters`` and :meth:`get_current_parameters` give the row's values by
    column key (the table's column names), those given and the defaults computed before
    this one, in the table's column order, as SQLAlchemy fills them.
    """

    __slots__ = ("current_parameters",)

    def __init__(self, parameters: Mapping[str, object]) -> None:
        self.current_parameters = dict(parameters)

    def get_current_parameters(
        self,
        isolate_multiinsert_groups: bool = True,  # noqa: ARG002 - SQLAlchemy's signature
    ) -> dict[str, object]:
        """The row's values by column key (one row: nothing to isolate)."""
        return self.current_parameters
