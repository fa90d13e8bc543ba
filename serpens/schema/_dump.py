"""Per-class dumpers for :meth:`Schema.dump`, compiled once from the field annotations.

Each class gets one generated function (as attrs and dataclasses generate ``__init__``):
scalar fields are copied inline, other fields call a converter specialised to their
declared type, and every path falls back to the generic
:func:`serpens._json.to_jsonable` when the actual value has another type, so the output
is exactly what the generic encoder would produce, only faster.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
import types
import typing
import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from serpens._json import decimal_to_json, to_jsonable

__all__ = ["COMPILED", "dumper_for"]

Dumper = Callable[[Any], Any]

_dumpers: dict[type, Dumper] = {}
COMPILED: typing.Mapping[type, Dumper] = _dumpers
"""The dumpers compiled so far, by class (read-only view for a lock-free fast path)."""
_lock = threading.RLock()  # compiling a class compiles its nested classes
_SCALARS = (str, int, float, bool)


def _exact(kind: type, convert: Dumper) -> Dumper:
    def dump(value: Any) -> Any:
        return convert(value) if type(value) is kind else to_jsonable(value)

    return dump


def _scalar(kind: type) -> Dumper:
    def dump(value: Any) -> Any:
        return value if type(value) is kind else to_jsonable(value)

    return dump


def _enum(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        inner = value.value
        return inner if type(inner) in _SCALARS else to_jsonable(inner)
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
    **{kind: _scalar(kind) for kind in _SCALARS},
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


_compiling: set[type] = set()


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

    def expr(self, hint: Any, value: str, depth: int = 0) -> str:
        """An expression dumping *value* (a simple name) declared as *hint*, inlined."""
        kind, optional = _scalar_kind(hint)
        if kind is not None:
            expr = f"({value} if type({value}) is {self.bind(kind)} else J({value}))"
            return f"(None if {value} is None else {expr})" if optional else expr
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin is typing.Union or origin is types.UnionType:
            members = [a for a in args if a is not type(None)]
            if len(members) == 1:
                return f"(None if {value} is None else {self.expr(members[0], value, depth)})"
            return f"J({value})"
        if origin is list and args and depth < 4:  # noqa: PLR2004 - deeper lists call
            item = f"x{depth}"
            inner = self.expr(args[0], item, depth + 1)
            return f"([{inner} for {item} in {value}] if type({value}) is list else J({value}))"
        if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint not in _compiling:
            nested = self.bind(dumper_for(hint))
            return f"({nested}({value}) if type({value}) is {self.bind(hint)} else J({value}))"
        return f"{self.bind(_field_dumper(hint))}({value})"


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
