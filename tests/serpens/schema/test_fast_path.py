"""The fast paths give the reference results, on generated valid and invalid input.

``Schema.load`` runs a generated fast function first and the reference loader when that
declines (``serpens.schema._fast``); ``Schema.dump`` inlines nested objects, enums,
decimals and datetimes, with msgspec formatting datetimes and UUIDs when it is installed
(``serpens.schema._dump``). Each test compares a fast path with its reference over
generated input: the same instances (types, field values, attribute order) or the same
``SchemaValidationError`` (message and every path); the same JSON-native data as
``serpens._json.to_jsonable`` (types included: ``1``, ``1.0`` and ``True`` differ), or
the same ``SerializationError``.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import subprocess
import sys
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Any, Literal, NewType
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import serpens.schema
from serpens._json import decimal_to_json, dumps, to_jsonable
from serpens.errors import SerializationError
from serpens.schema import Schema, SchemaValidationError
from serpens.schema._dump import _builtins
from serpens.schema._fast import FAST, fast_for

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


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


# --- generated input ------------------------------------------------------------------

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


# --- load -----------------------------------------------------------------------------


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


# --- dump -----------------------------------------------------------------------------


def same_json(a: Any, b: Any) -> bool:
    """Whether two JSON-native values are identical (1, 1.0 and True differ; key order counts)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return bool(a == b)


def dump_outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        return ("ok", call())
    except Exception as exc:
        return ("error", type(exc), str(exc))


VALUES = st.one_of(
    EXOTIC,
    moments,
    st.times(timezones=zones),
    st.dates(),
    st.uuids(),
    decimals,
    st.decimals(),
    st.sampled_from(Size) | st.sampled_from(Color),
    st.lists(st.integers() | text, max_size=3),
    st.sets(st.integers(), max_size=3),
    st.dictionaries(st.integers() | text, st.integers(), max_size=3),
    lines,
    st.builds(Point, finite),
)


@st.composite
def dumpable(draw: st.DrawFn) -> Any:
    """An instance, sometimes with fields (its own or nested) set to arbitrary values."""
    instance = draw(instances)
    targets = [instance]
    for name in ("lines", "point", "kids", "inner"):
        nested = getattr(instance, name, None)
        targets += nested if isinstance(nested, list) else [nested] if nested is not None else []
    for target in draw(st.lists(st.sampled_from(targets), max_size=3)):
        names = [f.name for f in dataclasses.fields(target)]
        object.__setattr__(target, draw(st.sampled_from(names)), draw(VALUES))
    return instance


@SETTINGS
@given(dumpable())
def test_dump_agrees_with_the_generic_encoder(instance: Any) -> None:
    reference = dump_outcome(lambda: to_jsonable(instance))
    for fast in (
        dump_outcome(instance.dump),
        dump_outcome(lambda: type(instance).dump(instance)),
        dump_outcome(lambda: type(instance).dump([instance], many=True)[0]),
        dump_outcome(lambda: instance.dump(many=False)),
    ):
        assert fast[0] == reference[0], (fast, reference)
        if fast[0] == "ok":
            assert same_json(fast[1], reference[1]), (fast[1], reference[1])
        else:
            assert fast == reference
    if reference[0] == "ok":
        text_outcome = dump_outcome(instance.dumps)
        assert text_outcome == dump_outcome(lambda: dumps(reference[1]))


def test_the_first_bad_field_raises_when_a_list_of_objects_follows_it() -> None:
    """Lists of dataclasses are dumped by a loop of their own; fields still go in order."""
    line = Line("a", Decimal(1))
    wide = Wide(1, "n", True, 1.0, Decimal(1), datetime(2026, 1, 1, tzinfo=UTC), Color.RED,
                Size.S, Perm.R, [line])  # fmt: skip
    object.__setattr__(wide, "ratio", float("nan"))  # before `lines`: this one is named
    object.__setattr__(line, "price", object())
    reference = dump_outcome(lambda: to_jsonable(wide))
    assert reference[0] == "error"
    assert dump_outcome(wide.dump) == reference
    object.__setattr__(wide, "ratio", 1.0)  # now the bad line raises, as the encoder says
    assert dump_outcome(wide.dump) == dump_outcome(lambda: to_jsonable(wide))
    assert dump_outcome(wide.dump) != reference


@SETTINGS
@given(st.one_of(moments, st.datetimes(), st.datetimes(timezones=st.just(UTC))))
def test_datetimes_have_the_isoformat_text(moment: datetime) -> None:
    assert Stamp(moment).dump() == {"at": moment.isoformat()}


def test_msgspec_formats_datetimes_and_uuids_when_installed() -> None:
    assert _builtins() is msgspec.to_builtins


_WITHOUT_MSGSPEC = """
import importlib.abc, sys, uuid
from dataclasses import dataclass
from datetime import UTC, datetime

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] == "msgspec":
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)

sys.meta_path.insert(0, Blocker())
from serpens.schema import Schema
from serpens.schema._dump import _builtins

@dataclass
class Stamp(Schema):
    at: datetime
    ref: uuid.UUID

at, ref = datetime(2024, 5, 1, 12, 30, tzinfo=UTC), uuid.uuid4()
assert Stamp(at, ref).dump() == {"at": at.isoformat(), "ref": str(ref)}
assert _builtins() is None
print("ok")
"""


def test_without_msgspec_the_standard_library_formats() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_MSGSPEC], capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_dump_many_on_an_instance_fails_as_before() -> None:
    with pytest.raises(TypeError, match="not iterable"):
        Line("a", Decimal(1)).dump(many=True)


# --- decimal_to_json ------------------------------------------------------------------


def plain_rule(value: Decimal) -> int | float | str:
    """decimal_to_json before its shortcuts: the rule they must keep."""
    if not value.is_finite():
        raise SerializationError(f"cannot encode non-finite Decimal {value} as JSON")
    text = str(value)
    as_float = float(text)
    if repr(as_float) == text:
        return as_float
    if value == value.to_integral_value() and value.adjusted() < 64:
        return int(value)
    if Decimal(repr(as_float)) == value:
        return as_float
    return text


decimal_texts = st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{0,18})?(E[+-]?[0-9]{1,3})?", fullmatch=True)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.decimals(), decimal_texts.map(Decimal), st.floats().map(repr).map(Decimal)))
def test_decimal_to_json_keeps_its_rule(value: Decimal) -> None:
    assert dump_outcome(lambda: decimal_to_json(value)) == dump_outcome(lambda: plain_rule(value))
    result = dump_outcome(lambda: decimal_to_json(value))
    if result[0] == "ok":
        assert type(result[1]) is type(plain_rule(value))


@pytest.mark.parametrize(
    "text",
    [
        "19.99",
        "5.50",
        "100",
        "-100",
        "0.0001",
        "0.00001",
        "-0.0",
        "1.0",
        "1E+2",
        "0.1000000000000000055511151231257827",
        "123456789012345.6",
        "12345678901234.5",
        "1" * 64,
        "1" * 65,
        "9007199254740993",
        "-0.00012",
    ],
)
def test_decimal_to_json_examples_keep_their_rule(text: str) -> None:
    value = Decimal(text)
    assert type(decimal_to_json(value)) is type(plain_rule(value))
    assert json.dumps(decimal_to_json(value)) == json.dumps(plain_rule(value))
