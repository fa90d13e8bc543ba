"""Cache keys for the decorators: stable under keyword order, free of ``self``.

Two calls that bind the same arguments get the same key whatever the keyword order.
Methods (functions defined in a class body whose first parameter is ``self`` or
``cls``) leave that first argument out, so instances pointing at the same store share
entries and no ``repr(self)`` ever reaches a key. Plain functions keep every argument.

Redis keys must be equal across processes, so an arbitrary object cannot be part of
one: it makes the call bypass the cache, unless it defines ``__cache_key__()``
returning a JSON-able value that identifies it (such as a tenant id).

``@redis_cached`` keys come in two forms (:meth:`KeyBuilder.redis`). A call whose
arguments are all plain ``str``/``int`` keeps serpens 2.9's readable key,
``<bucket>:<arg1>:<arg2>:<name>=<value>``, so services that invalidate with
``redis_delete("products:shoe")`` keep working; every other call gets
``<bucket>:#<digest>``. The readable form is used only where the text is unambiguous:
a ``str`` holds no ``:``, ``=``, control character or lone surrogate and does not
start with ``#``, so no two calls with different argument lists share a readable key
(the one exception, kept from 2.9, is ``f(1)`` and ``f("1")``), and no readable key
can equal a hashed one.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import inspect
import json
import logging
import re
import uuid
from collections.abc import Callable, Hashable
from typing import Any

from serpens import _tracing
from serpens._rules.text import has_utf8

__all__ = ["HASHED", "MAX_READABLE_KEY", "KeyBuilder", "claim_bucket", "is_method"]

_SELF_NAMES = frozenset({"self", "cls"})

HASHED = "#"
"""Starts the segment of a hashed key (``<bucket>:#<digest>``); no readable segment does."""

MAX_READABLE_KEY = 200
"""Longest readable key (bucket included), in characters; a longer one is hashed."""

_UNSAFE = re.compile(r"[:=\x00-\x1f\x7f]")  # separators and control characters

_MAX_INT_BITS = 700  # over 200 decimal digits: hashed anyway, and str() would be slow

_BUCKETS: dict[str, str] = {}  # bucket -> the first function keyed under it, for claim_bucket

logger = logging.getLogger("serpens.cache")
logger.addFilter(_tracing.LOG_FIELDS)  # request_id, message_id, trace_id on every record


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
        # surrogatepass: a lone surrogate ("\ud800") is a str argument like any other
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]

    def readable(self, bucket: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        """The serpens 2.9 key text of this call, or ``None`` when it must be hashed.

        The arguments are taken as the call passes them (2.9 did not bind them, so
        ``f("a")`` and ``f(slug="a")`` are two entries, as they were); keyword
        arguments are sorted by name, so their order does not matter.
        """
        if self.skip_first:
            if not args:
                return None  # self passed by keyword: only the hashed form binds it
            args = args[1:]
        parts = [bucket]
        for value in args:
            text = _segment(value)
            if text is None:
                return None
            parts.append(text)
        for name in sorted(kwargs):
            text = _segment(kwargs[name])
            if text is None or not name.isidentifier():  # **{"a:b": 1}
                return None
            parts.append(f"{name}={text}")
        key = ":".join(parts)
        return key if len(key) <= MAX_READABLE_KEY else None

    def redis(self, bucket: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        """The ``@redis_cached`` key of this call: readable if it can be, else hashed.

        ``None`` when the arguments cannot be keyed at all (the call bypasses the cache).
        """
        key = self.readable(bucket, args, kwargs)
        if key is not None:
            return key
        digest = self.portable(args, kwargs)
        return None if digest is None else f"{bucket}:{HASHED}{digest}"


def _segment(value: object) -> str | None:
    """*value* as one readable key segment, or ``None`` when it would be ambiguous.

    Only exact ``str`` and ``int``: ``True`` would read as ``"True"``, ``1.0`` as
    ``"1.0"``, and an ``Enum`` or ``str`` subclass as whatever its ``__str__`` says, each
    equal to some ``str`` argument. A ``str`` is refused when it holds the separators
    (``:`` between arguments, ``=`` in ``name=value``), a control character (NUL starts
    the stampede lock's key suffix), a lone surrogate (a key needs a UTF-8 form),
    or starts with :data:`HASHED`.
    """
    if isinstance(value, int) and type(value) is int:
        return str(value) if value.bit_length() <= _MAX_INT_BITS else None
    if not isinstance(value, str) or type(value) is not str:
        return None
    if len(value) > MAX_READABLE_KEY or value.startswith(HASHED) or _UNSAFE.search(value):
        return None
    return value if has_utf8(value) else None


def claim_bucket(bucket: str, owner: str) -> str | None:
    """Record that *owner* (a function's qualified name) keys under *bucket*.

    Readable keys, as 2.9's, do not name the function: when another function already
    keys under *bucket*, or under a bucket that is *bucket* followed by ``:`` (or the
    other way round), equal arguments share entries. Then log a warning and return that
    function's name; else ``None``. A function defined inside another (``<locals>``: a
    test's, a factory's) is neither recorded nor checked: tests reuse bucket names on
    purpose, each with its own prefix or cache.
    """
    if "<locals>" in owner:
        return None
    clash = None
    for other, name in _BUCKETS.items():
        related = (
            other == bucket or other.startswith(f"{bucket}:") or bucket.startswith(f"{other}:")
        )
        if related and name != owner:
            clash = name
            break
    _BUCKETS.setdefault(bucket, owner)
    if clash is not None:
        logger.warning(
            "@redis_cached(%r) on %s: %s keys under the same or a nested bucket, and "
            "readable keys do not name the function, so calls with equal arguments share "
            "entries in one cache; give each function its own bucket",
            bucket,
            owner,
            clash,
        )
    return clash
