"""The Schema classes the fast-path tests load and dump, and which of them get a fast path.

Enums, str and int subclasses, a NewType and plain dataclasses for their fields; Schemas
of every shape a fast function is built for (``FAST_MODELS``) and of those whose building
would run user code, which keep the reference loader alone (``REFERENCE_ONLY``). Shared
by ``test_fast_path_load``, ``test_fast_path_dump`` and ``_fast_path_inputs``.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal, NewType

from serpens.schema import Schema


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Size(enum.IntEnum):
    S = 1
    M = 2


class Perm(enum.Flag):
    R = 1
    W = 2


class Lenient(enum.Enum):
    A = "a"

    @classmethod
    def _missing_(cls, value: object) -> Lenient | None:
        return cls.A if value == "A" else None


class Rate(enum.Enum):  # not JSON scalars: dumped through the generic encoder
    LOW = Decimal(1)
    HIGH = Decimal(2)


class Shown(enum.Enum):  # its own value property: dumped through the generic encoder
    A = 1

    @property
    def value(self) -> str:  # type: ignore[override]
        return "shown"


class Text(str):
    __slots__ = ()


class Count(int):
    pass


UserId = NewType("UserId", int)


@dataclass
class Point:  # a plain dataclass inside Schemas
    x: float
    y: float = 0.0


@dataclass
class Line(Schema):
    sku: str
    price: Decimal
    qty: int = 1
    note: str | None = None


@dataclass
class Wide(Schema):
    id: int
    name: str
    flag: bool
    ratio: float
    amount: Decimal
    at: datetime
    color: Color
    size: Size
    perm: Perm
    lines: list[Line]
    point: Point | None = None
    tags: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    matrix: list[list[int]] = field(default_factory=list)
    kind: Literal["a", "b"] = "a"
    either: int | str = 0
    anything: Any = None
    thing: object = None
    uid: UserId = UserId(0)
    label: Annotated[str, "a label"] = ""
    day: date | None = None
    cutoff: time | None = None
    ids: tuple[int, ...] = ()
    keys: frozenset[str] = frozenset()
    by_id: dict[int, str] = field(default_factory=dict)
    later: list[Line] = field(default_factory=lambda: [])  # noqa: PIE807 - a user factory
    ref: uuid.UUID | None = None
    blob: bytes | None = None
    rate: Rate = Rate.LOW


@dataclass(frozen=True)
class Frozen(Schema):
    name: str
    n: int = 0


@dataclass(slots=True)
class Slotted(Schema):
    name: str
    tags: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class KwOnly(Schema):
    b: int = 0
    a: str


@dataclass
class BadDefault(Schema):
    n: int = "zero"  # type: ignore[assignment] - the construction check refuses it


@dataclass
class Base(Schema):
    name: str
    n: int = 0


@dataclass
class Derived(Base):
    n: float = 0.5  # type: ignore[assignment] - a subclass overriding a field's type
    extra: list[int] = field(default_factory=list)


@dataclass
class Tree(Schema):
    name: str
    kids: list[Tree] = field(default_factory=list)


@dataclass
class WithPostInit(Schema):
    n: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n < 0:
            raise ValueError("n must not be negative")


@dataclass
class HoldsPostInit(Schema):
    inner: WithPostInit


@dataclass
class WithLenient(Schema):
    value: Lenient


@dataclass
class Stamp(Schema):
    at: datetime


@dataclass
class WithShown(Schema):
    shown: Shown = Shown.A


@dataclass
class WithInitFalse(Schema):
    n: int
    m: int = field(default=0, init=False)


FAST_MODELS = [Line, Wide, Frozen, Slotted, KwOnly, BadDefault, Base, Derived, Tree, WithShown]
REFERENCE_ONLY = [WithPostInit, HoldsPostInit, WithLenient, WithInitFalse]
