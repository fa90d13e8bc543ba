"""``is_plain_json``: the values serpens 2.9's ``redis_set`` stores without a round trip.

``redis_set`` keeps 2.9's ``json.dumps(value, default=str)`` then ``json.loads``, which
turns a ``Decimal``, a date, an ``Enum`` or a non-``str`` key into what 2.9 stored. A
value with nothing to convert comes back from that round trip equal, so it skips it:
these tests pin that the check says "plain" exactly for such values, and that both
paths agree.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import pytest

from serpens._rules.plain_json import is_plain_json


class Color(enum.Enum):
    RED = "red"


class Tag(str):
    """A ``str`` subclass: JSON writes it as a string, but it is not the exact type."""

    __slots__ = ()


def _contains_itself() -> list[Any]:
    items: list[Any] = [1]
    items.append(items)
    return items


PLAIN: list[Any] = [
    None,
    True,
    0,
    -(2**70),
    1.5,
    "é \ud800",
    [],
    (),
    {},
    [1, [2, (3, {"a": None})]],
    {"a": {"b": [1.0, "x", False]}},
]
NOT_PLAIN: list[Any] = [
    float("nan"),
    float("inf"),
    [1, float("-inf")],
    Decimal("0.1"),
    dt.date(2026, 1, 2),
    Color.RED,
    Tag("t"),
    {1: "a"},
    {"a": {2: "b"}},
    {"a": [Decimal(1)]},
    OrderedDict(a=1),
    {"a": {1, 2}},
    b"bytes",
    _contains_itself(),
]


@pytest.mark.parametrize("value", PLAIN, ids=repr)
def test_plain_json_comes_back_from_the_round_trip_equal(value: Any) -> None:
    assert is_plain_json(value) is True
    again = json.loads(json.dumps(value, default=str))
    assert json.dumps(again) == json.dumps(value)


@pytest.mark.parametrize("value", NOT_PLAIN, ids=repr)
def test_anything_json_would_convert_is_not_plain(value: Any) -> None:
    assert is_plain_json(value) is False


def test_nesting_past_the_recursion_limit_is_not_plain() -> None:
    deep: Any = []
    for _ in range(10_000):
        deep = [deep]
    assert is_plain_json(deep) is False
