"""Document store cases about value types: numbers, sets and enums as DynamoDB reads them back.

One theme of :class:`~serpens_contract.document.DocumentStoreContract`, with the enums
it stores and :func:`_types`, which compares values type for type.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Any


class _DocumentValueTypeCases:
    """Integral numbers read back as ``int``, others as ``Decimal``; sets; plain enums."""

    def test_integral_numbers_read_back_as_int_and_others_as_decimal(self, tables: Any) -> None:
        """The type is pinned, not only equality: ``Decimal(30) == 30`` would hide a bug."""
        store, people, _ = tables
        store.put(
            people,
            {
                "id": "1",
                "int": 30,
                "float": 2.0,
                "decimal": Decimal("5.00"),
                "fraction": 1.5,
                "doc": {"n": 7, "l": [8, Decimal("8.25")]},
                "set": {1, 2},
            },
        )
        got = store.get(people, {"id": "1"})
        assert got is not None
        integral = [got["int"], got["float"], got["decimal"], got["doc"]["n"], got["doc"]["l"][0]]
        assert integral == [30, 2, 5, 7, 8]
        assert all(type(n) is int for n in integral)
        assert all(type(n) is int for n in got["set"])
        assert got["set"] == {1, 2}
        assert type(got["fraction"]) is Decimal
        assert got["fraction"] == Decimal("1.5")
        assert type(got["doc"]["l"][1]) is Decimal
        assert got["doc"]["l"][1] == Decimal("8.25")

    def test_string_number_and_binary_sets_round_trip(self, tables: Any) -> None:
        """A set holds only strings, only numbers (int or Decimal) or only bytes."""
        store, people, _ = tables
        item = {
            "id": "1",
            "strings": {"a", "b"},
            "numbers": {1, Decimal("2.5"), 3.0},
            "blobs": frozenset({b"\x00", b"\x01"}),
        }
        store.put(people, item)
        got = store.get(people, {"id": "1"})
        assert got == {
            "id": "1",
            "strings": {"a", "b"},
            "numbers": {1, Decimal("2.5"), 3},
            "blobs": {b"\x00", b"\x01"},
        }
        assert sorted(type(n).__name__ for n in got["numbers"]) == ["Decimal", "int", "int"]

    def test_enum_members_read_back_as_plain_values(self, tables: Any) -> None:
        """``IntEnum`` and ``StrEnum`` members are stored as their values, read back plain.

        DynamoDB reads back ``int`` and ``str`` in keys, attribute names, nested values
        and sets; a ``(str, Enum)`` or ``(int, Enum)`` member, whose ``str()`` is
        ``"_OldKind.B"``, is stored by its value too.
        """
        store, _, events = tables
        store.put(
            events,
            {
                "user": _Kind.A,
                "at": _OldKind.B,
                "level": _Level.HIGH,
                "count": _OldCount.TWO,
                "kind": _Kind.A,
                "doc": {_Kind.A: [_Level.HIGH, _OldKind.B]},
                "tags": {_Kind.A},
                "levels": {_Level.HIGH},
            },
        )
        expected = {
            "user": "a",
            "at": "b",
            "level": 3,
            "count": 2,
            "kind": "a",
            "doc": {"a": [3, "b"]},
            "tags": {"a"},
            "levels": {3},
        }
        for got in (store.get(events, {"user": "a", "at": "b"}), *store.query(events, "a")):
            assert got == expected
            assert _types(got) == _types(expected)


class _Kind(StrEnum):
    A = "a"


class _OldKind(str, Enum):  # noqa: UP042 - the pre-3.11 spelling, str() is not its value
    B = "b"


class _Level(IntEnum):
    HIGH = 3


class _OldCount(int, Enum):  # the pre-3.11 spelling, str() is not its value
    TWO = 2


def _types(value: object) -> object:
    """*value*'s exact types, recursively (``Decimal(3) == 3`` and ``_Kind.A == "a"``)."""
    if isinstance(value, dict):
        return {(type(k), k): _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    if isinstance(value, set):
        return sorted(repr((type(v), v)) for v in value)
    return type(value)
