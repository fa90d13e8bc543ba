"""Plain JSON: values the ``json`` module writes and reads back unchanged.

serpens 2.9's ``redis_set`` stored ``json.dumps(value, default=str)`` read back with
``json.loads``, which turns a ``Decimal``, a date, an ``Enum`` or a non-``str`` key into
what 2.9 stored; the toolkit keeps that round trip only for values that need it.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["is_plain_json"]

_LEAF_TYPES = frozenset({str, int, bool, type(None)})


def is_plain_json(value: Any) -> bool:
    """Whether *value* is JSON as ``json`` writes it back unchanged: nothing to convert.

    Exact ``str``, ``int``, ``bool``, ``None`` and finite ``float`` leaves in exact
    lists, tuples and ``str``-keyed dicts; no subclass, ``Decimal``, date or other value
    an encoder would have to turn into JSON first, and no non-``str`` key.
    """
    kind = type(value)
    if kind in _LEAF_TYPES:
        return True
    if kind is float:
        return math.isfinite(value)
    try:
        if kind is list or kind is tuple:
            return all(type(item) in _LEAF_TYPES or is_plain_json(item) for item in value)
        if kind is dict:
            return all(
                type(key) is str and (type(item) in _LEAF_TYPES or is_plain_json(item))
                for key, item in value.items()
            )
    except RecursionError:  # it contains itself, or nests past the recursion limit
        return False
    return False
