"""Which classes get a fast function of :mod:`serpens.schema._fast`, and hint helpers.

A fast function only exists when building the class, and every dataclass and enum it
reaches, runs no user code (see :mod:`serpens.schema._fast` for the list). The checks
that decide it, and the small annotation helpers they share with the code generator
(``X | None``, ``Annotated``, resolved hints), are kept here, apart from generation.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from typing import Any

__all__: list[str] = []  # private: serpens.schema._fast imports the helpers it needs

_STANDARD_MISSING = {enum.Enum._missing_.__func__, enum.Flag._missing_.__func__}  # type: ignore[attr-defined]


def _schema_post_init() -> Callable[..., None]:
    from serpens.schema import Schema  # noqa: PLC0415 - serpens.schema imports this module

    return typing.cast("Callable[..., None]", Schema.__dict__["__post_init__"])


def _unwrap(hint: Any) -> Any:
    while typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    return hint


def _optional(hint: Any) -> Any | None:
    """The ``X`` of ``X | None``, else None."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(hint)
        members = [a for a in args if a is not type(None)]
        if len(members) == 1 and len(args) == 2:  # noqa: PLR2004 - X and None
            return _unwrap(members[0])
    return None


def _hints(cls: type) -> dict[str, Any] | None:
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except (NameError, TypeError):
        return None


def _generated_init(cls: type) -> bool:
    """Whether ``cls.__init__`` is the one ``@dataclass`` wrote for *cls*, over its fields."""
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    if code is None or code.co_filename != "<string>":
        return False
    if getattr(init, "__qualname__", None) != f"{cls.__qualname__}.__init__":
        return False
    params = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    fields = dataclasses.fields(cls)
    names = {f.name for f in fields}  # keyword-only fields come last among the parameters
    return all(f.init for f in fields) and len(params) == len(names) and set(params) == names


def _plain_construction(cls: type) -> bool:
    """Whether building *cls* runs no user code and its generated ``__init__`` can be inlined."""
    if "__dataclass_fields__" not in cls.__dict__ or not _generated_init(cls):
        return False
    if _class_attribute(cls, "__new__") is not object.__dict__["__new__"]:
        return False
    post_init = _class_attribute(cls, "__post_init__")
    if post_init is not None and post_init is not _schema_post_init():
        return False
    frozen = cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    if not frozen and _class_attribute(cls, "__setattr__") is not object.__dict__["__setattr__"]:
        return False
    for field in dataclasses.fields(cls):
        attribute = _class_attribute(cls, field.name)
        if isinstance(attribute, types.MemberDescriptorType):  # a __slots__ field
            continue
        if hasattr(type(attribute), "__set__") or hasattr(type(attribute), "__delete__"):
            return False
    return True


def _class_attribute(cls: type, name: str) -> Any:
    """*name* as found on the class without running descriptors (``inspect.getattr_static``)."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _reachable(hint: Any, seen: set[Any]) -> bool:
    """Whether every dataclass and enum reachable from *hint* builds without user code."""
    hint = _unwrap(hint)
    if isinstance(hint, typing.NewType):
        hint = hint.__supertype__
    args = [
        a
        for a in typing.get_args(hint)
        if isinstance(a, type | typing.NewType) or typing.get_args(a)
    ]
    if not all(_reachable(arg, seen) for arg in args):
        return False
    if not isinstance(hint, type) or hint in seen:
        return True
    seen.add(hint)
    if issubclass(hint, enum.Enum):
        missing = getattr(hint._missing_, "__func__", None)
        return missing in _STANDARD_MISSING
    if not dataclasses.is_dataclass(hint):
        return True
    hints = _hints(hint)
    if hints is None or not _plain_construction(hint):
        return False
    return all(_reachable(hints[f.name], seen) for f in dataclasses.fields(hint))
