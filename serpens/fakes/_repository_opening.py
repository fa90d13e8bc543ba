"""What every unit of work of one model on one database shares, worked out once.

Tests open a repository per unit of work, often per call. Its model's info, row rules,
class manager and, in a hierarchy, classes and row view depend on the model and the
database only, so the database keeps them per model instead of each opening working them
out again (about a tenth of opening and closing one; ``bench/fake_repository.py`` opens
one per call).
"""

from __future__ import annotations

from typing import Any

from serpens._rules.repository import ModelInfo, model_info
from serpens.fakes._repository_database import InMemoryDatabase
from serpens.fakes._repository_dirty import instance_state
from serpens.fakes._repository_hierarchy import row_view
from serpens.fakes._repository_kinds import kinds_of

__all__ = ["Opening", "opening"]


class Opening:
    """The fixed part of a :class:`~._repository_session.RepositorySession` of one model.

    ``head`` and ``tail`` hold the repository's ``database``, ``_instance_state``,
    ``_info``, ``_manager`` and ``_pk``, ``_rules``, ``_kind``, ``_managers``, ``_view``,
    which it unpacks into its attributes (not ``__dict__.update``: CPython would give up
    the instance's compact attribute storage, and every later attribute read would cost
    more). The rest open its pending rows and name the hierarchy's base model (one
    identity map per hierarchy).
    """

    __slots__ = ("base_info", "base_model", "base_uniques", "head", "table", "tail")

    def __init__(self, database: InMemoryDatabase, model: type[Any]) -> None:
        info = model_info(model)
        rules = database.rules(info)
        base: ModelInfo = info
        base_rules = rules
        kind = managers = view = None  # the common case: a model of its own
        if info.inheritance is not None:  # single-table: one identity map per hierarchy
            kind, managers = kinds_of(info)
            view = row_view(info)  # None but for subclasses that add columns
            base = model_info(info.mapper.base_mapper.class_)
            base_rules = database.rules(base)
        self.head = (database, instance_state(), info, info.mapper.class_manager)
        self.tail = (info.pk, rules, kind, managers, view)
        self.base_model: type[Any] = base.model
        self.base_info = base_rules.info
        self.base_uniques = base_rules.uniques
        self.table = database.table(info.table)


def opening(database: InMemoryDatabase, model: type[Any]) -> Opening:
    """*model*'s :class:`Opening` on *database*, worked out on its first repository."""
    openings = database._openings  # noqa: SLF001 - kept on the database, read here
    found: Opening | None = openings.get(model)
    if found is None:  # two threads may both work it out: equal, one is kept
        found = openings.setdefault(model, Opening(database, model))
    return found
