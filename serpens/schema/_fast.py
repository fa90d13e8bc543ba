"""The fast path of :meth:`Schema.load`: per-class code for well-formed input.

The reference loaders of :mod:`serpens.schema._load` build every instance through the
class's ``__init__`` (and so the construction checks of ``__post_init__``) and collect
every failure with its path. Most input is well formed and made of plain JSON types, so
each class also gets a second generated function that handles only that case, faster:

- exact types are tested inline (``type(v) is str``), enums are looked up by value in
  their own ``_value2member_map_``, ``Decimal``/``datetime`` strings are parsed inline,
  and nested objects and lists of them call the nested class's fast function; every
  other annotation calls the reference converter, so its result is the reference's;
- the instance is built as the dataclass's generated ``__init__`` builds it (the same
  attribute stores, in field order, ``object.__setattr__`` for frozen classes), without
  the call, and without the construction checks: every value either has a type proven
  at generation time to pass them (:func:`serpens.schema._construct.field_rules`) or is
  checked inline.

The fast function raises at the first thing it does not handle (a missing key, a wrong
type, a subclass, a value out of range, any exception), and :meth:`Schema.load` then
runs the reference loader, which gives the result or the errors, with every path, that
it always gave. A fast function only exists when building the class runs no user code:
a class (or any dataclass it reaches) with its own ``__init__``, ``__new__``,
``__setattr__``, ``__post_init__``, a data descriptor for a field, an ``InitVar`` or an
``init=False`` field, or an enum with its own ``_missing_``, keeps the reference path
alone. Default factories are the exception: they may run once more when the input turns
out invalid. ``tests/serpens/schema/test_fast_path_load.py`` checks the two paths agree on
generated valid and invalid input.

msgspec was measured as the fast path and not kept: ``msgspec.convert`` into the same
dataclasses still calls the Python ``__post_init__`` of every instance, normalises an
``int`` subclass to ``int``, accepts a ``set`` for a ``list`` and NaN for a ``float``,
so it needed a guard walk over the input in Python, and then took longer than this code
(see ``bench/schema.py``).

The checks that decide which classes get a fast function, and the annotation helpers
they share with the generator here, are in :mod:`serpens.schema._fast_eligible`.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
import typing
from collections import abc
from datetime import datetime
from decimal import Decimal
from typing import Any

from serpens.schema._construct import field_rules, fits
from serpens.schema._convert import converter_for
from serpens.schema._fast_eligible import _hints, _optional, _reachable, _unwrap
from serpens.schema._load import build, loader_for
from serpens.schema._scalars import Converter

__all__ = ["FAST", "fast_for"]

FAST: dict[type, Converter | None] = {}
"""The fast function of each class built so far, or ``None`` when it has none."""

_building: set[type] = set()
_lock = threading.RLock()  # re-entered when a class's fast function builds nested ones

_EXACT = (str, int, bool)
_FACTORIES = (list, dict, set, frozenset, tuple)
_LISTS = (list, abc.Sequence, abc.MutableSequence)
_DICTS = (dict, abc.Mapping, abc.MutableMapping)


class Fallback(Exception):  # noqa: N818 - a signal, never seen outside serpens.schema
    """The fast path does not handle this input; the reference loader decides."""


class _Source:
    """One fast function's source lines and the objects its names stand for."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.namespace: dict[str, Any] = {"F": Fallback, "new": object.__new__, "cls": cls}
        self.lines: list[str] = []
        self.count = 0

    def bind(self, value: Any) -> str:
        self.count += 1
        name = f"N{self.count}"
        self.namespace[name] = value
        return name

    def emit(self, indent: int, *lines: str) -> None:
        self.lines.extend("    " * indent + line for line in lines)

    def convert(self, hint: Any, indent: int) -> type | None:  # noqa: C901, PLR0911, PLR0912
        """Emit code turning the raw value ``v`` into the field's value (or raising).

        Returns a class every value the code produces is an instance of (``None`` aside,
        for an optional), or None when that is not known here.
        """
        hint = _unwrap(hint)
        inner = _optional(hint)
        if inner is not None:
            self.emit(indent, "if v is not None:")
            return self.convert(inner, indent + 1)
        if hint in _EXACT:
            self.emit(indent, f"if type(v) is not {self.bind(hint)}:", "    raise F")
            return typing.cast("type", hint)
        if hint is float:
            self.emit(
                indent,
                "if type(v) is float:",
                "    if v - v != 0.0:",  # NaN and infinities: the reference refuses them
                "        raise F",
                "elif type(v) is int:",
                "    v = float(v)",
                "else:",
                "    raise F",
            )
            return float
        if hint is Any or hint is object:
            self.emit(indent, "pass")
            return None
        if hint is Decimal:
            self.emit(
                indent,
                "if type(v) is str:",
                f"    v = {self.bind(Decimal)}(v)",
                "    if not v.is_finite():",
                "        raise F",
                "else:",
                f"    v = {self._reference(hint)}(v)",
            )
            return Decimal
        if hint is datetime:
            self.emit(
                indent,
                "if type(v) is str:",
                f"    v = {self.bind(datetime.fromisoformat)}(v)",
                "else:",
                f"    v = {self._reference(hint)}(v)",
            )
            return datetime
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            kind = self.bind(hint)
            self.emit(
                indent,
                f"if type(v) is not {kind}:",
                "    if type(v) is str or type(v) is int:",
                f"        v = {self.bind(hint._value2member_map_)}.get(v)",
                "        if v is None:",
                "            raise F",
                "    else:",
                f"        v = {self._reference(hint)}(v)",
            )
            return hint
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            nested = fast_for(hint)
            if nested is None:
                self.emit(indent, f"v = {self._reference(hint)}(v)")
            else:
                self.emit(
                    indent,
                    "if type(v) is dict:",
                    f"    v = {self.bind(nested)}(v)",
                    "else:",  # an instance (kept as is), a Mapping: the reference's rules
                    f"    v = {self._reference(hint)}(v)",
                )
            return hint  # instances of hint (or of a subclass, handed back as they came)
        origin = typing.get_origin(hint) or hint
        args = typing.get_args(hint)
        if origin in _LISTS and len(args) <= 1:
            self.emit(indent, "if type(v) is list:")
            self._items(_unwrap(args[0]) if args else Any, indent + 1)
            self.emit(indent, "else:", f"    v = {self._reference(hint)}(v)")
            return list
        if origin in _DICTS and (not args or _unwrap(args[0]) is str):
            value = _unwrap(args[1]) if args else Any
            if value is Any or value in _EXACT:
                check = "" if value is Any else f" and type(x) is {self.bind(value)}"
                self.emit(
                    indent,
                    "if type(v) is dict:",
                    f"    w = {{k: x for k, x in v.items() if type(k) is str{check}}}",
                    "    if len(w) != len(v):",
                    "        raise F",
                    "    v = w",
                    "else:",
                    f"    v = {self._reference(hint)}(v)",
                )
                return dict
        self.emit(indent, f"v = {self._reference(hint)}(v)")
        return None

    def _items(self, item: Any, indent: int) -> None:
        """Emit the body of the list case: ``v`` is a list; build the list of items."""
        if item is Any or item is object:
            self.emit(indent, "v = v[:]")
        elif item in _EXACT:
            self.emit(
                indent,
                f"w = [x for x in v if type(x) is {self.bind(item)}]",
                "if len(w) != len(v):",
                "    raise F",
                "v = w",
            )
        elif isinstance(item, type) and dataclasses.is_dataclass(item) and fast_for(item):
            self.emit(indent, f"v = [{self.bind(fast_for(item))}(x) for x in v]")
        else:
            self.emit(indent, f"v = [{self._reference(item)}(x) for x in v]")

    def _reference(self, hint: Any) -> str:
        return self.bind(converter_for(hint, loader_for))


