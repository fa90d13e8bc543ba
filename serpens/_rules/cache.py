"""Strict JSON encoding of cached values, shared by every cache so types round-trip alike.

Python's :mod:`json` silently turns ``{1: "a"}`` into ``{"1": "a"}`` and accepts ``NaN``;
both would make Redis answer differently from the in-memory caches. :func:`encode`
checks the value first and raises :class:`~serpens.errors.SerializationError` naming the
offending path, so nothing half-valid is ever stored.
"""

from __future__ import annotations

import json
import math
from typing import Any

from serpens.errors import FieldError, SerializationError, ValidationError
from serpens.ports import JSONValue

__all__ = ["check_key", "check_ttl", "decode", "encode"]

_SCALARS = (str, int, bool)
_DUMPS = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, _SCALARS):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SerializationError(f"cannot cache {path}: {value!r} is not valid JSON")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SerializationError(
                    f"cannot cache {path}: dict key {key!r} has type {type(key).__name__}; "
                    "JSON object keys must be str"
                )
            _check(item, f"{path}[{key!r}]")
        return
    raise SerializationError(
        f"cannot cache {path}: type {type(value).__name__} is not a JSON value "
        "(use None, bool, int, float, str, list, tuple or dict with str keys)"
    )


_LEAF_TYPES = frozenset({str, int, bool, type(None)})


def _valid(value: Any) -> bool:  # noqa: PLR0911 - one early return per JSON type
    """Fast check without building paths; subclasses take the thorough path."""
    kind = type(value)
    if kind in _LEAF_TYPES:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is list or kind is tuple:
        return all(type(item) in _LEAF_TYPES or _valid(item) for item in value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _LEAF_TYPES and not _valid(item)):
                return False
        return True
    try:
        _check(value, "value")
    except SerializationError:
        return False
    return True


def encode(value: object, *, key: str | None = None) -> str:
    """Return the compact JSON text of *value*.

    Raises:
        SerializationError: *value* (or something inside it, named by its path) is not
            a finite JSON value or has a non-str dict key.
    """
    if not _valid(value):
        # raises, naming the offending path (built only now: the happy path stays cheap)
        _check(value, "value" if key is None else f"the value of {key!r}")
    return _DUMPS(value)


def decode(text: str | bytes) -> JSONValue:
    """Parse JSON text stored by :func:`encode`.

    Raises:
        SerializationError: *text* is not valid JSON (written by something else).
    """
    try:
        return json.loads(text)  # type: ignore[no-any-return]
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerializationError("the stored cache entry is not valid JSON") from exc


def check_key(key: object) -> str:
    """Return *key* if it is a non-empty str.

    Raises:
        ValidationError: *key* is not a str or is empty.
    """
    if not isinstance(key, str) or not key:
        raise ValidationError(
            "invalid cache key", [FieldError("key", f"must be a non-empty str, got {key!r}")]
        )
    return key


def check_ttl(ttl: float | None, default: float) -> float:
    """Return *ttl*, or *default* when it is ``None``, as a positive finite number of seconds.

    Raises:
        ValidationError: the TTL is not a positive finite number.
    """
    value = default if ttl is None else ttl
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValidationError(
            "invalid cache TTL", [FieldError("ttl", f"must be > 0 seconds, got {value!r}")]
        )
    return float(value)
