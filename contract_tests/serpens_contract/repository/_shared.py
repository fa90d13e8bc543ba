"""Values and helpers the Repository suite's example cases share.

The database factory's type, a non-UTC zone, the row and cursor helpers, the tampered
cursors and wrong-typed values several cases walk through, and the check that a refused
value fails a flush: each is used by more than one themed mixin of ``RepositoryContract``.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens_contract._repository_databases import RepositoryDatabase

OpenDatabase = Callable[[], RepositoryDatabase]
UTC_MINUS_3 = dt.timezone(dt.timedelta(hours=-3))


def _skus(rows: Any) -> list[str]:
    return [r.sku for r in rows]


def _sorted_skus(rows: Any, order: list[str]) -> list[str]:
    """*rows* sorted as the port promises: NULLs last ascending, first descending, key last."""

    def compare(a: Any, b: Any) -> int:
        for term in order:
            name = term.lstrip("-")
            descending = term.startswith("-")
            x, y = getattr(a, name), getattr(b, name)
            if x == y:
                continue
            if x is None or y is None:
                return (1 if x is None else -1) * (-1 if descending else 1)
            return (1 if x > y else -1) * (-1 if descending else 1)
        return int(a.id > b.id) - int(a.id < b.id)

    return _skus(sorted(rows, key=functools.cmp_to_key(compare)))


def _cursor(payload: object) -> str:
    """A cursor as a client could forge it (seek's own format: base64 of JSON)."""
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# Cursors travel in query strings: each of these must be a ValidationError, on every
# backend, before any I/O (key: what is wrong with it; default order: ``id``).
TAMPERED_CURSORS: dict[str, object] = {
    "not base64": "!!not a cursor!!",
    "not a string": 12345,
    "a JSON list": _cursor([]),
    "a JSON number": _cursor(5),
    "values not a list": _cursor({"o": ["id"], "v": 5}),
    "labels not a list": _cursor({"o": "id", "v": [1]}),
    "the labels of another order": _cursor({"o": ["-id"], "v": [1]}),
    "one value too many": _cursor({"o": ["id"], "v": [1, 2]}),
    "no value": _cursor({"o": ["id"], "v": []}),
    "a string for an integer column": _cursor({"o": ["id"], "v": ["abc"]}),
    "a boolean for an integer column": _cursor({"o": ["id"], "v": [True]}),
    "a float for an integer column": _cursor({"o": ["id"], "v": [1.5]}),
    "an int past the INTEGER column": _cursor({"o": ["id"], "v": [2**31]}),
    "a decimal for an integer column": _cursor({"o": ["id"], "v": [{"dec": "1"}]}),
    "a bad decimal": _cursor({"o": ["id"], "v": [{"dec": "abc"}]}),
    "a bad datetime": _cursor({"o": ["id"], "v": [{"dt": "yesterday"}]}),
    "a uuid tag holding a number": _cursor({"o": ["id"], "v": [{"uuid": 5}]}),
    "a nested list": _cursor({"o": ["id"], "v": [[1]]}),
    "an unknown tag": _cursor({"o": ["id"], "v": [{"x": "1"}]}),
    "deeply nested JSON": _cursor("[" * 20000 + "]" * 20000),
    "too long": "A" * 70000,
}


WRONG_TYPES: list[tuple[str, object]] = [
    ("price", "12"),  # a string for an integer
    ("price", 1.5),  # a float for an integer
    ("price", True),  # a boolean for an integer
    ("sku", 42),  # a number for a string
    ("seen_at", "2024-01-02T03:04:05+00:00"),  # a string for a datetime
    ("seen_at", dt.date(2024, 1, 2)),  # a date for a datetime
    ("seen_at", dt.datetime(2024, 1, 2, 3, 4, 5)),  # noqa: DTZ001 - naive, on purpose
]
"""A value of the wrong type for a ``Product`` column: every write path refuses each."""


def _flush_refuses_then_stores(
    repo: Any, obj: Any, field: str, refused: object, fits: object
) -> None:
    """A refused value set on a loaded object fails its flush; a fitting one is stored."""
    setattr(obj, field, refused)
    with pytest.raises(ValidationError):
        repo.flush()
    setattr(obj, field, fits)
    repo.flush()
    assert getattr(repo.get(obj.id), field) == fits