def _admits(produced: type | None, rule: tuple[tuple[type, ...], bool], *, optional: bool) -> bool:
    """Whether every instance of *produced* (and None, when *optional*) passes *rule*."""
    classes, nullable = rule
    if produced is None or (optional and not nullable):
        return False
    if produced is bool and bool not in classes:
        return False
    return issubclass(produced, classes)


def _default(source: _Source, field: dataclasses.Field[Any], rule: Any, indent: int) -> None:
    """Emit the assignment of ``v`` for a missing key, as the generated ``__init__`` does."""
    if field.default is not dataclasses.MISSING:
        if rule is not None and not (
            (field.default is None and rule[1]) or fits(field.default, rule[0])
        ):
            source.emit(indent, "raise F")  # the reference reports the bad default
            return
        source.emit(indent, f"v = {source.bind(field.default)}")
        return
    factory = field.default_factory
    source.emit(indent, f"v = {source.bind(factory)}()")
    known = (
        factory in _FACTORIES
        and rule is not None
        and _admits(typing.cast("type", factory), rule, optional=False)
    )
    if rule is not None and not known:
        _check(source, rule, indent)


def _check(source: _Source, rule: tuple[tuple[type, ...], bool], indent: int) -> None:
    """Emit the construction check of one field, inline."""
    classes, nullable = rule
    none = "v is not None and " if nullable else ""
    source.emit(
        indent,
        f"if {none}type(v) is not {source.bind(classes[0])} "
        f"and not {source.bind(fits)}(v, {source.bind(classes)}):",
        "    raise F",
    )


