"""The cache encoder's fast path stores exactly the text the thorough path stores.

``encode`` checks plain JSON values with a walk in C and encodes them at once; every
other value takes the thorough check. A user reading an entry written by an older
serpens (or by the other path) must get identical bytes, and a bad value must still
raise the named ``SerializationError`` whichever path met it first.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import uuid
from collections import OrderedDict, namedtuple
from decimal import Decimal
from typing import Any

import pytest

from serpens._rules import cache
from serpens._rules.cache import encode
from serpens.errors import SerializationError
from serpens_contract.cache import _containing_itself, _nested  # the suite's own bad values

Point = namedtuple("Point", "x y")  # noqa: PYI024 - a tuple subclass on purpose


class Tag(str):
    """A str subclass: its instances refer to their class, so the walk hands them over."""

    __slots__ = ()


class Level(enum.IntEnum):
    LOW = 1


class Record(dict[Any, Any]):
    """A dict subclass: the walk hands it to the thorough check."""


def _thorough(value: Any) -> str:
    """The text of the path every value took before the fast path existed."""
    cache._check(value, "value")
    return cache._DUMPS(value)


def _deleted_int_key() -> dict[Any, Any]:
    value: dict[Any, Any] = {1: "gone", "kept": 2}
    del value[1]
    return value


CORPUS: list[Any] = [
    None,
    True,
    0,
    -(2**70),
    1.5,
    1e16,
    -0.0,
    5e-324,
    "",
    "plain",
    'ünïcødé ✓ 𝄞 \u2028 \x00 "quoted" \\ back',
    [],
    {},
    (),
    [1, "a", None, True, 2.5],
    (1, (2, (3,))),
    {"a": 1, "b": [1, 2, {"c": None}], "d": {"e": {"f": [[], {}]}}},
    {"ключ": "значение", "": 0, "k": [True, False]},
    [
        {"id": i, "name": f"user {i}", "price": i * 1.25, "tags": ["x"] * (i % 4)}
        for i in range(300)
    ],
    {"nested": [[[[[[[[[["deep"]]]]]]]]]]},
    Decimal("12.50"),
    {"when": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "day": dt.date(2026, 1, 2)},
    [uuid.UUID(int=7), Decimal("1e30"), Decimal("0.1")],
    OrderedDict([("b", 1), ("a", 2)]),
    Point(1, 2),
    {"point": Point(1, [2])},
    _deleted_int_key(),
    [True, 1, 1.0],
    {"ids": [uuid.UUID(int=1), {"more": [uuid.UUID(int=2), "x"]}], "n": 3},
    {"tag": Tag("red"), "level": Level.LOW, "tags": [Tag("a"), Tag("b")]},
    [OrderedDict(), Record(), (), Point(1, 2)[:0]],
    {"record": Record(a=1, b=[2])},
    [OrderedDict(a=[1, {"b": 2}]), uuid.UUID(int=3)],
]


@pytest.mark.parametrize("value", CORPUS, ids=lambda v: type(v).__name__)
def test_the_fast_path_writes_the_same_text_as_the_thorough_path(value: Any) -> None:
    assert encode(value) == _thorough(value)


def test_plain_values_take_the_fast_walk() -> None:
    # the walk says yes for plain values and no for what the thorough path must see
    assert cache._str_keyed(CORPUS[18])
    assert not cache._str_keyed({"a": [{1: "x"}]})
    assert not cache._str_keyed(_deleted_int_key())
    assert cache._str_keyed({"id": uuid.UUID(int=1), "on": [dt.date(2026, 1, 2), Decimal(1)]})
    assert not cache._str_keyed([Tag("a"), {"b": Tag("c")}])  # a subclass: thorough path
    assert not cache._str_keyed([uuid.UUID(int=1), {1: "x"}])
    assert not cache._str_keyed({"a": [Record(b=1)]})  # a subclass with references
    assert not cache._str_keyed([uuid.UUID(int=1), OrderedDict(a=1)])


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({1: "a"}, "value"),
        ([{"ok": 1}, {"a": {2.5: "x"}}], "value[1]['a']"),
        ({"a": [1, math.nan]}, "value['a'][1]"),
        ({"a": [math.inf]}, "value['a'][0]"),
        ({"a": {"b": {1, 2}}}, "value['a']['b']"),
        ([Decimal("NaN")], "value[0]"),
        ({"a": b"bytes"}, "value['a']"),
        ({None: 1}, "value"),
        ({"a": OrderedDict(b={1: "x"})}, "value['a']['b']"),
        ([uuid.UUID(int=1), {"a": Record({2: "x"})}], "value[1]['a']"),
        ([Point(1, {3: "x"})], "value[0][1]"),
        ([uuid.UUID(int=1), {"a": [{4: "x"}]}], "value[1]['a'][0]"),
    ],
)
def test_bad_values_raise_naming_their_path(value: Any, path: str) -> None:
    with pytest.raises(SerializationError, match=re.escape(f"cannot cache {path}:")):
        encode(value)


@pytest.mark.parametrize(
    "value",
    [_containing_itself(1), _containing_itself(40), _nested(100_000)],
    ids=["small-cycle", "large-cycle", "too-deep"],
)
@pytest.mark.parametrize(("key", "where"), [(None, "value"), ("k", "the value of 'k'")])
def test_a_cycle_or_too_deep_a_value_is_a_serialization_error(
    value: Any, key: str | None, where: str
) -> None:
    """Not a ``RecursionError``: a value that contains itself is bad input, named as such."""
    with pytest.raises(SerializationError) as info:
        encode(value, key=key)
    assert str(info.value) == (
        f"cannot cache {where}: it contains itself or nests too deeply for JSON"
    )


def test_deep_nesting_within_the_walk_and_past_it_is_encoded() -> None:
    """Nesting is refused only past the recursion limit: 300 levels are stored as JSON."""
    for depth in (5, 150, 300):  # the walk covers 200 levels; the recursive check the rest
        assert encode(_nested(depth)) == "[" * (depth + 1) + "]" * (depth + 1)
