"""The "database server" of the in-memory repository: every table's committed rows.

:class:`InMemoryDatabase` is shared by the repositories opened on it (each one unit of
work) and owns their outage switch, as a real database outage hits every session on it.
Held apart from the repository so the unit of work below it can open one.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from serpens._rules.repository import ModelInfo
from serpens.fakes._outage import OutageSwitch
from serpens.fakes._repository_hierarchy import row_rules
from serpens.fakes._repository_relations import watch
from serpens.fakes._repository_rows import RowRules, TableRows

__all__ = ["InMemoryDatabase"]


class InMemoryDatabase(OutageSwitch):
    """The committed rows of every table, shared by the repositories opened on it.

    The "database server" of the fake: each repository opened on it is one unit of work
    (a session) whose writes other repositories see only once it commits. Units of work
    may run on different threads, as sessions of one engine do: a commit checks and
    writes as one step, and a read sees another thread's commit whole or not at all.

    Args:
        clock: returns the current time for ``server_default=func.now()`` columns
            (default: aware UTC now).
        foreign_keys: check that a written row's foreign keys name rows that are there
            (``ConflictError``, as PostgreSQL and SQLite raise), the default; ``False``
            leaves them unchecked, for tests that store rows without their parents.
    """

    def __init__(
        self, *, clock: Callable[[], dt.datetime] | None = None, foreign_keys: bool = True
    ) -> None:
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.foreign_keys = foreign_keys
        self._tables: dict[object, TableRows] = {}
        self._rules: dict[type[Any], RowRules] = {}
        self._mutable: dict[object, list[bool]] = {}  # per table: RowRules.mutable
        # per model: what its repositories share (serpens.fakes._repository_opening)
        self._openings: dict[type[Any], Any] = {}
        self._lock = threading.Lock()  # two threads' first use of a table make one

    def table(self, table: object) -> TableRows:
        """The committed rows of *table* (a SQLAlchemy ``Table``), created empty on first use."""
        rows = self._tables.get(table)
        if rows is None:
            with self._lock:
                rows = self._tables.setdefault(table, TableRows())
        return rows

    def rules(self, info: ModelInfo) -> RowRules:
        """The (cached) row rules of one model on this database's clock.

        Over its whole table for a class of a single-table hierarchy whose subclasses map
        columns of their own (:mod:`~serpens.fakes._repository_hierarchy`).
        """
        rules = self._rules.get(info.model)
        if rules is None:
            tables = self.table if self.foreign_keys else None
            rules = self._rules[info.model] = row_rules(info, self.clock, tables)
            # a hierarchy's classes write one table: a list one stored makes every load copy
            rules.mutable = self._mutable.setdefault(info.table, rules.mutable)
            watch(info.mapper)  # which side each relationship change comes from
        return rules
