"""Cache keys for the decorators: stable under keyword order, free of ``self``.

Two calls that bind the same arguments get the same key whatever the keyword order.
Methods (functions defined in a class body whose first parameter is ``self`` or
``cls``) leave that first argument out, so instances pointing at the same store share
entries and no ``repr(self)`` ever reaches a key. Plain functions keep every argument.

Redis keys must be equal across processes, so an arbitrary object cannot be part of
one: it makes the call bypass the cache, unless it defines ``__cache_key__()``
returning a JSON-able value that identifies it (such as a tenant id).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import inspect
import json
import uuid
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["KeyBuilder", "is_method"]

_SELF_NAMES = frozenset({"self", "cls"})


def is_method(func: Callable[..., Any]) -> bool:
    """Return whether *func* is defined in a class body and takes ``self``/``cls`` first."""
    parts = getattr(func, "__qualname__", "").split(".")
    if len(parts) < 2 or parts[-2] == "<locals>":  # noqa: PLR2004 - "Class.method"
        return False
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0].name in _SELF_NAMES


class _Unkeyable(Exception):  # noqa: N818 - internal control flow, never escapes
    """An argument cannot be part of a key; the call bypasses the cache."""


def _freeze(value: Any) -> Hashable:
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((_freeze(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, set | frozenset):
        return ("set", frozenset(_freeze(v) for v in value))
    try:
        hash(value)
    except TypeError:
        raise _Unkeyable from None
    return value  # type: ignore[no-any-return]


def _portable(value: Any) -> Any:
    """JSON ``default``: stable text for common non-JSON argument types, else unkeyable."""
    if isinstance(value, set | frozenset):
        return sorted(json.dumps(v, default=_portable, sort_keys=True) for v in value)
    if isinstance(value, dt.date | dt.time):
        return {"__dt__": value.isoformat()}
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return {f"__{type(value).__name__}__": str(value)}
    if isinstance(value, enum.Enum):
        return {"__enum__": f"{type(value).__qualname__}.{value.name}"}
    if isinstance(value, bytes):
        return {"__bytes__": value.hex()}
    hook = getattr(value, "__cache_key__", None)
    if callable(hook):  # an object that says what identifies it (a tenant's repository)
        return {"__object__": type(value).__qualname__, "key": hook()}
    raise _Unkeyable


def _distinct(value: Any) -> Any:
    """*value* with every dict whose keys are not str tagged with its key type.

    JSON object keys are text, so ``{1: "a"}`` and ``{"1": "a"}`` would otherwise dump
    alike and share an entry. Dicts with str keys, and everything else, dump as before
    (existing keys do not change). Keys of mixed types are unkeyable: that call bypasses
    the cache.
    """
    if isinstance(value, dict):
        kinds = {type(key) for key in value}
        items = {key: _distinct(item) for key, item in value.items()}
        if kinds <= {str}:
            return items
        if len(kinds) > 1:
            raise _Unkeyable
        return {"__dict__": kinds.pop().__qualname__, "items": items}
    if isinstance(value, list | tuple):
        return [_distinct(item) for item in value]
    return value


class _BoundKey:
    """A frozen key that never equals a plain argument tuple."""

    __slots__ = ("_hash", "_parts")

    def __init__(self, *parts: Hashable) -> None:
        self._parts = parts
        self._hash = hash(parts)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _BoundKey) and other._parts == self._parts


class KeyBuilder:
    """Builds the key of one decorated function's calls.

    Args:
        func: the decorated function.
        skip_first: leave the first positional argument out (``None``: only for methods).
    """

    def __init__(self, func: Callable[..., Any], *, skip_first: bool | None = None) -> None:
        self._signature = inspect.signature(func)
        self.skip_first = is_method(func) if skip_first is None else skip_first
        self.name = f"{func.__module__}.{func.__qualname__}"

    def _canonical(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], list[tuple[str, Any]]]:
        if kwargs:
            try:
                bound = self._signature.bind(*args, **kwargs)
            except TypeError:
                pass  # a wrong call: let the function itself raise the usual TypeError
            else:
                args, kwargs = bound.args, bound.kwargs
        if self.skip_first:
            args = args[1:]
        return args, sorted(kwargs.items()) if kwargs else []

    def local(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable | None:
        """Key for in-process stores, or ``None`` when an argument cannot be hashed."""
        positional, named = self._canonical(args, kwargs)
        if not named:
            try:
                hash(positional)
            except TypeError:
                pass
            else:
                return positional
        try:
            return _BoundKey(_freeze(positional), _freeze(named))
        except _Unkeyable:
            return None

    def portable(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        """Short, process-independent key text (a digest), or ``None`` when unkeyable."""
        positional, named = self._canonical(args, kwargs)
        try:
            text = json.dumps(
                [self.name, _distinct(positional), _distinct(named)],
                default=_portable,
                sort_keys=True,
                ensure_ascii=False,
                separators=(",", ":"),
            )
        except (_Unkeyable, ValueError, TypeError):
            # TypeError: a dict whose keys do not sort together ({1: "a", "b": 2})
            return None
        return hashlib.sha256(text.encode()).hexdigest()[:40]