def _generate(cls: type) -> Converter | None:
    hints = _hints(cls)
    if hints is None or not _reachable(cls, set()):
        return None
    rules = field_rules(cls)
    frozen = cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    source = _Source(cls)
    source.emit(0, "def fast(data):", "    if type(data) is not dict:", "        raise F")
    source.emit(1, "o = new(cls)")
    setter = source.bind(object.__setattr__)
    for field in dataclasses.fields(cls):
        key = repr(field.name)
        rule = rules.get(field.name)
        required = (
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        )
        if required:
            source.emit(1, f"v = data[{key}]")
            indent = 1
        else:
            missing = source.bind(dataclasses.MISSING)
            source.emit(1, f"v = data.get({key}, {missing})", f"if v is {missing}:")
            _default(source, field, rule, 2)
            source.emit(1, "else:")
            indent = 2
        hint = hints[field.name]
        produced = source.convert(hint, indent)
        optional = _optional(_unwrap(hint)) is not None
        if rule is not None and not _admits(produced, rule, optional=optional):
            _check(source, rule, indent)
        if frozen:
            source.emit(1, f"{setter}(o, {key}, v)")
        else:
            source.emit(1, f"o.{field.name} = v")
    source.emit(1, "return o")
    exec("\n".join(source.lines), source.namespace)  # noqa: S102 - built from field names
    return typing.cast("Converter", source.namespace["fast"])


def fast_for(cls: type) -> Converter | None:
    """Return *cls*'s fast function (None: the reference path only), built on first use.

    The reference loader is built first, so an unsupported annotation raises the same
    ``TypeError`` as before. A class being built (a self-reference) gets a stand-in
    that fetches the real function on its first call.

    Raises:
        TypeError: the class is not a dataclass or has an unsupported annotation.
    """
    try:
        return FAST[cls]
    except KeyError:
        pass
    with _lock:
        if cls in FAST:
            return FAST[cls]
        if cls in _building:
            return _lazy(cls)
        build(cls)
        _building.add(cls)
        try:
            fast = FAST[cls] = _generate(cls)
        finally:
            _building.discard(cls)
    return fast


def _lazy(cls: type) -> Converter:
    cell: list[Converter] = []

    def fast(data: Any) -> Any:
        if not cell:
            found = FAST.get(cls)
            if found is None:
                raise Fallback
            cell.append(found)
        return cell[0](data)

    return fast
