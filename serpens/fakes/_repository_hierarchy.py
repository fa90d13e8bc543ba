"""Single-table hierarchies whose subclasses map columns of their own, in the in-memory fake.

Their table holds every column of every class, and the database applies its rules to
the whole row whatever class wrote it: a ``Manager`` row holds ``NULL`` in an
``Engineer``'s column (or that column's ``default`` or ``server_default``: SQLAlchemy
writes a table's defaults whatever class an INSERT comes from), a NOT NULL column of one
subclass refuses every other class's rows that leave it empty, as PostgreSQL and SQLite
do, and a unique or ``CHECK`` constraint on a subclass's column holds for the table.

So the fake stores such a hierarchy's rows whole (every column of the table) and writes
them by the rules of :func:`table_info`: the class's own rules (its discriminator, what
its repository sees) over the table's columns. What stays the class's own is what the
SQL adapters take from the class: the fields a repository accepts (a base class's
repository refuses a subclass's field, by the shared rules), the columns an object
holds (:func:`row_view`: only its class's, as a ``Session`` loads it), and the
``onupdate`` values an upsert writes (the adapter's ``ON CONFLICT DO UPDATE`` sets its
class's only, where an object's UPDATE applies the table's, as Core does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from serpens._rules.repository import ModelInfo, model_info
from serpens.errors import ConfigurationError
from serpens.fakes._repository_rows import RowRules, RowStore, TableRows

__all__ = ["HierarchyRules", "row_rules", "row_view", "table_info"]

Row = dict[str, object]


class _TableInfo(ModelInfo):
    """A class's rules over every column its single-table hierarchy maps (see the module)."""

    def _map_columns(self, mapper: Any) -> None:
        import sqlalchemy as sa  # noqa: PLC0415 - only a mapped class gets here

        super()._map_columns(mapper)  # its own columns and SQL expressions
        own = {key: column for column, key in self._key_of.items()}
        for other in mapper.base_mapper.self_and_descendants:
            for prop in other.column_attrs:
                column = prop.columns[0]
                if not isinstance(column, sa.Column) or self._key_of.get(column) == prop.key:
                    continue
                if column in self._key_of or prop.key in own:
                    raise ConfigurationError(
                        f"the in-memory repository of {self.name} cannot store its "
                        f"single-table hierarchy: attribute {prop.key!r} maps another column "
                        "in another class, or its column another attribute: name them alike"
                    )
                own[prop.key] = column
                self.columns[prop.key] = _column_info(prop.key, column, self.table)
                self._key_of[column] = prop.key


def _column_info(key: str, column: Any, table: Any) -> Any:
    from serpens._rules.repository._fields import _column_info as info  # noqa: PLC0415

    return info(key, column, autoincrement=column is table.autoincrement_column)


_TABLES: dict[type[Any], ModelInfo] = {}


def table_info(info: ModelInfo) -> ModelInfo:
    """*info*, or its class's rules over its whole table when a subclass adds columns."""
    kinds = info.inheritance
    if kinds is None or kinds.uniform:
        return info
    found = _TABLES.get(info.model)
    if found is None:
        found = _TABLES[info.model] = _TableInfo(info.model)
    return found


class HierarchyRules(RowRules):
    """:class:`RowRules` of one class of such a hierarchy, on its :func:`table_info`."""

    def __init__(
        self,
        info: ModelInfo,
        clock: Callable[[], dt.datetime],
        tables: Callable[[object], TableRows] | None = None,
    ) -> None:
        super().__init__(info, clock, tables)
        mine = model_info(info.model).columns
        self._others = tuple(k for k in self.onupdates if k not in mine)
        """The ``onupdate`` columns of other classes: an upsert leaves them as they are."""

    def _store_update(self, work: RowStore, old: Row, changes: Row, mine: Row | None = None) -> Row:
        if mine is None and self._others:  # an upsert's update (an object's passes its own)
            changes = {**{k: old[k] for k in self._others}, **changes}
        return super()._store_update(work, old, changes, mine)


def row_rules(
    info: ModelInfo,
    clock: Callable[[], dt.datetime],
    tables: Callable[[object], TableRows] | None,
) -> RowRules:
    """The row rules of *info*'s class: over its whole table when its hierarchy needs it."""
    wide = table_info(info)
    if wide is info:
        return RowRules(info, clock, tables)
    return HierarchyRules(wide, clock, tables)


def row_view(info: ModelInfo) -> Callable[[type[Any], Row], Row] | None:
    """How an object of a class of *info*'s hierarchy holds a stored row; ``None``: whole.

    Only its class's columns (and SQL expressions), as a ``Session`` loads it: a
    ``Manager`` holds no ``Engineer`` column.
    """
    if table_info(info) is info:
        return None
    keys: dict[type[Any], tuple[str, ...]] = {}

    def view(cls: type[Any], row: Row) -> Row:
        own = keys.get(cls)
        if own is None:
            mapped = model_info(cls)
            own = keys[cls] = (*mapped.columns, *mapped.expressions)
        return {k: row[k] for k in own if k in row}

    return view
