"""Compile converters for containers, unions, literals, enums and nested dataclasses."""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections import abc
from collections.abc import Callable, Mapping
from typing import Any

from serpens.schema._scalars import (
    SCALARS,
    Converter,
    Invalid,
    PathPart,
    describe,
    identity,
    wrong,
)

__all__ = ["converter_for"]


def _none(value: Any) -> None:
    if value is None:
        return
    raise wrong("None", value)


def _optional(inner: Converter) -> Converter:
    def convert(value: Any) -> Any:
        return None if value is None else inner(value)

    return convert


def _union(members: list[Converter], names: str) -> Converter:
    def convert(value: Any) -> Any:
        for member in members:
            try:
                return member(value)
            except Invalid:
                continue
        raise Invalid.one(f"does not match any of {names}, got {describe(value)}")

    return convert


def _literal(allowed: tuple[Any, ...]) -> Converter:
    choices = ", ".join(repr(a) for a in allowed)

    def convert(value: Any) -> Any:
        for option in allowed:
            if type(value) is type(option) and value == option:
                return option
        raise Invalid.one(f"must be one of {choices}")

    return convert


def _enum(kind: type[enum.Enum]) -> Converter:
    values = [member.value for member in kind]
    bool_values = any(isinstance(v, bool) for v in values)
    choices = ", ".join(repr(v) for v in values)

    def convert(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        if not isinstance(value, bool) or bool_values:
            try:
                return kind(value)
            except (ValueError, TypeError):
                pass
        raise Invalid.one(f"must be one of {choices}")

    return convert


def _items(value: Any, item: Converter) -> list[Any]:
    try:
        return [item(element) for element in value]
    except Invalid:
        pass
    # Slow path, only on failure: visit every item again to report all of them with paths.
    out: list[Any] = []
    failures: list[tuple[list[PathPart], str]] = []
    for index, element in enumerate(value):
        try:
            out.append(item(element))
        except Invalid as exc:
            failures.extend(exc.under(index).failures)
    if failures:
        raise Invalid(failures)
    return out


def _list(item: Converter) -> Converter:
    def convert(value: Any) -> list[Any]:
        if type(value) is list:  # the common case, without the _items frame
            try:
                return [item(element) for element in value]
            except Invalid:
                return _items(value, item)
        if isinstance(value, list | tuple):
            return _items(value, item)
        raise wrong("list", value)

    return convert


def _set(item: Converter, kind: type[set[Any] | frozenset[Any]]) -> Converter:
    def convert(value: Any) -> Any:
        if isinstance(value, list | tuple | set | frozenset):
            try:
                return kind(_items(value, item))
            except TypeError:
                raise Invalid.one("items must be hashable") from None
        raise wrong("set (array)", value)

    return convert


def _tuple(items: list[Converter] | None, item: Converter) -> Converter:
    def convert(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise wrong("tuple (array)", value)
        if items is None:
            return tuple(_items(value, item))
        if len(value) != len(items):
            raise Invalid.one(f"must have exactly {len(items)} items, got {len(value)}")
        failures: list[tuple[list[PathPart], str]] = []
        out: list[Any] = []
        for index, (conv, element) in enumerate(zip(items, value, strict=True)):
            try:
                out.append(conv(element))
            except Invalid as exc:
                failures.extend(exc.under(index).failures)
        if failures:
            raise Invalid(failures)
        return tuple(out)

    return convert


def _int_key(value: Any) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,40}", value):
        return int(value)  # JSON object keys are always strings
    return int(SCALARS[int](value))


def _dict(key: Converter, item: Converter) -> Converter:
    def convert(value: Any) -> dict[Any, Any]:
        if not isinstance(value, Mapping):
            raise wrong("dict (object)", value)
        out: dict[Any, Any] = {}
        failures: list[tuple[list[PathPart], str]] = []
        for raw_key, element in value.items():
            where = f"[{raw_key!r}]"
            try:
                out[key(raw_key)] = item(element)
            except Invalid as exc:
                failures.extend(exc.under(where).failures)
            except TypeError:
                failures.append(([where], "key must be hashable"))
        if failures:
            raise Invalid(failures)
        return out

    return convert


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or repr(hint).replace("typing.", "")


def converter_for(hint: Any, nested: Callable[[type], Converter]) -> Converter:  # noqa: C901, PLR0911, PLR0912
    """Compile a converter for the annotation *hint*.

    *nested* returns the (lazily built) loader for a dataclass type, which keeps
    self-referencing schemas from recursing at build time.

    Raises:
        TypeError: the annotation is not supported.
    """
    if hint in SCALARS:
        return SCALARS[hint]
    if hint is None or hint is type(None):
        return _none
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return converter_for(args[0], nested)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in args if a is not type(None)]
        inner = (
            converter_for(members[0], nested)
            if len(members) == 1
            else _union(
                [converter_for(m, nested) for m in members], " | ".join(map(_type_name, members))
            )
        )
        return _optional(inner) if len(members) < len(args) else inner
    if origin is typing.Literal:
        return _literal(args)
    if origin in {list, abc.Sequence, abc.MutableSequence} or hint is list:
        return _list(converter_for(args[0], nested) if args else identity)
    if origin in {set, frozenset, abc.Set, abc.MutableSet} or hint in {set, frozenset}:
        kind = frozenset if frozenset in {origin, hint} else set
        return _set(converter_for(args[0], nested) if args else identity, kind)
    if origin is tuple or hint is tuple:
        if not args or (len(args) == 2 and args[1] is Ellipsis):  # noqa: PLR2004 - tuple[T, ...]
            return _tuple(None, converter_for(args[0], nested) if args else identity)
        return _tuple([converter_for(a, nested) for a in args], identity)
    if origin in {dict, abc.Mapping, abc.MutableMapping} or hint is dict:
        if not args:
            return _dict(identity, identity)
        key = _int_key if args[0] is int else converter_for(args[0], nested)
        return _dict(key, converter_for(args[1], nested))
    if isinstance(hint, typing.NewType):
        return converter_for(hint.__supertype__, nested)
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return _enum(hint)
        if dataclasses.is_dataclass(hint):
            return nested(hint)
    raise TypeError(f"serpens.schema does not support the annotation {hint!r}")
