"""SQLAlchemy's dirty tracking, hooked for the in-memory repository's unit of work.

A ``Session`` learns which loaded objects changed from SQLAlchemy's attribute events, which
add each changed object's state to its identity map's ``_modified`` set; :class:`Dirty`
stands in for that identity map, so the fake's flush visits only changed objects too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["Dirty", "instance_state", "no_identity_map"]


def no_identity_map() -> None:
    """The ``_instance_dict`` of an object in no identity map (SQLAlchemy's default)."""


@functools.cache
def instance_state() -> Callable[[object], Any]:
    """SQLAlchemy's ``instance_state``, imported once, on the first repository built."""
    from sqlalchemy.orm import attributes  # noqa: PLC0415 - lazy SDK import

    return attributes.instance_state


class Dirty:
    """Stands in for a ``Session``'s identity map in SQLAlchemy's dirty tracking.

    SQLAlchemy's attribute events add the state of every object changed after loading to
    ``_modified``, so a flush visits only changed objects instead of walking every loaded
    one (which made loading then adding n objects quadratic).
    """

    __slots__ = ("__weakref__", "_fast_discard", "_modified")

    def __init__(self) -> None:
        self._modified: set[Any] = set()
        # Called by SQLAlchemy when a tracked object is garbage collected: the set's own
        # (C-level) method, as no Python frame is needed for each object collected.
        self._fast_discard: Callable[[object], None] = self._modified.discard
