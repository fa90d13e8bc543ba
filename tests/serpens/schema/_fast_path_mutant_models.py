"""Schema classes for ``test_fast_path_mutants``: field shapes and classes that run user code.

``Shapes`` has one field per branch of the fast function's code generator (exact types,
optionals, floats, ``Decimal``, ``datetime``, enums, nested dataclasses, lists and dicts
of every kind, defaults and default factories). The other classes run user code while
they are built (a ``__new__``, a ``__setattr__``, a data descriptor, an ``__init__`` of
their own, a nested ``__post_init__``), and count how often it runs: a class that runs
user code must keep the reference loader alone, or that code runs twice on bad input.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, NewType, Self

from serpens.errors import FieldError, ValidationError
from serpens.schema import Schema

CALLS: list[str] = []
"""What user code ran, in order; tests clear it first."""


class Color(enum.Enum):
    RED = "red"
    ONE = 1


class Rate(enum.Enum):
    LOW = Decimal(1)


@dataclass
class Spot:
    x: float
    y: float = 0.0


@dataclass
class Item(Schema):
    sku: str
    qty: int = 1


@dataclass
class Shapes(Schema):
    name: str
    ratio: float
    amount: Decimal
    at: datetime
    color: Color
    rate: Rate
    item: Item
    spot: Spot | None
    note: str | None
    label: Annotated[str, "a label"]
    either: int | str
    day: date
    items: list[Item]
    spots: list[Spot]
    tags: list[str]
    anything: list[Any]
    bare: list  # type: ignore[type-arg]  # a list of anything
    days: list[date]
    seq: Sequence[int]
    names: frozenset[str]
    scores: dict[str, int]
    meta: dict[str, Any]
    plain: dict  # type: ignore[type-arg]  # a dict of anything
    by_id: dict[int, str]
    floats: dict[str, float]
    spot_by: dict[str, Spot]
    mapping: Mapping[str, str]
    pair: tuple[int, None]
    old_pair: typing.Tuple[int, None]  # noqa: UP006 - its None is NoneType, as in X | None
    free: Any
    maybe: int | str | None = None
    qty: int = 1
    loose: Any = field(default_factory=dict)
    more: list[str] = field(default_factory=list)
    odd: int | str = field(default_factory=lambda: 0)


SHAPES: dict[str, Any] = {
    "name": "n",
    "ratio": 2,
    "amount": "1.50",
    "at": "2024-05-01T12:30:00+00:00",
    "color": "red",
    "rate": 1,
    "item": {"sku": "a", "qty": 2},
    "spot": {"x": 1.5},
    "note": "x",
    "label": "l",
    "either": "e",
    "day": "2024-01-02",
    "items": [{"sku": "b"}],
    "spots": [{"x": 1.0, "y": 2.0}],
    "tags": ["t", "u"],
    "anything": [1, "a", None],
    "bare": [[1], {}],
    "days": ["2024-01-03"],
    "seq": [1, 2],
    "names": ["k"],
    "scores": {"s": 1},
    "meta": {"m": [None]},
    "plain": {"p": 1.5},
    "by_id": {"1": "one"},
    "floats": {"f": 1},
    "spot_by": {"s": {"x": 0.5}},
    "mapping": {"k": "v"},
    "pair": [1, None],
    "old_pair": [2, None],
    "free": {"any": "thing"},
}
"""A valid input for ``Shapes``, every field set but those with defaults."""


@dataclass
class Tree(Schema):
    name: str
    kids: list[Tree] = field(default_factory=list)


@dataclass
class BadDefault(Schema):
    n: int | None = "zero"  # type: ignore[assignment]  # the construction check refuses it


@dataclass
class NoneFactory(Schema):
    n: int | str = field(default_factory=lambda: None)  # type: ignore[assignment]


@dataclass
class NoneDefault(Schema):
    note: str = None  # type: ignore[assignment]  # serpens 2.9: admits None


@dataclass
class Floats(Schema):
    ratio: float
    maybe: float | None = None


class Shout(enum.Enum):
    A = "a"

    @staticmethod
    def _missing_(value: object) -> Shout | None:
        return Shout.A if value == "A" else None


@dataclass
class HasShout(Schema):
    shout: Shout


@dataclass
class Reported(Schema):
    n: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n < 0:
            errors = [FieldError(path="n", message="must not be negative")]
            raise ValidationError("bad", [*errors, FieldError(path="", message="overall")])


@dataclass
class Counted:
    v: int

    def __post_init__(self) -> None:
        CALLS.append("post_init")


CountedId = NewType("CountedId", Counted)


@dataclass
class InOptional(Schema):
    inner: Counted | None
    n: int


@dataclass
class InNestedList(Schema):
    inner: list[list[Counted]]
    n: int


@dataclass
class InNewType(Schema):
    inner: CountedId
    n: int


class Counter:
    """A data descriptor field: counts the stores, holds the value per instance."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = "_" + name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        return 0 if obj is None else getattr(obj, self.name)

    def __set__(self, obj: object, value: Any) -> None:
        CALLS.append("set")
        object.__setattr__(obj, self.name, value)


@dataclass
class WithDescriptor(Schema):
    a: int = Counter()  # type: ignore[assignment]  # a descriptor-typed field
    n: int = 0


@dataclass(slots=True)
class SlotBase(Schema):
    s: str


@dataclass
class SlotThenDescriptor(SlotBase):
    a: int = Counter()  # type: ignore[assignment]  # a descriptor-typed field
    n: int = 0


@dataclass
class WithNew(Schema):
    a: int
    n: int

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        CALLS.append("new")
        return super().__new__(cls)


@dataclass
class WithSetattr(Schema):
    a: int
    n: int

    def __setattr__(self, name: str, value: Any) -> None:
        CALLS.append("setattr")
        super().__setattr__(name, value)


@dataclass(init=False)
class OwnInit(Schema):
    name: str

    def __init__(self, name: str) -> None:
        self.name = name.upper()


_namespace: dict[str, Any] = {}
exec("def __init__(self, name):\n    self.name = name.upper()", _namespace)


@dataclass(init=False)
class ExecInit(Schema):
    name: str
    __init__ = _namespace["__init__"]


@dataclass(init=False)
class NoInit(Schema):
    name: str


@dataclass
class WithInitVar(Schema):
    name: str
    token: InitVar[str | None] = None
