"""The generated input of the fast-path tests: hypothesis strategies and odd values.

Instances of the models in ``_fast_path_models``, the odd values put at any node of
their dumps, and the changes (replace, drop, re-wrap) that turn a valid dump into
input the fast path and the reference loader must agree on. Shared by
``test_fast_path_load`` and ``test_fast_path_dump``.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from serpens.errors import SerializationError
from tests.serpens.schema._fast_path_models import (
    Base,
    Color,
    Count,
    Derived,
    Frozen,
    HoldsPostInit,
    KwOnly,
    Lenient,
    Line,
    Perm,
    Point,
    Rate,
    Size,
    Slotted,
    Text,
    Tree,
    UserId,
    Wide,
    WithLenient,
    WithPostInit,
    WithShown,
)

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


text = st.text(max_size=6)
finite = st.floats(allow_nan=False, allow_infinity=False)
decimals = st.decimals(allow_nan=False, allow_infinity=False) | st.decimals(
    places=2, max_value=10**6, min_value=-(10**6)
)
zones = st.sampled_from(
    [
        None,
        UTC,
        timezone(timedelta(hours=-3)),
        timezone(timedelta(hours=5, minutes=30, seconds=15)),  # isoformat keeps the seconds
        ZoneInfo("America/Recife"),
    ]
)
moments = st.datetimes(timezones=zones)
lines = st.builds(Line, text, decimals, st.integers(), st.none() | text)
wides = st.builds(
    Wide,
    id=st.integers(),
    name=text,
    flag=st.booleans(),
    ratio=finite,
    amount=decimals,
    at=moments,
    color=st.sampled_from(Color),
    size=st.sampled_from(Size),
    perm=st.sampled_from([Perm.R, Perm.W, Perm.R | Perm.W]),
    lines=st.lists(lines, max_size=3),
    point=st.none() | st.builds(Point, finite, finite),
    tags=st.lists(text, max_size=3),
    scores=st.dictionaries(text, st.integers(), max_size=3),
    meta=st.dictionaries(text, st.none() | st.integers() | text, max_size=3),
    matrix=st.lists(st.lists(st.integers(), max_size=3), max_size=3),
    kind=st.sampled_from(["a", "b"]),
    either=st.integers() | text,
    anything=st.none() | st.integers() | text,
    thing=st.none() | text,
    uid=st.integers().map(UserId),
    label=text,
    day=st.none() | st.dates(),
    cutoff=st.none() | st.times(),
    ids=st.lists(st.integers(), max_size=3).map(tuple),
    keys=st.frozensets(text, max_size=3),
    by_id=st.dictionaries(st.integers(), text, max_size=3),
    later=st.lists(lines, max_size=2),
    ref=st.none() | st.uuids(),
    blob=st.none() | st.binary(max_size=4),
    rate=st.sampled_from(Rate),
)
trees = st.recursive(
    st.builds(Tree, text),
    lambda kids: st.builds(Tree, text, st.lists(kids, max_size=3)),
    max_leaves=6,
)
instances: st.SearchStrategy[Any] = st.one_of(
    lines,
    wides,
    trees,
    st.builds(Frozen, text, st.integers()),
    st.builds(Slotted, text, st.lists(text, max_size=2)),
    st.builds(KwOnly, a=text, b=st.integers()),
    st.builds(Base, text, st.integers()),
    st.builds(Derived, text, finite, st.lists(st.integers(), max_size=2)),
    st.builds(WithPostInit, st.integers(min_value=0)),
    st.builds(HoldsPostInit, st.builds(WithPostInit, st.integers(min_value=0))),
    st.builds(WithLenient, st.just(Lenient.A)),
    st.builds(WithShown),
)

ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**70,
    1.5,
    -0.0,
    float("nan"),
    float("inf"),
    1e308 * 10,
    "",
    "x",
    "A",
    "a",
    "red",
    "2024-05-01T12:30:00Z",
    "2024-05-01",
    "12:30",
    "19.99",
    "NaN",
    " 1.5 ",
    "1_000",
    str(uuid.UUID(int=1)),
    "AAE=",
    "Infinity",
    "1e5",
    "20240501T123000",
    "2024-05-01 12:30:00.1234567",
    3,
    1.0,
    2**1100,
    -(2**63),
    Decimal(1),
    Decimal("1.50"),
    Decimal("NaN"),
    Decimal("-Infinity"),
    Text("x"),
    Text("red"),
    Count(3),
    Size.M,
    Color.RED,
    Perm.R | Perm.W,
    datetime(2024, 1, 1),  # noqa: DTZ001 - naive on purpose
    datetime(2024, 1, 1, tzinfo=UTC),
    date(2024, 1, 1),
    (1, 2),
    [1, "a"],
    [{"sku": "a", "price": "1"}],
    {1, 2},
    frozenset({"a"}),
    {"a": 1},
    {1: "a"},
    OrderedDict(sku="a", price="1"),
    MappingProxyType({"sku": "a", "price": "1", "name": "n"}),
    Line("a", Decimal(1)),
    Point(1.0),
    b"x",
    bytearray(b"x"),
]
EXOTIC = st.sampled_from(ODD_VALUES)


_DROP = object()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of *value* with the node at *path* replaced by *new* (or dropped: _DROP)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        out = dict(value)
        if not rest and new is _DROP:
            del out[head]
        else:
            out[head] = _replaced(value[head], rest, new)
        return out
    items = list(value)
    if not rest and new is _DROP:
        del items[head]
    else:
        items[head] = _replaced(items[head], rest, new)
    return items


def _wrapped(value: Any) -> Any:
    """A container in another container type: a dict as OrderedDict, a list as tuple."""
    if isinstance(value, dict):
        return OrderedDict(value)
    if isinstance(value, list):
        return tuple(value)
    return value


@st.composite
def mutated(draw: st.DrawFn, data: Any) -> Any:
    """*data* with up to two nodes replaced by an odd value, dropped or re-wrapped."""
    for _ in range(draw(st.integers(0, 2))):
        path = draw(st.sampled_from(list(_paths(data))))
        change = draw(st.sampled_from(["odd", "odd", "odd", "drop", "wrap", "unknown key"]))
        if change == "drop" and path:
            data = _replaced(data, path, _DROP)
        elif change == "wrap":
            node: Any = data
            for part in path:
                node = node[part]
            data = _replaced(data, path, _wrapped(node))
        elif change == "unknown key" and isinstance(data, dict):
            data = {**data, "unknown": draw(EXOTIC)}
        else:
            data = _replaced(data, path, draw(EXOTIC))
    return data


@st.composite
def loadable(draw: st.DrawFn) -> tuple[type, Any]:
    """A Schema class and data for it: a valid dump, mostly with a node or two changed."""
    instance = draw(instances)
    try:
        data = instance.dump()
    except SerializationError:
        data = {}
    return type(instance), draw(mutated(data))
