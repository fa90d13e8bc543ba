"""The exact wording of the in-memory caches' errors.

Values that are not JSON, keys, TTLs and outages.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    SerializationError,
    ValidationError,
)
from serpens.fakes import AsyncInMemoryCache, InMemoryCache
from tests.serpens.fakes.error_messages._error_cases import (
    _down,
    _observed,
    _untyped,
)


async def _not_json() -> Any:
    """An async cache factory returning a value no cache can store."""
    return object()


CACHE_CASES = [
    pytest.param(
        lambda: InMemoryCache().set("k", _untyped(object())),
        SerializationError,
        (
            "cannot cache the value of 'k': "
            "type object is not a JSON value (use None, bool, int, float, str, list, tuple, "
            "dict with str keys, or Decimal, date, datetime, UUID: stored in their JSON form)"
        ),
        [],
        id="cache-value-not-json",
    ),
    pytest.param(
        lambda: _down(InMemoryCache(fail_open=True)).get_or_set("k", lambda: _untyped(object())),
        SerializationError,
        (
            "cannot cache the value of 'k': "
            "type object is not a JSON value (use None, bool, int, float, str, list, tuple, "
            "dict with str keys, or Decimal, date, datetime, UUID: stored in their JSON form)"
        ),
        [],
        id="cache-fail-open-outage-value-not-json",
    ),
    pytest.param(
        lambda: _down(AsyncInMemoryCache(fail_open=True)).get_or_set("k", _not_json),
        SerializationError,
        (
            "cannot cache the value of 'k': "
            "type object is not a JSON value (use None, bool, int, float, str, list, tuple, "
            "dict with str keys, or Decimal, date, datetime, UUID: stored in their JSON form)"
        ),
        [],
        id="async-cache-fail-open-outage-value-not-json",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", {"rows": [{"at": _untyped({1, 2})}]}),
        SerializationError,
        (
            "cannot cache the value of 'k'['rows'][0]['at']: "
            "type set is not a JSON value (use None, bool, int, float, str, list, tuple, "
            "dict with str keys, or Decimal, date, datetime, UUID: stored in their JSON form)"
        ),
        [],
        id="cache-nested-value-not-json",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", _untyped({1: "a"})),
        SerializationError,
        "cannot cache the value of 'k': dict key 1 has type int; JSON object keys must be str",
        [],
        id="cache-dict-key-not-a-str",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", [1.0, float("nan")]),
        SerializationError,
        "cannot cache the value of 'k'[1]: nan is not valid JSON",
        [],
        id="cache-float-nan",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", _untyped({"price": Decimal("NaN")})),
        SerializationError,
        "cannot cache the value of 'k'['price']: Decimal('NaN') is not valid JSON",
        [],
        id="cache-decimal-nan",
    ),
    pytest.param(
        lambda: InMemoryCache().get(""),
        ValidationError,
        "invalid cache key: key: must be a non-empty str, got ''",
        [("key", "must be a non-empty str, got ''")],
        id="cache-empty-key",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", 1, ttl=0),
        ValidationError,
        "invalid cache TTL: ttl: must be > 0 seconds, got 0",
        [("ttl", "must be > 0 seconds, got 0")],
        id="cache-ttl-zero",
    ),
    pytest.param(
        lambda: InMemoryCache(default_ttl=float("inf")),
        ValidationError,
        "invalid cache TTL: ttl: must be > 0 seconds, got inf",
        [("ttl", "must be > 0 seconds, got inf")],
        id="cache-default-ttl-infinite",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", 1, ttl=1e16),
        ValidationError,
        "invalid cache TTL: ttl: must be at most 2^62 ms (4.612e+15 seconds), got 1e+16",
        [("ttl", "must be at most 2^62 ms (4.612e+15 seconds), got 1e+16")],
        id="cache-ttl-past-2-62-ms",
    ),
    pytest.param(
        lambda: InMemoryCache().get("\ud800"),
        ValidationError,
        "invalid cache key: key: must have a UTF-8 form (no lone surrogate), got '\\ud800'",
        [("key", "must have a UTF-8 form (no lone surrogate), got '\\ud800'")],
        id="cache-key-lone-surrogate",
    ),
    pytest.param(
        lambda: _down(InMemoryCache()).get("k"),
        BackendUnavailableError,
        "InMemoryCache: simulated outage, the backend is unreachable",
        [],
        id="cache-outage",
    ),
    pytest.param(
        lambda: _down(InMemoryCache(), timeout=True).get("k"),
        BackendTimeoutError,
        "InMemoryCache: simulated outage, the backend did not answer",
        [],
        id="cache-outage-timeout",
    ),
]

# Raise sites with no case, because no call through a fake reaches their text:
# - serpens/_rules/cache.py ``_api_form`` and ``_fast_form``: their TypeErrors are caught
#   inside ``encode``; users see the SerializationError of ``_check`` (pinned above).


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), CACHE_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
