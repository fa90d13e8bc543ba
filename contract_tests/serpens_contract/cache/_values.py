"""Cache cases about values: what round-trips, in which JSON form, and what is refused.

One theme of :class:`~serpens_contract.cache._tests._CacheTests`, written against the
sync port (the async suite runs them through :class:`AsyncCacheView`).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any, NamedTuple

import pytest

from serpens.errors import SerializationError
from serpens.ports import Cache, JSONValue
from serpens_contract.cache._support import (
    _containing_itself,
    _nested,
    _records_with,
    _Unserialisable,
)
from serpens_contract.capabilities import requires


class _Level(IntEnum):
    LOW = 1
    HIGH = 3


class _Color(StrEnum):
    RED = "red"
    BLUE = "blue"


class _Point(NamedTuple):
    x: int
    y: object


class _CacheValueCases:
    """JSON values (and the API's) round-trip; a value with no JSON form stores nothing."""

    def test_get_of_a_missing_key_returns_none(self, cache: Cache) -> None:
        """A miss returns ``None``."""
        assert cache.get("missing") is None

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(True, id="bool"),
            pytest.param(0, id="zero"),
            pytest.param(-(2**63), id="big-int"),
            pytest.param(1.5, id="float"),
            pytest.param("", id="empty-str"),
            pytest.param("ação ☃", id="unicode"),
            pytest.param("lone \ud800 surrogate", id="lone-surrogate"),
            pytest.param([], id="empty-list"),
            pytest.param({"a": [1, {"b": None}], "c": "d"}, id="nested"),
        ],
    )
    def test_set_then_get_round_trips_json_values(self, cache: Cache, value: JSONValue) -> None:
        """Values round-trip through JSON on every implementation."""
        cache.set("k", value)
        got = cache.get("k")
        assert got == value
        assert type(got) is type(value)

    def test_tuples_come_back_as_lists(self, cache: Cache) -> None:
        """A tuple comes back as a list."""
        cache.set("k", {"t": (1, (2, 3))})  # type: ignore[dict-item]
        assert cache.get("k") == {"t": [1, [2, 3]]}

    @pytest.mark.parametrize("size", [1, 12], ids=["small", "large"])
    def test_subclasses_of_json_types_are_stored_as_their_base_type(
        self, cache: Cache, size: int
    ) -> None:
        """An ``IntEnum``, a ``StrEnum``, an ``OrderedDict``, a named tuple: plain JSON.

        As ``json.dumps`` writes them: the int, the text, the object, the array; read
        back as plain JSON. A small value and a large one take different encoding
        paths, and a subclass at the top of the value a third; all give the same.
        """
        value = {
            "level": _Level.HIGH,
            "color": _Color.RED,
            "ordered": OrderedDict([("b", 1), ("a", _Level.LOW)]),
            "point": _Point(1, _Color.BLUE),
        }
        cache.set("k", [value] * size)  # type: ignore[list-item]
        expected = {"level": 3, "color": "red", "ordered": {"b": 1, "a": 1}, "point": [1, "blue"]}
        got = cache.get("k")
        assert got == [expected] * size
        assert type(got[0]["level"]) is int  # type: ignore[index,call-overload]
        assert type(got[0]["color"]) is str  # type: ignore[index,call-overload]
        cache.set("top", _Level.HIGH)
        assert cache.get("top") == 3
        assert cache.get_or_set("other", lambda: _Point(2, "x")) == [2, "x"]  # type: ignore[arg-type,return-value]

    @requires("api_values")
    @pytest.mark.parametrize("size", [1, 12], ids=["small", "large"])
    def test_api_values_are_stored_in_their_json_form(self, cache: Cache, size: int) -> None:
        """Decimal, date, datetime and UUID are stored as the API's JSON gives them.

        Read back as JSON: an exact Decimal as a number (else its string), a date or
        datetime as ISO 8601 text, a UUID as its canonical text. A small value and a
        large one take different encoding paths; both give the same.
        """
        ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
        when = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
        value = {
            "price": Decimal("19.99"),
            "count": Decimal(10),
            "exact": Decimal("0.10000000000000000001"),
            "day": date(2026, 1, 2),
            "at": when,
            "id": ident,
        }
        cache.set("k", [value] * size)  # type: ignore[list-item]
        expected = {
            "price": 19.99,
            "count": 10,
            "exact": "0.10000000000000000001",
            "day": "2026-01-02",
            "at": "2026-01-02T03:04:05.600000+00:00",
            "id": "12345678-1234-5678-1234-567812345678",
        }
        assert cache.get("k") == [expected] * size
        assert cache.get_or_set("other", lambda: [value] * size) == [expected] * size  # type: ignore[list-item]

    @requires("api_values")
    @pytest.mark.parametrize("size", [1, 12], ids=["small", "large"])
    @pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "sNaN"])
    def test_a_non_finite_decimal_raises_and_stores_nothing(
        self, cache: Cache, size: int, bad: str
    ) -> None:
        """A Decimal with no JSON number (NaN, infinities) is a SerializationError."""
        value: list[Any] = [1] * (size - 1) + [Decimal(bad)]
        with pytest.raises(SerializationError):
            cache.set("k", value)
        assert cache.get("k") is None

    def test_set_replaces_the_previous_value(self, cache: Cache) -> None:
        cache.set("k", 1)
        cache.set("k", "two")
        assert cache.get("k") == "two"

    def test_delete_reports_whether_a_live_entry_was_removed(self, cache: Cache) -> None:
        """``delete`` returns whether a live entry was removed."""
        cache.set("k", 1)
        assert cache.delete("k") is True
        assert cache.delete("k") is False
        assert cache.get("k") is None
        assert cache.delete("never-set") is False

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(_Unserialisable(), id="object"),
            pytest.param({1: "int key"}, id="int-dict-key"),
            pytest.param(_records_with({2: "x"}), id="int-dict-key-deep"),
            pytest.param(_records_with(OrderedDict({3: "x"})), id="int-key-in-a-dict-subclass"),
            pytest.param(
                _records_with({"ok": {4: "x"}}, beside=uuid.UUID(int=1)), id="int-key-beside-uuids"
            ),
            pytest.param(_nested(205, {5: "x"}), id="int-dict-key-205-levels-down"),
            pytest.param(
                [*range(10), _nested(205, {5: "x"})], id="int-dict-key-205-levels-down-large"
            ),
            pytest.param(float("nan"), id="nan"),
            pytest.param([float("inf")], id="inf"),
            pytest.param({"when": b"bytes"}, id="bytes"),
            pytest.param({1, 2}, id="set"),
            pytest.param(_containing_itself(1), id="cycle-small"),
            pytest.param(_containing_itself(40), id="cycle-large"),
            pytest.param(_nested(100_000), id="too-deep"),
            pytest.param(10**5000, id="int-over-python-s-text-limit"),
            pytest.param({"n": [*range(10), -(10**5000)]}, id="int-over-the-limit-deep"),
        ],
    )
    def test_a_non_json_value_raises_and_stores_nothing(self, cache: Cache, value: Any) -> None:
        """A value that cannot be encoded raises SerializationError and stores nothing."""
        cache.set("k", "kept")
        with pytest.raises(SerializationError):
            cache.set("k", value)
        assert cache.get("k") == "kept"
        with pytest.raises(SerializationError):
            cache.get_or_set("other", lambda: value)
        assert cache.get("other") is None
