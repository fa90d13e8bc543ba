"""A third party's Cache adapter, as an outside author would write one: "acme", on SQLite.

It uses only public serpens names (the port's semantics, ``serpens.errors``) and the
standard library. ``test_acme_cache.py`` proves it with serpens' contract suite through
the pytest plugin, exactly as docs/contract-tests.md shows.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from serpens.errors import BackendUnavailableError, SerializationError, ValidationError
from serpens.ports import JSONValue

_SCHEMA = """
CREATE TABLE IF NOT EXISTS acme_cache (
    namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (namespace, key)
)
"""


_MAX_TTL = 2**62 / 1000  # the port's longest TTL: 2^62 milliseconds


def _check_json(value: Any, path: str = "value") -> None:
    """Refuse what ``json.dumps`` would silently change (int keys, NaN) or cannot encode."""
    if value is None or isinstance(value, str | int):
        return
    if isinstance(value, float) and math.isfinite(value):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]")
        return
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        for key, item in value.items():
            _check_json(item, f"{path}[{key!r}]")
        return
    raise SerializationError(f"acme cannot cache {path}: {type(value).__name__} is not JSON")


class AcmeCache:
    """A :class:`serpens.ports.Cache` in one SQLite table shared by many namespaces."""

    def __init__(
        self,
        path: str | Path,
        *,
        namespace: str,
        clock: Callable[[], float] = time.monotonic,
        default_ttl: float = 300.0,
    ) -> None:
        self._path = str(path)
        self._namespace = namespace
        self._clock = clock
        self._default_ttl = default_ttl
        self._db: sqlite3.Connection | None = None  # opened on first use: no I/O here
        self._lock = threading.Lock()  # the port's caches serve many threads at once

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                if self._db is None:
                    self._db = sqlite3.connect(self._path, check_same_thread=False)
                    self._db.execute(_SCHEMA)
                with self._db:  # one transaction per operation
                    yield self._db
            except sqlite3.OperationalError as exc:
                raise BackendUnavailableError(f"acme cache at {self._path!r}: {exc}") from exc

    def _ttl(self, ttl: float | None) -> float:
        seconds = self._default_ttl if ttl is None else ttl
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ValidationError(f"ttl must be a number of seconds, got {ttl!r}")
        if not 0 < seconds <= _MAX_TTL:  # false for NaN; exact for ints too large for a float
            raise ValidationError(f"ttl must be a positive number of seconds, got {ttl!r}")
        return seconds

    @staticmethod
    def _key(key: str) -> str:
        if not key:
            raise ValidationError("cache keys must be non-empty strings")
        try:
            key.encode()  # the port's keys have a UTF-8 form (no lone surrogate)
        except UnicodeEncodeError:
            raise ValidationError("cache keys must have a UTF-8 form") from None
        return key

    def get(self, key: str) -> JSONValue:
        """See :meth:`serpens.ports.Cache.get`."""
        with self._sql() as db:
            row = db.execute(
                "SELECT value FROM acme_cache WHERE namespace = ? AND key = ? AND expires > ?",
                (self._namespace, self._key(key), self._clock()),
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        """See :meth:`serpens.ports.Cache.set`."""
        expires = self._clock() + self._ttl(ttl)
        try:
            _check_json(value)
            text = json.dumps(value)
        except RecursionError:  # a value that contains itself, or nests past the limit
            raise SerializationError("acme cannot cache value: it nests too deeply") from None
        except ValueError as exc:  # an int past Python's 4,300-digit text limit
            raise SerializationError(f"acme cannot cache value: {exc}") from None
        with self._sql() as db:
            db.execute(
                "INSERT OR REPLACE INTO acme_cache VALUES (?, ?, ?, ?)",
                (self._namespace, self._key(key), text, expires),
            )

    def delete(self, key: str) -> bool:
        """See :meth:`serpens.ports.Cache.delete`."""
        with self._sql() as db:
            live = db.execute(
                "DELETE FROM acme_cache WHERE namespace = ? AND key = ? AND expires > ?",
                (self._namespace, self._key(key), self._clock()),
            ).rowcount
            db.execute(  # an expired entry goes too, but does not count as removed
                "DELETE FROM acme_cache WHERE namespace = ? AND key = ?", (self._namespace, key)
            )
        return live > 0

    def get_or_set(
        self, key: str, factory: Callable[[], JSONValue], *, ttl: float | None = None
    ) -> JSONValue:
        """See :meth:`serpens.ports.Cache.get_or_set`."""
        self._ttl(ttl)
        hit = self.get(key)
        if hit is not None:
            return hit
        value = factory()
        if value is None:
            return None
        self.set(key, value, ttl=ttl)
        return json.loads(json.dumps(value))  # what it stored, even if another thread deletes it

    def clear(self) -> None:
        """See :meth:`serpens.ports.Cache.clear`."""
        with self._sql() as db:
            db.execute("DELETE FROM acme_cache WHERE namespace = ?", (self._namespace,))

    def close(self) -> None:
        """Close the SQLite connection (the suite calls this after each test)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
