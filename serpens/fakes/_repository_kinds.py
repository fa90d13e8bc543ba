"""Single-table inheritance in the in-memory repository: whose rows, built as which class.

The rules (:mod:`serpens._rules.repository._inheritance`) say which rows a class's
repository sees; here they become what the unit of work reads with: the test a subclass's
reads filter rows by, and each identity's class manager, so a row is built as the class
its discriminator names, as SQLAlchemy's loading builds it.
"""

from __future__ import annotations

from typing import Any

from serpens._rules.repository import ModelInfo, model_info

__all__ = ["kinds_of"]


def kinds_of(info: ModelInfo) -> tuple[Any, dict[object, Any] | None]:
    """``(kind, managers)`` of *info*'s class: both ``None`` outside a single-table hierarchy.

    *kind* is the subclass's ``Inheritance`` its reads filter by (``None`` for the base,
    which sees every row); *managers* each identity's class manager. A hierarchy whose
    subclasses map columns of their own stores whole rows
    (:mod:`~serpens.fakes._repository_hierarchy`).
    """
    kinds = info.inheritance
    if kinds is None:
        return None, None
    managers = {i: model_info(cls).mapper.class_manager for i, cls in kinds.classes.items()}
    return (None if kinds.identities is None else kinds), managers
