"""Per-class dumpers for :meth:`Schema.dump`, compiled once from the field annotations.

Each class gets one generated function (as attrs and dataclasses generate ``__init__``):
one dict display in which scalars are copied, nested dataclasses (and lists of them)
are dict displays too, and ``Decimal``, ``datetime``, ``date``, ``time``, ``UUID`` and
enum values are converted inline; every value is tested for its exact declared type
first (a float for being finite too) and takes the generic
:func:`serpens._json.to_jsonable` when it has another, which refuses NaN and infinities
as ``dumps`` does; so the output, or the error, is exactly what the generic encoder
would produce, only faster
(``tests/serpens/schema/test_fast_path_dump.py`` compares the two on generated instances).

When msgspec is installed (``serpens[fast]``), it writes naive and UTC datetimes and
UUIDs, in C: the same text as ``isoformat()``/``str()`` (``+00:00``, not msgspec's
``Z``), checked against the standard library when first imported (see
:func:`_builtins`). A field's value must be one of these exact types for this, as for
every inline conversion, and any other value is dumped as before.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import threading
import types
import typing
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from serpens._json import decimal_to_json, to_jsonable

__all__ = ["COMPILED", "dump_any", "dumper_for"]

Dumper = Callable[[Any], Any]

_dumpers: dict[type, Dumper] = {}
COMPILED: typing.Mapping[type, Dumper] = _dumpers
"""The dumpers compiled so far, by class (read-only view for a lock-free fast path)."""
_lock = threading.RLock()  # compiling a class compiles its nested classes
_SCALARS = (str, int, float, bool)
_KEPT = (str, int, bool)  # scalars dumped as they are; a float is checked (NaN is no JSON)


def _exact(kind: type, convert: Dumper) -> Dumper:
    def dump(value: Any) -> Any:
        return convert(value) if type(value) is kind else to_jsonable(value)

    return dump


def _scalar(kind: type) -> Dumper:
    def dump(value: Any) -> Any:
        return value if type(value) is kind else to_jsonable(value)

    return dump


def _float(value: Any) -> Any:
    """A finite float as is; NaN, infinities and other types go to the generic rules."""
    return value if type(value) is float and value - value == 0.0 else to_jsonable(value)


def _enum(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        inner = value.value
        return inner if type(inner) in _KEPT else to_jsonable(inner)
    return to_jsonable(value)


def _optional(inner: Dumper) -> Dumper:
    def dump(value: Any) -> Any:
        return None if value is None else inner(value)

    return dump


def _list(item: Dumper) -> Dumper:
    def dump(value: Any) -> Any:
        if type(value) is list:
            return [item(v) for v in value]
        return to_jsonable(value)

    return dump


def _nested(kind: type) -> Dumper:
    cell: list[Dumper] = []

    def dump(value: Any) -> Any:
        if type(value) is not kind:
            return to_jsonable(value)
        if not cell:
            cell.append(dumper_for(kind))
        return cell[0](value)

    return dump


_TYPED: dict[Any, Dumper] = {
    datetime: _exact(datetime, datetime.isoformat),
    date: _exact(date, date.isoformat),
    time: _exact(time, time.isoformat),
    Decimal: _exact(Decimal, decimal_to_json),
    uuid.UUID: _exact(uuid.UUID, str),
    **{kind: _scalar(kind) for kind in _KEPT},
    float: _float,
}


def _field_dumper(hint: Any) -> Dumper:  # noqa: PLR0911 - one exit per annotation kind
    if hint in _TYPED:
        return _TYPED[hint]
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in args if a is not type(None)]
        if len(members) == 1:
            return _optional(_field_dumper(members[0]))
        return to_jsonable
    if origin is list and args:
        return _list(_field_dumper(args[0]))
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return _enum
        if dataclasses.is_dataclass(hint):
            return _nested(hint)
    return to_jsonable


def _scalar_kind(hint: Any) -> tuple[type | None, bool]:
    """Return ``(scalar type, optional)`` when *hint* is a scalar or an optional scalar."""
    if hint in _SCALARS:
        return hint, False
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1 and members[0] in _SCALARS:
            return members[0], True
    return None, False


_MSGSPEC: list[Callable[[Any], Any] | None] = []


def _builtins() -> Callable[[Any], Any] | None:
    """``msgspec.to_builtins`` when msgspec is installed and writes serpens' exact text.

    msgspec formats a datetime (naive, or UTC with ``Z`` for ``+00:00``) and a UUID in C,
    several times faster than ``isoformat()`` and ``str()``. It is optional (the
    ``serpens[fast]`` extra), imported on the first dumper that needs it, and used only
    after it wrote the same text as the standard library for a set of probes.
    """
    if not _MSGSPEC:
        _MSGSPEC.append(_probe())
    return _MSGSPEC[0]


def _probe() -> Callable[[Any], Any] | None:
    try:
        from msgspec import to_builtins  # noqa: PLC0415 - optional, imported on first use
    except ImportError:
        return None
    moments = [
        datetime(1, 1, 1),  # noqa: DTZ001 - naive values are formatted too
        datetime(999, 12, 31, 23, 59, 59, 999999),  # noqa: DTZ001
        datetime(2024, 5, 1, 12, 30, 0, 100),  # noqa: DTZ001
        datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 120000, tzinfo=UTC),
    ]
    ids = [
        uuid.UUID(int=0),
        uuid.UUID(int=2**128 - 1),
        uuid.UUID("12345678-9abc-4def-8123-456789abcdef"),
    ]
    try:
        same = all(
            (to_builtins(m)[:-1] + "+00:00" if m.tzinfo else to_builtins(m)) == m.isoformat()
            for m in moments
        ) and all(to_builtins(u) == str(u) for u in ids)
    except Exception:  # noqa: BLE001 - any surprise: the standard library formats
        return None
    return to_builtins if same else None


_compiling: set[type] = set()
_MAX_DEPTH = 4  # lists and nested dataclasses deeper than this call their dumpers


def _plain_enum(kind: type[enum.Enum]) -> bool:
    """Whether every member's ``.value`` is its ``_value_`` and a JSON scalar (not NaN)."""
    if _class_attribute(kind, "value") is not enum.Enum.__dict__["value"]:
        return False
    return all(
        type(value) in _JSON_SCALARS and (type(value) is not float or math.isfinite(value))
        for value in (m._value_ for m in kind.__members__.values())
    )


