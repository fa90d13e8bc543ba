"""The compiled dumpers agree with the generic encoder where they stop inlining.

Survivors of the mutation run of ``serpens.schema._dump``: the generated dumper inlines
lists and nested dataclasses down to a depth (``_MAX_DEPTH``) and then calls per-type
dumpers (``_field_dumper``: ``_list``, ``_float``, ``_optional``, ``_exact``,
``_scalar``, ``_nested``, ``_enum``), and a class that nests itself, a non-plain enum or a
class whose annotations cannot be resolved take them too. No generated instance reached
those, so here each annotation kind sits five lists deep, inside a self-nesting class and
under long chains of classes, holding its own type and mistyped values (a NaN, a string,
another dataclass, a tuple for a list); ``dump`` must give exactly what
``serpens._json.to_jsonable`` gives, or raise the same error.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from serpens._json import to_jsonable
from serpens.schema import Schema
from tests.serpens.schema._schema_helpers import dump_outcome, same_json

NAN = float("nan")


class Color(enum.Enum):
    RED = "red"


class Shown(enum.Enum):  # its own value property: not a plain enum
    A = 1

    @property
    def value(self) -> str:  # type: ignore[override]
        return "shown"


class Rate(enum.Enum):  # values that are no JSON scalars: not a plain enum
    LOW = Decimal("1.5")


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0


@dataclasses.dataclass
class Other:
    name: str = "other"


@dataclasses.dataclass
class Tree(Schema):
    name: str
    kids: list[Tree] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Unresolved:
    ref: Missing  # type: ignore[name-defined]  # noqa: F821 - never defined: no type hints


def assert_dumps_as_encoder(instance: Any) -> None:
    """``dump`` (each spelling) gives the generic encoder's data or error."""
    reference = dump_outcome(lambda: to_jsonable(instance))
    for dumped in (
        dump_outcome(instance.dump),
        dump_outcome(lambda: Schema.dump([instance], many=True)[0]),
    ):
        assert dumped[0] == reference[0], (dumped, reference)
        if dumped[0] == "ok":
            assert same_json(dumped[1], reference[1]), (dumped[1], reference[1])
        else:
            assert dumped == reference


def model(hint: Any, name: str = "M") -> type:
    """A Schema dataclass with one field ``x`` annotated *hint*."""
    return dataclasses.make_dataclass(name, [("x", hint)], bases=(Schema,))


def contexts(hint: Any, value: Any) -> list[Any]:
    """Instances holding *value* in a field *hint*: alone, nested once, nested six deep.

    The field is dumped by the class's own generated function, by its parent's inlined
    dict display, and by a dumper called past the inlining depth.
    """
    cls = model(hint)
    out = []
    for levels in (0, 1, 6):
        instance = cls.__new__(cls)
        object.__setattr__(instance, "x", value)
        kind: type = cls
        for level in range(levels):
            kind = model(kind, f"W{level}")
            outer = kind.__new__(kind)
            object.__setattr__(outer, "x", instance)
            instance = outer
        out.append(instance)
    return out


def deep(hint: Any) -> Any:
    """``list[list[list[list[list[hint]]]]]``: past the depth the dumper inlines lists."""
    for _ in range(5):
        hint = list[hint]
    return hint


def wrap(value: Any, times: int = 5) -> Any:
    for _ in range(times):
        value = [value]
    return value


MOMENT = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
ID = uuid.UUID("12345678-9abc-4def-8123-456789abcdef")

ITEMS: dict[Any, list[Any]] = {
    float: [1.5, -0.0, NAN, float("inf"), 1, Decimal(1), Decimal("NaN"), "s", True, None],
    int: [1, True, 1.5, NAN, Decimal(1), "s", None],
    str: ["s", 1, Decimal(2), NAN],
    Decimal: [Decimal("1.10"), Decimal("NaN"), "s", 1.5, NAN],
    datetime: [MOMENT, datetime(2024, 5, 1), date(2024, 5, 1), "s", NAN],  # noqa: DTZ001
    date: [date(2024, 5, 1), MOMENT, "s"],
    time: [time(12, 30), "s"],
    uuid.UUID: [ID, "s", 5],
    int | None: [None, 1, "s", NAN, Decimal(3)],
    float | None: [None, 2.5, NAN, Decimal(3)],
    list[int]: [[1, 2], [1, "a"], (1, 2), "s", 5, [NAN]],
    list[float]: [[1.5], (1.5,), [NAN], "s", 5],
    int | str: [1, "s", NAN],
    Point: [Point(1.0), Point(NAN), Other(), "s", NAN, None],
    Point | None: [None, Point(2.0), Other(), "s", NAN],
    Shown: [Shown.A, Color.RED, "s", NAN],
    Rate: [Rate.LOW, Color.RED, NAN],
    Color: [Color.RED, Shown.A, "s", NAN],
    Tree: [Tree("a", [Tree("b")]), Point(1.0), "s"],
    Unresolved: [Unresolved(1), Unresolved(NAN), Other()],
}

