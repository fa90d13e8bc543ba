"""The values of one object that a flush writes, for the check before it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

__all__ = ["flushed_values"]


def flushed_values(obj: object) -> Mapping[str, object]:
    """The attribute values a flush would write for *obj*, by attribute key.

    A new object's INSERT writes every value it holds: all of them. A loaded object's
    UPDATE writes only the attributes changed since it was loaded (``committed_state``,
    which an assignment or ``flag_modified`` fills): only those. An unchanged value is
    the row as the backend read it back, which the flush does not write again; on SQLite
    a ``DateTime(timezone=True)`` value reads back naive, and checking it would refuse
    every later change to the object.
    """
    state: Any = sa.inspect(obj)
    values: dict[str, object] = state.dict
    if state.key is None:  # new (pending): inserted whole
        return values
    return {key: values[key] for key in state.committed_state if key in values}
