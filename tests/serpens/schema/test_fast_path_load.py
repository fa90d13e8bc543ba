"""The load fast path gives the reference results, on generated valid and invalid input.

``Schema.load`` runs a generated fast function first and the reference loader when that
declines (``serpens.schema._fast``). Each test compares the fast path with the reference
loader over generated input: the same instances (types, field values, attribute order)
or the same ``SchemaValidationError`` (message and every path).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import serpens.schema
from serpens.schema import SchemaValidationError
from serpens.schema._fast import FAST, fast_for
from tests.serpens.schema._fast_path_inputs import (
    _DROP,
    ODD_VALUES,
    SETTINGS,
    _paths,
    _replaced,
    _wrapped,
    lines,
    loadable,
    trees,
    wides,
)
from tests.serpens.schema._fast_path_models import (
    FAST_MODELS,
    REFERENCE_ONLY,
    BadDefault,
    Color,
    Derived,
    Frozen,
    HoldsPostInit,
    KwOnly,
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
    WithInitFalse,
    WithLenient,
    WithPostInit,
)


@contextmanager
def reference_only() -> Iterator[None]:
    """Load through the reference loaders alone (serpens.schema's private switch)."""
    serpens.schema._USE_FAST_PATH = False
    try:
        yield
    finally:
        serpens.schema._USE_FAST_PATH = True


def same(a: Any, b: Any) -> bool:  # noqa: PLR0911 - one rule per kind of value
    """Whether *a* and *b* are the same value: types, digits, offsets and order included."""
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        if hasattr(a, "__dict__") and list(vars(a)) != list(vars(b)):
            return False
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return same(list(a), list(b)) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float | Decimal):
        return repr(a) == repr(b)
    if isinstance(a, datetime | time):
        return a.isoformat() == b.isoformat() and a.tzinfo == b.tzinfo
    return bool(a == b)


def outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        return ("ok", call())
    except SchemaValidationError as exc:
        return ("invalid", str(exc), [(e.path, e.message) for e in exc.errors])
    except Exception as exc:
        return ("error", type(exc), str(exc))


def assert_same_outcome(fast: tuple[Any, ...], reference: tuple[Any, ...]) -> None:
    assert fast[0] == reference[0], (fast, reference)
    if fast[0] == "ok":
        assert same(fast[1], reference[1]), (fast[1], reference[1])
    else:
        assert fast == reference


def test_fast_functions_exist_exactly_where_building_runs_no_user_code() -> None:
    for model in FAST_MODELS:
        assert fast_for(model) is not None, model
    for model in REFERENCE_ONLY:
        assert fast_for(model) is None, model
        assert FAST[model] is None


@SETTINGS
@given(st.one_of(lines, wides, trees))
def test_valid_dumps_load_through_the_fast_path(instance: Any) -> None:
    data = instance.dump()
    fast = fast_for(type(instance))
    assert fast is not None
    loaded = fast(data)  # raises if the fast path declined: it must not, on valid data
    with reference_only():
        reference = type(instance).load(data)
    assert same(loaded, reference)
    assert same(type(instance).load(data), reference)


@SETTINGS
@given(loadable())
def test_load_agrees_with_the_reference_loader(case: tuple[type, Any]) -> None:
    kind, data = case
    fast = outcome(lambda: kind.load(data))  # type: ignore[attr-defined]
    with reference_only():
        reference = outcome(lambda: kind.load(data))  # type: ignore[attr-defined]
    assert_same_outcome(fast, reference)