CASES = [
    pytest.param(hint, value, id=f"{getattr(hint, '__name__', hint)}-{index}")
    for hint, values in ITEMS.items()
    for index, value in enumerate(values)
]


@pytest.mark.parametrize(("hint", "value"), CASES)
def test_a_field_dumps_as_the_generic_encoder(hint: Any, value: Any) -> None:
    """Each annotation kind, holding its type or not, as a field at three depths."""
    for instance in contexts(hint, value):
        assert_dumps_as_encoder(instance)


@pytest.mark.parametrize(("hint", "value"), CASES)
def test_an_item_five_lists_deep_dumps_as_the_generic_encoder(hint: Any, value: Any) -> None:
    """The per-type dumpers behind lists nested past ``_MAX_DEPTH``, given each value."""
    for instance in contexts(deep(hint), wrap(value)):
        assert_dumps_as_encoder(instance)


@pytest.mark.parametrize(
    "innermost", [(1.5,), "s", 5, NAN, None, [1.5], ((1, 2),)], ids=lambda v: repr(v)[:8]
)
def test_a_list_past_the_inlined_depth_dumps_as_the_generic_encoder(innermost: Any) -> None:
    """The fifth list of ``list[...[list[float]]]`` holding a tuple, a string, a number."""
    for hint in (deep(float), deep(int), deep(Decimal), deep(Point), deep(int | None)):
        for instance in contexts(hint, wrap(innermost, 4)):
            assert_dumps_as_encoder(instance)


@pytest.mark.parametrize("leaf", [Tree("leaf"), Point(1.0), "s", NAN, None])
def test_a_class_nesting_itself_dumps_as_the_generic_encoder(leaf: Any) -> None:
    """``Tree.kids: list[Tree]`` calls Tree's own dumper; a kid of another type is encoded."""
    root = Tree("root", [Tree("a", [Tree("b")])])
    object.__setattr__(root.kids[0].kids[0], "kids", [leaf])
    assert_dumps_as_encoder(root)
    object.__setattr__(root, "kids", leaf)
    assert_dumps_as_encoder(root)


def chain(length: int, optional: bool, bottom: Any) -> Any:
    """Classes ``C0 .. C{length}``, each with ``x: C{n-1}`` (or ``| None``), nested."""
    kinds = [model(int, "C0")]
    for level in range(1, length + 1):
        inner = kinds[-1]
        kinds.append(model(inner | None if optional else inner, f"C{level}"))
    value = bottom
    for kind in kinds:
        instance = kind.__new__(kind)
        object.__setattr__(instance, "x", value)
        value = instance
    return value


@pytest.mark.parametrize("optional", [False, True])
@pytest.mark.parametrize("bottom", [3, "s", NAN, None, Other()])
def test_a_long_chain_of_classes_dumps_as_the_generic_encoder(optional: bool, bottom: Any) -> None:
    """80 classes nested in one another: inlined to a depth, then called, never too deep.

    Inlining them all would build an expression Python cannot compile (too many nested
    parentheses); every level must still dump as the generic encoder does.
    """
    assert_dumps_as_encoder(chain(80, optional, bottom))


def test_a_list_nested_150_deep_dumps_as_the_generic_encoder() -> None:
    """``list[list[...]]`` 150 deep: inlined to a depth, then dumped by called dumpers."""
    hint: Any = float
    for _ in range(150):
        hint = list[hint]
    for innermost in (1.5, NAN, "s"):
        for instance in contexts(hint, wrap(innermost, 150)):
            assert_dumps_as_encoder(instance)


def test_dump_many_encodes_items_that_are_no_dataclass() -> None:
    """``Schema.dump(items, many=True)`` encodes each item; a plain value is not lost."""
    assert Schema.dump([{"a": Decimal("1.5")}, 5, Tree("t")], many=True) == [
        {"a": 1.5},
        5,
        {"name": "t", "kids": []},
    ]
