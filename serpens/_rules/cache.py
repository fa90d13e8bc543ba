"""Rules of the Cache port shared by the in-process caches, the fake and the Redis adapter.

- Strict JSON encoding (:func:`encode`, :func:`decode`), so types round-trip alike in
  every cache (Python's :mod:`json` turns ``{1: "a"}`` into ``{"1": "a"}`` and accepts
  ``NaN``). ``Decimal``, ``date``, ``datetime`` and ``UUID`` are stored, and read back,
  in the JSON form the API gives them (:mod:`serpens._json`). :func:`encode` refuses
  with :class:`~serpens.errors.SerializationError` naming the offending path, so
  nothing half-valid is ever stored. :func:`check_key` and :func:`check_ttl` validate.
- Single flight: concurrent misses on one key run the factory once.
  :class:`AsyncFlight` runs the fill in its own task and every caller awaits it through
  :func:`asyncio.shield`, so cancelling the first caller (a client that disconnected)
  neither cancels the fill nor fails the callers still waiting. Tasks are kept per event
  loop, so a process that runs several loops (tests, Lambda) never awaits across loops.
  :class:`Flight` is the blocking twin: one lock per key; waiters re-check the store.

The async and sync helpers share method names: the sync Redis cache is generated
(``scripts/unasync.py``). Renewing Redis' fill lock is ``serpens_redis._lock_keeper``'s.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import sys
import threading
import uuid
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from serpens._json import decimal_to_json
from serpens._rules.text import has_utf8
from serpens.errors import FieldError, SerializationError, ValidationError
from serpens.ports import JSONValue

__all__ = [
    "MAX_TTL",
    "AsyncFlight",
    "Flight",
    "check_key",
    "check_ttl",
    "decode",
    "encode",
    "to_wire",
    "ttl_is_off",
]

T = TypeVar("T")

_SCALARS = (str, int, bool)
_API_TYPES = (Decimal, date, uuid.UUID)  # datetime is a date
"""Stored in the JSON form the API gives them (:mod:`serpens._json`), read back as such."""


def _api_form(value: object) -> object:
    """JSON ``default``: ISO 8601 for dates and datetimes, ``str`` for UUIDs, Decimals exact."""
    if isinstance(value, Decimal):
        return decimal_to_json(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")  # unreachable: values are checked


_DUMPS = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_api_form
).encode


def _check(value: Any, path: str) -> None:  # noqa: C901 - one branch per JSON type
    if value is None or isinstance(value, _SCALARS):
        return
    if isinstance(value, _API_TYPES):
        if isinstance(value, Decimal) and not value.is_finite():
            raise SerializationError(f"cannot {path}: {value!r} is not valid JSON")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SerializationError(f"cannot {path}: {value!r} is not valid JSON")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SerializationError(
                    f"cannot {path}: dict key {key!r} has type {type(key).__name__}; "
                    "JSON object keys must be str"
                )
            _check(item, f"{path}[{key!r}]")
        return
    raise SerializationError(
        f"cannot {path}: type {type(value).__name__} is not a JSON value "
        "(use None, bool, int, float, str, list, tuple, dict with str keys, "
        "or Decimal, date, datetime, UUID: stored in their JSON form)"
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
        _check(value, "cache value")
    except SerializationError:
        return False
    return True


_KNOWN_TYPES = frozenset({str, int, float, bool, type(None), list, tuple, dict, Decimal, date})
_KNOWN_TYPES |= {datetime, uuid.UUID}
_CONTAINER_TYPES: dict[type, bool] = {list: True, tuple: True, dict: True}
_MAX_DEPTH = 200
_SMALL = 8  # top-level items below which the recursive check is the cheaper one
_referents = gc.get_referents


def _str_keyed(value: Any) -> bool:
    """Whether *value*'s containers are plain lists, tuples and dicts with only ``str`` keys.

    Walked level by level in C with ``gc.get_referents``, which returns a list's or
    tuple's items and, for a dict whose keys are all exact ``str`` (CPython's "unicode"
    key table), its values only; any other key makes the dict report keys and values.
    Leaves (``str``, numbers, ``None``, ``Decimal``, dates) report nothing. So:

    - a level whose nodes report nothing is the last one (leaves, or empty containers);
    - the referents of the level's plain containers number exactly their lengths, or a
      dict holds a non-str key;
    - every referent of the level comes from those containers, unless the level holds
      a subclass or an unknown type (a ``UUID``, known, holds its fields: allowed).

    The next level is the containers' referents. ``False`` (the thorough check decides)
    for a dict that once held a non-str key, a container subclass or unknown object that
    holds references, nesting deeper than ``_MAX_DEPTH`` levels, or a cycle. Leaves are
    not checked here: the encoder rejects a non-finite float, a non-finite Decimal or a
    non-JSON leaf itself, and writes an empty container of any kind as the thorough
    path does.
    """
    level = [value]
    for _ in range(_MAX_DEPTH):
        below = _referents(*level)
        if not below:
            return True  # nothing inside any node: leaves and empty containers
        containers = [node for node in level if type(node) in _CONTAINER_TYPES]
        inside = below if len(containers) == len(level) else _referents(*containers)
        if len(inside) != sum(map(len, containers)):
            return False  # a dict reported its keys: one is not a str
        if len(inside) != len(below) and not set(map(type, level)) <= _KNOWN_TYPES:
            return False  # a subclass or unknown object holds references: not walked here
        level = inside
    return False


# CPython reports referents as relied on above; elsewhere every value takes the thorough check
_WALKABLE = (
    len(_referents({"a": 1})) == 1
    and len(_referents({1: 1})) == 2  # noqa: PLR2004 - key and value
    and len(_referents([1, [2]])) == 2  # noqa: PLR2004 - the items
    and len(_referents((1, "a"))) == 2  # noqa: PLR2004 - the items
    and not _referents("a", 1, 1.5, None, Decimal(1), date(2026, 1, 1))  # leaves report nothing
)


def _fast_form(value: object) -> object:
    """JSON ``default`` of the fast path: :func:`_api_form` for finite API values only."""
    if isinstance(value, _API_TYPES) and not (isinstance(value, Decimal) and not value.is_finite()):
        return _api_form(value)
    raise TypeError(type(value).__name__)  # the thorough path names the offending path


# check_circular off: the walk ended within _MAX_DEPTH levels, so there is no cycle
_FAST_DUMPS = json.JSONEncoder(
    ensure_ascii=False,
    allow_nan=False,
    separators=(",", ":"),
    default=_fast_form,
    check_circular=False,
).encode


def encode(value: object, *, key: str | None = None, subject: str | None = None) -> str:
    """Return the compact JSON text of *value*.

    A refusal's message names what could not be done: ``cache the value of <key>`` by
    default, *subject* instead when given (``store the result of ...``).

    The usual value (plain JSON, dicts with ``str`` keys) is checked by a walk over its
    containers in C (:func:`_str_keyed`) and encoded at once; the encoder rejects a
    non-finite float or a non-JSON leaf, and only then the thorough check runs to name
    the offending path. Both paths give the same text (the same encoder settings).

    Raises:
        SerializationError: *value* (or something inside it, named by its path) is not
            a finite JSON value or has a non-str dict key, contains itself, or holds an
            int longer than Python turns into text (``sys.get_int_max_str_digits()``).
    """
    try:
        if type(value) in _CONTAINER_TYPES and len(value) <= _SMALL and _valid(value):  # type: ignore[arg-type]
            return _DUMPS(value)  # a small value: the recursive check costs less than the walk
        if _WALKABLE and _str_keyed(value):
            try:
                return _FAST_DUMPS(value)
            except (TypeError, ValueError):
                pass  # not JSON: the thorough check below raises with the path
        if not _valid(value):
            # raises, naming the offending path (built only now: the happy path stays cheap)
            _check(value, subject or _where(key))
        return _DUMPS(value)
    except SerializationError:  # a ValueError too: the check's own refusal, as it is
        raise
    except RecursionError:  # from the recursive checks: a cycle, or nesting past the limit
        raise SerializationError(
            f"cannot {subject or _where(key)}: it contains itself or nests too deeply for JSON"
        ) from None
    except ValueError:  # of a checked value, only an int over Python's int-to-text limit
        raise SerializationError(
            f"cannot {subject or _where(key)}: an int in it has more than "
            f"{sys.get_int_max_str_digits()} digits (sys.set_int_max_str_digits)"
        ) from None


def _where(key: str | None) -> str:
    return "cache value" if key is None else f"cache the value of {key!r}"


def decode(text: str | bytes) -> JSONValue:
    """Parse JSON text stored by :func:`encode`.

    Raises:
        SerializationError: *text* is not valid JSON (written by something else).
    """
    try:
        return json.loads(text)  # type: ignore[no-any-return]
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerializationError("the stored cache entry is not valid JSON") from exc


def to_wire(text: str) -> bytes:
    """The UTF-8 bytes of JSON *text* from :func:`encode`, as a server stores them.

    A lone surrogate (U+D800 alone: a valid Python string with no UTF-8 form) is
    written as its JSON escape instead, so it reads back as the same string, as from
    the in-memory fake; redis-py would fail with a bare ``UnicodeEncodeError``.
    """
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(json.loads(text), ensure_ascii=True, separators=(",", ":")).encode()


def check_key(key: object) -> str:
    """Return *key* if it is a non-empty str with a UTF-8 form (no lone surrogate).

    Raises:
        ValidationError: *key* is not a str, is empty, or has no UTF-8 form (Redis keys
            are bytes: redis-py failed with a bare ``UnicodeEncodeError``).
    """
    if not isinstance(key, str) or not key:
        problem = "must be a non-empty str"
    elif not has_utf8(key):
        problem = "must have a UTF-8 form (no lone surrogate)"
    else:
        return key
    raise ValidationError("invalid cache key", [FieldError("key", f"{problem}, got {key!r}")])


MAX_TTL = 2**62 / 1000
"""Longest TTL in seconds (2^62 ms, about 146 million years): Redis refuses an expiry
that, added to its clock in milliseconds, passes 2^63 - 1."""


def check_ttl(ttl: float | None, default: float) -> float:
    """Return *ttl*, or *default* when it is ``None``, as a positive finite number of seconds.

    Raises:
        ValidationError: the TTL is not a positive finite number, or is over
            :data:`MAX_TTL` (Redis answered a bare ``ResponseError``).
    """
    value: object = default if ttl is None else ttl
    # an int is compared as it is: math.isfinite overflows past float's range (10**400)
    positive = isinstance(value, int) and value > 0
    positive |= isinstance(value, float) and math.isfinite(value) and value > 0
    if isinstance(value, bool) or not positive:
        problem = "must be > 0 seconds"
    elif value > MAX_TTL:  # type: ignore[operator]  # a positive int or float
        problem = f"must be at most 2^62 ms ({MAX_TTL:.4g} seconds)"
    else:
        return float(value)  # type: ignore[arg-type]  # a positive int or float
    long_int = isinstance(value, int) and value.bit_length() > 1024  # noqa: PLR2004
    shown = f"an int of {value.bit_length()} bits" if long_int else repr(value)  # type: ignore[attr-defined]
    raise ValidationError("invalid cache TTL", [FieldError("ttl", f"{problem}, got {shown}")])


def ttl_millis(seconds: float) -> int:
    """A checked TTL (:func:`check_ttl`) in whole milliseconds, as Redis keeps it.

    Rounded to the nearest millisecond, and at least one: ``PSET``'s expiry is an integer
    of milliseconds, and a TTL under half of one is still a TTL, never "expire at once".
    """
    return max(1, round(seconds * 1000))


def ttl_is_off(ttl: object) -> bool:
    """Whether *ttl* is ``0``: serpens 2.9's decorators then stored nothing that could hit.

    The 2.9 toolkit (``cached``, ``acached``, ``redis_*``) keeps that meaning, so a TTL
    read from configuration can turn caching off; the ports refuse a TTL that is not positive.
    """
    return type(ttl) in {int, float} and ttl == 0


class AsyncFlight:
    """Deduplicates concurrent async fills per key (and per event loop)."""

    def __init__(self) -> None:
        self._tasks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, asyncio.Task[Any]]
        ] = weakref.WeakKeyDictionary()

    def in_flight(self) -> int:
        """Number of fills running on the current loop (for tests and diagnostics)."""
        return len(self._tasks.get(asyncio.get_running_loop(), {}))

    async def run(self, key: Hashable, fill: Callable[[], Awaitable[T]]) -> T:
        """Return ``await fill()``, sharing one running fill among concurrent callers."""
        loop = asyncio.get_running_loop()
        tasks = self._tasks.get(loop)
        if tasks is None:
            tasks = self._tasks[loop] = {}
        task = tasks.get(key)
        if task is None:
            task = loop.create_task(_as_coroutine(fill))
            tasks[key] = task
            task.add_done_callback(lambda done: _finished(tasks, key, done))
        return await asyncio.shield(task)


async def _as_coroutine(fill: Callable[[], Awaitable[T]]) -> T:
    return await fill()


def _finished(
    tasks: dict[Hashable, asyncio.Task[Any]], key: Hashable, done: asyncio.Task[Any]
) -> None:
    if tasks.get(key) is done:
        del tasks[key]
    if not done.cancelled():
        done.exception()  # retrieved: no "never retrieved" noise when every caller left


class Flight:
    """One lock per key while a fill runs; waiters re-check the store when they get it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Hashable, list[Any]] = {}

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[None]:
        """Hold *key*'s lock for the duration of the block."""
        with self._guard:
            entry = self._locks.get(key)
            if entry is None:
                entry = self._locks[key] = [threading.Lock(), 0]
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]

    def run(self, key: Hashable, fill: Callable[[], T]) -> T:
        """Return ``fill()``, run while holding *key*'s lock (twin of :meth:`AsyncFlight.run`)."""
        with self.hold(key):
            return fill()