@SETTINGS
@given(st.lists(loadable(), max_size=4))
def test_load_many_agrees_with_the_reference_loader(cases: list[tuple[type, Any]]) -> None:
    data = [item for _, item in cases]
    for kind in {kind for kind, _ in cases} or {Line}:
        fast = outcome(lambda kind=kind: kind.load(data, many=True))  # type: ignore[attr-defined]
        with reference_only():
            reference = outcome(lambda kind=kind: kind.load(data, many=True))  # type: ignore[attr-defined]
        assert_same_outcome(fast, reference)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (Line, {"sku": Text("a"), "price": "1"}),  # a str subclass is kept as is
        (Line, {"sku": "a", "price": "1", "qty": Size.M}),  # an IntEnum stays an IntEnum
        (Line, {"sku": "a", "price": "1", "qty": True}),
        (Line, {"sku": "a", "price": "NaN"}),
        (Line, {"sku": "a", "price": 0.1}),
        (Wide, {"tags": {"a"}}),  # a set is no list
        (Slotted, {"name": "a", "tags": ("x",)}),  # a tuple is
        (BadDefault, {}),  # the construction check refuses the default
        (BadDefault, {"n": 1}),
        (KwOnly, {"a": "x"}),
        (Derived, {"name": "a", "n": 1}),
        (Tree, {"name": "a", "kids": [{"name": "b", "kids": [{"name": 1}]}]}),
        (WithPostInit, {"n": -1}),
        (WithLenient, {"value": "A"}),
        (WithInitFalse, {"n": 1, "m": 5}),
        (Frozen, MappingProxyType({"name": "a"})),
        (Line, Line("a", Decimal(1))),
    ],
)
def test_edge_cases_agree_with_the_reference_loader(kind: type, data: Any) -> None:
    fast = outcome(lambda: kind.load(data))  # type: ignore[attr-defined]
    with reference_only():
        reference = outcome(lambda: kind.load(data))  # type: ignore[attr-defined]
    assert_same_outcome(fast, reference)


BASES: list[Any] = [
    Wide(
        id=7,
        name="n",
        flag=True,
        ratio=0.5,
        amount=Decimal("19.99"),
        at=datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
        color=Color.RED,
        size=Size.M,
        perm=Perm.R | Perm.W,
        lines=[Line("a", Decimal("1.50"), 2, "x"), Line("b", Decimal(3))],
        point=Point(1.5, -2.0),
        tags=["t"],
        scores={"s": 1},
        meta={"m": None},
        matrix=[[1], []],
        kind="b",
        either="e",
        anything=[1],
        thing="x",
        uid=UserId(3),
        label="l",
        day=date(2024, 1, 2),
        cutoff=time(18, 0),
        ids=(1, 2),
        keys=frozenset({"k"}),
        by_id={1: "one"},
        later=[Line("c", Decimal("0.1"))],
        ref=uuid.UUID(int=5),
        blob=b"\x00",
        rate=Rate.HIGH,
    ),
    Tree("root", [Tree("kid", [Tree("leaf")])]),
    Frozen("f", 1),
    Slotted("s", ["a"]),
    KwOnly(a="a", b=2),
    Derived("d", 1.5, [1]),
    HoldsPostInit(WithPostInit(1)),
]


@pytest.mark.parametrize("base", BASES, ids=lambda base: type(base).__name__)
def test_every_odd_value_at_every_node_agrees_with_the_reference_loader(base: Any) -> None:
    kind, data = type(base), base.dump()
    assert kind.load(data) == base
    for path in _paths(data):
        node: Any = data
        for part in path:
            node = node[part]
        changes = [*ODD_VALUES, _wrapped(node)] + ([_DROP] if path else [])
        for new in changes:
            case = _replaced(data, path, new)
            fast = outcome(lambda case=case: kind.load(case))
            with reference_only():
                reference = outcome(lambda case=case: kind.load(case))
            assert_same_outcome(fast, reference)


def test_missing_keys_take_their_defaults_on_the_fast_path() -> None:
    data = {k: v for k, v in BASES[0].dump().items() if k in REQUIRED_WIDE}
    fast = fast_for(Wide)
    assert fast is not None
    with reference_only():
        reference = Wide.load(data)
    assert same(fast(data), reference)
    assert same(fast_for(Derived)({"name": "d"}), Derived("d"))  # type: ignore[misc]
    assert same(fast_for(KwOnly)({"a": "x"}), KwOnly(a="x"))  # type: ignore[misc]


REQUIRED_WIDE = [
    f.name
    for f in dataclasses.fields(Wide)
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
]


def test_an_int_subclass_and_a_str_subclass_keep_their_types() -> None:
    line = Line.load({"sku": Text("a"), "price": "1", "qty": Size.M})
    assert type(line.sku) is Text
    assert line.qty is Size.M