def _class_attribute(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
_COPIED = _JSON_SCALARS - {float}  # a list of these is copied as is; floats are checked
_FLOATS = frozenset({float})


class _Source:
    """Names bound into one generated dumper's namespace."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"J": to_jsonable}
        self.count = 0

    def bind(self, value: Any) -> str:
        self.count += 1
        name = f"N{self.count}"
        self.namespace[name] = value
        return name

    def fresh(self) -> str:
        """A new local name (for ``:=`` inside the expression)."""
        self.count += 1
        return f"w{self.count}"

    def expr(self, hint: Any, value: str, depth: int = 0, source: str | None = None) -> str:  # noqa: C901, PLR0911
        """An expression dumping *value* (a simple name) declared as *hint*, inlined.

        With *source*, the expression binds *value* to it (``:=``) where it is first
        evaluated, so nested objects need no statements.
        """
        first = f"({value} := {source})" if source else value
        kind, optional = _scalar_kind(hint)
        if kind is not None:
            # A NaN or infinite float goes to J, which refuses it (inf - inf is NaN).
            finite = f" and {value} - {value} == 0.0" if kind is float else ""
            if optional:
                scalar = f"({value} if type({value}) is {self.bind(kind)}{finite} else J({value}))"
                return f"(None if {first} is None else {scalar})"
            return f"({value} if type({first}) is {self.bind(kind)}{finite} else J({value}))"
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin is typing.Union or origin is types.UnionType:
            members = [a for a in args if a is not type(None)]
            if len(members) == 1:
                return f"(None if {first} is None else {self.expr(members[0], value, depth)})"
            return f"J({first})"
        if origin is list and args and depth < _MAX_DEPTH:
            item = f"x{depth}"
            inner = f"[{self.expr(args[0], item, depth + 1)} for {item} in {value}]"
            item_kind = _scalar_kind(args[0])[0]
            if item_kind in _KEPT:  # items that are JSON scalars: a copy
                scalars = self.bind(_COPIED)
                inner = f"({value}[:] if {scalars}.issuperset(map(type, {value})) else {inner})"
            elif item_kind is float:  # floats whose sum is finite (so each one is): a copy
                floats, finite = self.bind(_FLOATS), self.bind(math.isfinite)
                inner = (
                    f"({value}[:] if {floats}.issuperset(map(type, {value})) "
                    f"and {finite}(sum({value})) else {inner})"
                )
            return f"({inner} if type({first}) is list else J({value}))"
        typed = self._typed(hint, value, first)
        if typed is not None:
            return typed
        if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint not in _compiling:
            if depth < _MAX_DEPTH:
                display = self._display(hint, value, depth + 1)
                if display is not None:
                    kind_name = self.bind(hint)
                    return f"({display} if type({first}) is {kind_name} else J({value}))"
            nested = self.bind(dumper_for(hint))
            return f"({nested}({value}) if type({first}) is {self.bind(hint)} else J({value}))"
        return f"{self.bind(_field_dumper(hint))}({first})"

    def _typed(self, hint: Any, value: str, first: str) -> str | None:
        """The inline form of a Decimal, datetime, date, time, UUID or plain enum value."""
        if hint is Decimal:
            convert = self.bind(decimal_to_json)
            return f"({convert}({value}) if type({first}) is {self.bind(hint)} else J({value}))"
        if hint is datetime:
            return (
                f"({self._datetime(value)} if type({first}) is {self.bind(hint)} else J({value}))"
            )
        if hint is uuid.UUID:
            text = f"{self.bind(_builtins())}({value})" if _builtins() else f"str({value})"
            return f"({text} if type({first}) is {self.bind(hint)} else J({value}))"
        if hint is date or hint is time:
            return f"({value}.isoformat() if type({first}) is {self.bind(hint)} else J({value}))"
        if isinstance(hint, type) and issubclass(hint, enum.Enum) and _plain_enum(hint):
            return f"({value}._value_ if type({first}) is {self.bind(hint)} else J({value}))"
        return None

    def _datetime(self, value: str) -> str:
        """``value.isoformat()``, or the same text from msgspec for naive and UTC values."""
        to_builtins = _builtins()
        if to_builtins is None:
            return f"{value}.isoformat()"
        zone, text = self.fresh(), self.bind(to_builtins)
        return (
            f"({text}({value})[:-1] + '+00:00' if ({zone} := {value}.tzinfo) is {self.bind(UTC)} "
            f"else {text}({value}) if {zone} is None else {value}.isoformat())"
        )

    def _display(self, cls: type, value: str, depth: int) -> str | None:
        """A dict display of the dataclass instance *value*, as its own dumper builds it."""
        try:
            hints = typing.get_type_hints(cls)
        except (NameError, TypeError):
            return None  # its dumper is to_jsonable
        entries = []
        _compiling.add(cls)
        try:
            for field in dataclasses.fields(cls):
                name = self.fresh()
                dumped = self.expr(hints.get(field.name, Any), name, depth, f"{value}.{field.name}")
                entries.append(f"{field.name!r}: {dumped}")
        finally:
            _compiling.discard(cls)
        return "{" + ", ".join(entries) + "}"


def _compile(cls: type) -> Dumper:
    """Generate ``dump(o)`` for *cls*: one dict display, fields and nesting inline."""
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):
        return to_jsonable
    source = _Source()
    lines = ["def dump(o):"]
    entries = []
    _compiling.add(cls)
    try:
        for index, field in enumerate(dataclasses.fields(cls)):
            value = f"v{index}"
            lines.append(f"    {value} = o.{field.name}")
            expr = source.expr(hints.get(field.name, Any), value)
            entries.append(f"{field.name!r}: {expr}")
    finally:
        _compiling.discard(cls)
    lines.append("    return {" + ", ".join(entries) + "}")
    exec("\n".join(lines), source.namespace)  # noqa: S102 - source built from field names
    return typing.cast("Dumper", source.namespace["dump"])


def dumper_for(cls: type) -> Dumper:
    """Return the compiled dumper for the dataclass *cls* (built on first use)."""
    dumper = _dumpers.get(cls)
    if dumper is None:
        with _lock:
            dumper = _dumpers.get(cls)
            if dumper is None:
                dumper = _dumpers[cls] = _compile(cls)
    return dumper


def dump_any(value: Any) -> Any:
    """Dump one value as ``Schema.dump`` does: a dataclass by its dumper, else generically."""
    kind = type(value)
    dumper = _dumpers.get(kind)
    if dumper is not None:
        return dumper(value)
    if dataclasses.is_dataclass(kind):
        return dumper_for(kind)(value)
    return to_jsonable(value)
