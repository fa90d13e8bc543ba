"""Document store cases about DynamoDB's limits: what it refuses, what it takes at the edge.

One theme of :class:`~serpens_contract.document.DocumentStoreContract`: invalid items
(and the path the error names), numbers, attribute names and the 400 KB item size.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens_contract.capabilities import requires


class _DocumentLimitCases:
    """Invalid items and numbers are refused before any I/O; the limits are inclusive."""

    @pytest.mark.parametrize(
        "item",
        [
            pytest.param({"name": "no key"}, id="missing-key"),
            pytest.param({"id": ""}, id="empty-key"),
            pytest.param({"id": True}, id="bool-key"),
            pytest.param({"id": "1", "x": float("nan")}, id="nan"),
            pytest.param({"id": "1", "x": set()}, id="empty-set"),
            pytest.param({"id": "1", "x": {1, "a"}}, id="set-mixing-numbers-and-strings"),
            pytest.param({"id": "1", "x": {"a", b"a"}}, id="set-mixing-strings-and-bytes"),
            pytest.param({"id": "1", "x": {True, False}}, id="set-of-booleans"),
            pytest.param({"id": "1", "x": {None}}, id="set-of-null"),
            pytest.param({"id": "1", "x": {1: "int map key"}}, id="int-map-key"),
            pytest.param({"id": "1", "": "x"}, id="empty-attribute-name"),
            pytest.param({"id": "1", "\ud800": 1}, id="attribute-name-with-a-lone-surrogate"),
            pytest.param({"id": "\ud800"}, id="key-with-a-lone-surrogate"),
            pytest.param({"id": "1", "s": {"a", "\udfff"}}, id="set-with-a-lone-surrogate"),
            pytest.param({"id": "1", "n" * 65_536: 1}, id="attribute-name-over-65535-bytes"),
            pytest.param({"id": "1", "x": object()}, id="unsupported-type"),
            pytest.param({"id": 1}, id="int-key-on-a-string-key-table"),
            pytest.param({"id": "k" * 2049}, id="partition-key-over-2048-bytes"),
            pytest.param({"id": "1", "blob": "x" * 500_000}, id="item-over-400kb"),
            # the value alone is under 409,600 bytes; with its 1,000-byte name it is over
            pytest.param({"id": "1", "n" * 1000: "x" * 408_700}, id="names-count-toward-400kb"),
            pytest.param(
                {"id": "1", **{f"a{i:03}": "x" * 4096 for i in range(100)}},
                id="many-attributes-over-400kb",
            ),
            # every element of a list or a set counts, not only the container
            pytest.param(
                {"id": "1", "l": ["x" * 205_000, "y" * 205_000]}, id="list-elements-over-400kb"
            ),
            pytest.param(
                {"id": "1", "s": {"x" * 205_000, "y" * 205_000}}, id="set-elements-over-400kb"
            ),
        ],
    )
    def test_invalid_items_are_validation_errors(self, tables: Any, item: Any) -> None:
        store, people, _ = tables
        with pytest.raises(ValidationError):
            store.put(people, item)

    @pytest.mark.parametrize(
        ("attributes", "path"),
        [
            pytest.param({"doc": {"l": [1, float("nan")]}}, "item.doc.l[1]", id="list-element"),
            pytest.param({"x": [{"k": object()}]}, "item.x[0].k", id="map-in-a-list"),
            pytest.param({"x": {"m": {1: "v"}}}, "item.x.m", id="non-string-map-key"),
            pytest.param({"x": [{"": "v"}]}, "item.x[0]", id="empty-map-key"),
            pytest.param({"x": ["ok", "a\ud800"]}, "item.x[1]", id="lone-surrogate"),
            pytest.param({"x": {"é" * 32_768: 1}}, "item.x", id="map-key-over-65535-bytes"),
            pytest.param({"x": (1, set())}, "item.x[1]", id="tuple-element"),
            pytest.param({"doc": {"s": {1, "a"}}}, "item.doc.s", id="mixed-set"),
            pytest.param({"s": {1.5, float("inf")}}, "item.s", id="set-element"),
        ],
    )
    def test_a_validation_error_names_the_path_of_the_invalid_value(
        self, tables: Any, attributes: dict[str, Any], path: str
    ) -> None:
        """``errors`` holds one FieldError locating the bad value from ``item``."""
        store, people, _ = tables
        with pytest.raises(ValidationError) as caught:
            store.put(people, {"id": "1", **attributes})
        assert [e.path for e in caught.value.errors] == [path]
        assert store.get(people, {"id": "1"}) is None

    @pytest.mark.parametrize(
        ("attributes", "path"),
        [
            pytest.param({"x": 1e308}, "item.x", id="float-over-9.99e125"),
            pytest.param({"x": -1e308}, "item.x", id="negative-float-over-9.99e125"),
            pytest.param({"x": 5e-324}, "item.x", id="float-under-1e-130"),
            pytest.param({"x": Decimal("1E+126")}, "item.x", id="decimal-1e126"),
            pytest.param({"x": Decimal("-1E+200")}, "item.x", id="negative-decimal-1e200"),
            pytest.param({"x": Decimal("1E-131")}, "item.x", id="decimal-1e-131"),
            pytest.param({"x": Decimal("1." + "2" * 38)}, "item.x", id="decimal-39-digits"),
            pytest.param({"x": 10**38 + 1}, "item.x", id="int-39-digits"),
            pytest.param(
                {"x": int("1" * 39) * 10}, "item.x", id="int-39-significant-digits-then-a-zero"
            ),
            pytest.param({"x": 10**126}, "item.x", id="int-1e126"),
            pytest.param({"x": float("inf")}, "item.x", id="float-infinity"),
            pytest.param({"x": float("-inf")}, "item.x", id="float-minus-infinity"),
            pytest.param({"x": Decimal("Infinity")}, "item.x", id="decimal-infinity"),
            pytest.param({"x": Decimal("NaN")}, "item.x", id="decimal-nan"),
            pytest.param({"doc": {"l": [1, 1e300]}}, "item.doc.l[1]", id="nested-in-a-list"),
            pytest.param({"doc": {"n": 10**40 + 1}}, "item.doc.n", id="nested-in-a-map"),
            pytest.param({"s": {1, Decimal("1E-200")}}, "item.s", id="in-a-number-set"),
        ],
    )
    def test_numbers_dynamodb_cannot_store_are_validation_errors(
        self, tables: Any, attributes: dict[str, Any], path: str
    ) -> None:
        """38 significant digits, magnitude 1E-130 to 9.99...E+125, or 0; before any I/O."""
        self.test_a_validation_error_names_the_path_of_the_invalid_value(tables, attributes, path)

    def test_numbers_at_dynamodb_s_limits_round_trip(self, tables: Any) -> None:
        """The edges DynamoDB stores: 38 digits, 1E-130, 9.99...E+125 (38 nines), zeros."""
        store, people, _ = tables
        largest = Decimal("9." + "9" * 37 + "E+125")
        smallest_38_digits = Decimal("1." + "2" * 37 + "E-130")
        item = {
            "id": "1",
            "digits": 10**38 - 1,  # 38 nines
            "fraction": Decimal("0." + "1" * 38),
            "smallest": Decimal("1E-130"),
            "negative_smallest": Decimal("-1E-130"),
            "smallest_38_digits": smallest_38_digits,
            "largest": largest,
            "negative_largest": largest.copy_negate(),  # unary minus would round to 28 digits
            "trailing_zeros": 10**40,  # one significant digit
            "digits_then_a_zero": int("1" * 38) * 10,  # 39 digits, 38 significant
            "zero": Decimal("0E-200"),
            "doc": {"l": [Decimal("1E-130"), largest], "s": {largest, Decimal("1E-130")}},
        }
        store.put(people, item)
        got = store.get(people, {"id": "1"})
        assert got == item
        assert type(got["largest"]) is int  # integral: 99...9 followed by 88 zeros
        assert type(got["smallest"]) is Decimal

    def test_attribute_names_of_one_and_of_65535_bytes_round_trip(self, tables: Any) -> None:
        """DynamoDB's attribute names are 1 to 65,535 UTF-8 bytes, a map element's too."""
        store, people, _ = tables
        longest = "é" * 32_767 + "n"  # 65,535 bytes in 32,768 characters
        item = {"id": "1", "a": 1, longest: {"b": 2, longest: "x"}}
        store.put(people, item)
        assert store.get(people, {"id": "1"}) == item

    def test_values_nested_31_levels_round_trip_and_32_are_validation_errors(
        self, tables: Any
    ) -> None:
        """DynamoDB takes 32 levels, the attribute as level 1: 31 maps or lists inside it.

        One more is refused before any I/O (moto stores any depth), the error naming the
        map or list one level too deep; a list holding itself is refused the same way.
        """
        store, people, _ = tables
        store.put(people, {"id": "1", "d": _nested(31, lists_first=False)[0]})
        assert store.get(people, {"id": "1"}) == {"id": "1", "d": _nested(31, lists_first=False)[0]}
        for lists_first in (False, True):
            too_deep, path = _nested(32, lists_first=lists_first)
            with pytest.raises(ValidationError) as caught:
                store.put(people, {"id": "2", "d": too_deep})
            assert [e.path for e in caught.value.errors] == [path]
        cycle: list[object] = []
        cycle.append(cycle)
        with pytest.raises(ValidationError):
            store.put(people, {"id": "3", "d": cycle})
        assert store.get(people, {"id": "2"}) is None
        assert store.get(people, {"id": "3"}) is None

    def test_numeric_keys_dynamodb_cannot_store_are_validation_errors(self, tables: Any) -> None:
        store, people, _ = tables
        counters = people.removesuffix("-people") + "-numbered"
        store.create_table(counters, "n", partition_type=int)
        for bad in (10**38 + 1, Decimal("1E+126"), Decimal("1E-131"), Decimal("NaN")):
            with pytest.raises(ValidationError) as caught:
                store.put(counters, {"n": bad})
            assert [e.path for e in caught.value.errors] == ["n"]
            with pytest.raises(ValidationError):
                store.get(counters, {"n": bad})
            with pytest.raises(ValidationError):
                store.query(counters, bad)
        for good in (10**38 - 1, 10**40):
            store.put(counters, {"n": good, "v": 1})
            assert store.get(counters, {"n": good}) == {"n": good, "v": 1}
            assert store.query(counters, good) == [{"n": good, "v": 1}]

    @requires("exact_item_size")
    def test_an_item_of_exactly_400kb_counted_as_dynamodb_counts_is_accepted(
        self, tables: Any
    ) -> None:
        """Golden sizes: names, a map (3 + 1 per element), a list, a bool, a null, a number."""
        store, people, _ = tables

        def item(filler: int) -> dict[str, Any]:
            return {"id": "1", "doc": {"n": 12345, "flags": [True, None], "s": "x" * filler}}

        # "id" 2 + "1" 1 + "doc" 3 + map 3 + ("n" 1+1 + 12345: 5 digits -> 4)
        # + ("flags" 1+5 + list 3 + (1+1) + (1+1)) + ("s" 1+1 + filler) = 30 + filler
        store.put(people, item(409_600 - 30))
        assert store.get(people, {"id": "1"}) == item(409_600 - 30)

    def test_an_item_one_byte_over_400kb_is_a_validation_error(self, tables: Any) -> None:
        store, people, _ = tables
        item = {"id": "1", "doc": {"n": 12345, "flags": [True, None], "s": "x" * 409_571}}
        with pytest.raises(ValidationError):
            store.put(people, item)  # 30 + 409,571 = 409,601 bytes (see the test above)

    def test_an_item_under_400kb_round_trips(self, tables: Any) -> None:
        store, people, _ = tables
        item = {"id": "1", "blob": "x" * 400_000, "n": 12345678901234567890, "ok": True}
        store.put(people, item)
        assert store.get(people, {"id": "1"}) == item

    @requires("exact_item_size")
    def test_even_digit_numbers_and_set_elements_count_exactly_at_400kb(self, tables: Any) -> None:
        """Golden sizes: a 4-digit number takes 3 bytes, a set the sum of its elements."""
        store, people, _ = tables

        def item(filler: int) -> dict[str, Any]:
            return {"id": "1", "doc": {"n": 1234, "tags": {"ab", "cde"}, "s": "x" * filler}}

        # "id" 2 + "1" 1 + "doc" 3 + map 3 + ("n" 1+1 + 1234: 4 digits -> 3)
        # + ("tags" 1+4 + set 2+3) + ("s" 1+1 + filler) = 26 + filler
        store.put(people, item(409_600 - 26))
        assert store.get(people, {"id": "1"}) == item(409_600 - 26)
        with pytest.raises(ValidationError):
            store.put(people, item(409_600 - 25))


def _nested(levels: int, *, lists_first: bool) -> tuple[object, str]:
    """*levels* maps and lists, alternating, around a string; and the innermost one's path.

    The path is that of attribute ``d`` of an item (``item.d.n[0].n...``).
    """
    value: object = "leaf"
    steps: list[str] = []
    for level in reversed(range(levels)):
        if (level % 2 == 0) == lists_first:
            value, step = [value], "[0]"
        else:
            value, step = {"n": value}, ".n"
        steps.insert(0, step)
    return value, "item.d" + "".join(steps[:-1])
