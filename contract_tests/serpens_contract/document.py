"""Contract suite of the DocumentStore port (``serpens.ports.DocumentStore``)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Any, ClassVar, Protocol

import pytest

try:
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens._rules.document import KeyType
from serpens.errors import ConflictError, NotFoundError, ValidationError
from serpens.ports import DocumentStore, Item
from serpens_contract._suite import ContractSuite
from serpens_contract.capabilities import register_capability, requires
from serpens_contract.differential import observe
from serpens_contract.outage import DocumentOutageCases
from serpens_contract.settings import hypothesis_settings

__all__ = ["DocumentStoreCapabilities", "DocumentStoreContract", "TableCreatingStore"]


class TableCreatingStore(DocumentStore, Protocol):
    """A store the suite can create its tables in."""

    def create_table(
        self,
        table: str,
        partition_key: str,
        sort_key: str | None = None,
        *,
        partition_type: KeyType = str,
        sort_type: KeyType = str,
    ) -> None:
        """Create *table* with keys of the given types; called once per table and namespace."""
        ...


@dataclass(frozen=True)
class DocumentStoreCapabilities:
    """Honest differences between document stores.

    Attributes:
        exact_item_size: an item of exactly 409,600 bytes, counted as DynamoDB documents
            its item size, is accepted (DynamoDB and the fake; moto counts more and
            refuses it). An item one byte larger is refused everywhere.
    """

    exact_item_size: bool = True


register_capability(
    "document",
    "exact_item_size",
    lambda c: c.exact_item_size,
    "an item of exactly 400 KB, counted as DynamoDB documents, is accepted",
)


StoreFactory = Callable[[str], TableCreatingStore]


class DocumentStoreContract(DocumentOutageCases, ContractSuite):
    """Every DocumentStore must pass these tests.

    Override ``open_document_store`` to return a callable ``namespace -> store``; each
    call must give a store in which tables named after the namespace can be created.
    """

    contract = "document"
    capabilities: ClassVar[DocumentStoreCapabilities] = DocumentStoreCapabilities()

    @pytest.fixture
    def open_document_store(self) -> StoreFactory:
        pytest.fail("override `open_document_store`: return a callable namespace -> store")

    @pytest.fixture
    def tables(self, open_document_store: StoreFactory) -> tuple[DocumentStore, str, str]:
        namespace = f"c{uuid.uuid4().hex[:12]}"
        store = open_document_store(namespace)
        store.create_table(f"{namespace}-people", "id")
        store.create_table(f"{namespace}-events", "user", "at")
        return store, f"{namespace}-people", f"{namespace}-events"

    def test_put_then_get_round_trips_every_value_type(self, tables: Any) -> None:
        """Numbers read back as int when integral, else Decimal; other types unchanged."""
        store, people, _ = tables
        item = {
            "id": "1",
            "name": "Ana",
            "age": 30,
            "height": 1.62,
            "balance": Decimal("10.005"),
            "active": True,
            "nickname": None,
            "avatar": b"\x00\x01",
            "tags": {"a", "b"},
            "scores": {1, 2},
            "address": {"city": "Recife", "zip": 50000},
            "history": [1, "two", [3.5]],
        }
        store.put(people, item)
        assert store.get(people, {"id": "1"}) == {
            **item,
            "height": Decimal("1.62"),
            "history": [1, "two", [Decimal("3.5")]],
        }

    def test_get_of_a_missing_key_returns_none(self, tables: Any) -> None:
        store, people, _ = tables
        assert store.get(people, {"id": "nobody"}) is None

    def test_put_replaces_the_whole_item(self, tables: Any) -> None:
        store, people, _ = tables
        store.put(people, {"id": "1", "name": "Ana", "age": 30})
        store.put(people, {"id": "1", "name": "Bia"})
        assert store.get(people, {"id": "1"}) == {"id": "1", "name": "Bia"}

    def test_put_if_absent_conflicts_and_keeps_the_existing_item(self, tables: Any) -> None:
        store, people, _ = tables
        store.put(people, {"id": "1", "name": "Ana"}, if_absent=True)
        with pytest.raises(ConflictError):
            store.put(people, {"id": "1", "name": "Bia"}, if_absent=True)
        assert store.get(people, {"id": "1"}) == {"id": "1", "name": "Ana"}

    def test_delete_reports_whether_the_item_existed(self, tables: Any) -> None:
        store, people, _ = tables
        store.put(people, {"id": "1"})
        assert store.delete(people, {"id": "1"}) is True
        assert store.delete(people, {"id": "1"}) is False
        assert store.get(people, {"id": "1"}) is None

    def test_query_orders_by_sort_key_filters_by_prefix_and_limits(self, tables: Any) -> None:
        store, _, events = tables
        for at in ["2024-03", "2024-01", "2023-12", "2024-02"]:
            store.put(events, {"user": "u1", "at": at, "n": 1})
        store.put(events, {"user": "u2", "at": "2024-01"})
        ats = [row["at"] for row in store.query(events, "u1")]
        assert ats == ["2023-12", "2024-01", "2024-02", "2024-03"]
        desc = [row["at"] for row in store.query(events, "u1", descending=True, limit=2)]
        assert desc == ["2024-03", "2024-02"]
        prefixed = [row["at"] for row in store.query(events, "u1", sort_prefix="2024-0")]
        assert prefixed == ["2024-01", "2024-02", "2024-03"]
        assert store.query(events, "nobody") == []

    def test_a_missing_table_is_not_found(self, tables: Any) -> None:
        store, people, _ = tables
        with pytest.raises(NotFoundError):
            store.get(f"{people}-missing", {"id": "1"})
        with pytest.raises(NotFoundError):
            store.put(f"{people}-missing", {"id": "1"})

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

    def test_a_table_without_a_sort_key_is_queried_by_partition_only(self, tables: Any) -> None:
        store, people, _ = tables
        store.put(people, {"id": "1", "name": "Ana"})
        assert store.query(people, "1") == [{"id": "1", "name": "Ana"}]
        with pytest.raises(ValidationError):
            store.query(people, "1", sort_prefix="A")
        for bad in (True, None, 1.5):
            with pytest.raises(ValidationError):
                store.get(people, {"id": bad})
        with pytest.raises(ValidationError):
            store.delete(people, {"id": "1", "name": "Ana"})  # a key has its attributes only
        with pytest.raises(ValidationError):
            store.query(people, "1", limit=0)
        assert store.get(people, {"id": "1"}) == {"id": "1", "name": "Ana"}

    def test_an_item_under_400kb_round_trips(self, tables: Any) -> None:
        store, people, _ = tables
        item = {"id": "1", "blob": "x" * 400_000, "n": 12345678901234567890, "ok": True}
        store.put(people, item)
        assert store.get(people, {"id": "1"}) == item

    def test_a_sort_key_over_1024_bytes_is_a_validation_error(self, tables: Any) -> None:
        store, _, events = tables
        with pytest.raises(ValidationError):
            store.put(events, {"user": "u1", "at": "t" * 1025})
        store.put(events, {"user": "u1", "at": "t" * 1024})
        assert [len(row["at"]) for row in store.query(events, "u1")] == [1024]

    def test_numeric_sort_keys_order_numerically(self, tables: Any) -> None:
        store, people, _ = tables
        scores = people.removesuffix("-people") + "-scores"
        store.create_table(scores, "player", "round", sort_type=int)
        for n in (10, 9, 100, 2):
            store.put(scores, {"player": "p", "round": n, "points": n * 3})
        assert [row["round"] for row in store.query(scores, "p")] == [2, 9, 10, 100]
        assert [row["round"] for row in store.query(scores, "p", descending=True, limit=2)] == [
            100,
            10,
        ]
        assert store.get(scores, {"player": "p", "round": 10}) == {
            "player": "p",
            "round": 10,
            "points": 30,
        }
        with pytest.raises(ValidationError):
            store.put(scores, {"player": "p", "round": "3"})
        with pytest.raises(ValidationError):
            store.query(scores, "p", sort_prefix="1")

    def test_query_follows_pages_past_1mb(self, tables: Any) -> None:
        """DynamoDB answers one Query with at most 1 MB; the port returns every item."""
        store, _, events = tables
        for i in range(12):  # ~1.2 MB in one partition
            store.put(events, {"user": "big", "at": f"{i:02}", "blob": "x" * 100_000})
        rows = store.query(events, "big")
        assert [row["at"] for row in rows] == [f"{i:02}" for i in range(12)]
        assert all(len(row["blob"]) == 100_000 for row in rows)
        assert len(store.query(events, "big", limit=11)) == 11
        assert store.query(events, "big", descending=True)[-1]["at"] == "00"

    def test_a_key_with_extra_attributes_is_a_validation_error(self, tables: Any) -> None:
        store, people, _ = tables
        with pytest.raises(ValidationError):
            store.get(people, {"id": "1", "name": "Ana"})

    def test_returned_items_are_copies(self, tables: Any) -> None:
        store, people, _ = tables
        item: dict[str, Any] = {"id": "1", "tags": ["a"]}
        store.put(people, item)
        item["tags"].append("changed")
        got = store.get(people, {"id": "1"})
        got["tags"].append("changed again")
        assert store.get(people, {"id": "1"}) == {"id": "1", "tags": ["a"]}

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

    def test_key_byte_limits_count_utf8_bytes_per_key_role(self, tables: Any) -> None:
        """A partition key may take 2048 UTF-8 bytes, a sort key 1024; not characters."""
        store, people, events = tables
        store.put(people, {"id": "k" * 2048})  # over the sort key limit, fine for a partition
        store.put(people, {"id": "é" * 1024})  # 2048 bytes
        assert store.get(people, {"id": "k" * 2048}) == {"id": "k" * 2048}
        assert store.get(people, {"id": "é" * 1024}) == {"id": "é" * 1024}
        with pytest.raises(ValidationError):
            store.put(people, {"id": "é" * 1025})  # 1025 characters, 2050 bytes
        store.put(events, {"user": "é" * 1024, "at": "é" * 512})  # 2048 and 1024 bytes
        assert [row["at"] for row in store.query(events, "é" * 1024)] == ["é" * 512]
        with pytest.raises(ValidationError):
            store.put(events, {"user": "u", "at": "é" * 513})  # 513 characters, 1026 bytes

    def test_binary_keys_are_non_empty_and_at_most_2048_bytes(self, tables: Any) -> None:
        store, people, _ = tables
        blobs = people.removesuffix("-people") + "-blobs"
        store.create_table(blobs, "digest", partition_type=bytes)
        store.put(blobs, {"digest": b"\x00" * 2048, "n": 1})
        assert store.get(blobs, {"digest": b"\x00" * 2048}) == {"digest": b"\x00" * 2048, "n": 1}
        for bad in (b"", b"\x00" * 2049, "text"):
            with pytest.raises(ValidationError):
                store.put(blobs, {"digest": bad})
        with pytest.raises(ValidationError):
            store.get(blobs, {"digest": b""})

    def test_numeric_keys_accept_numbers_and_refuse_booleans_and_strings(self, tables: Any) -> None:
        """An ``int`` key takes an int or an integral Decimal; a bool is not a number."""
        store, people, _ = tables
        counters = people.removesuffix("-people") + "-counters"
        store.create_table(counters, "shard", "seq", partition_type=int, sort_type=int)
        store.put(counters, {"shard": Decimal("7.0"), "seq": Decimal("1.00"), "v": "a"})
        store.put(counters, {"shard": 7, "seq": 2, "v": "b"})
        got = store.get(counters, {"shard": 7, "seq": 1})
        assert got == {"shard": 7, "seq": 1, "v": "a"}
        assert type(got["shard"]) is int
        assert type(got["seq"]) is int
        rows = store.query(counters, Decimal("7.0"))
        assert [row["seq"] for row in rows] == [1, 2]
        assert all(type(row["seq"]) is int for row in rows)
        for bad in ({"shard": True, "seq": 1}, {"shard": 7, "seq": False}):
            with pytest.raises(ValidationError):
                store.put(counters, bad)
            with pytest.raises(ValidationError):
                store.get(counters, bad)
        for partition in ("7", True, b"7"):
            with pytest.raises(ValidationError):
                store.query(counters, partition)
        with pytest.raises(ValidationError):
            store.query(counters, 8, sort_prefix="1")  # an empty partition too
        assert [row["v"] for row in store.query(counters, 7)] == ["a", "b"]

    def test_nested_values_of_returned_items_are_copies(self, tables: Any) -> None:
        """Mutating a nested list, map or set of a returned item changes nothing stored."""
        store, _, events = tables
        store.put(events, {"user": "u", "at": "1", "doc": {"l": [1], "m": {"k": "v"}, "s": {"a"}}})
        for got in (store.get(events, {"user": "u", "at": "1"}), store.query(events, "u")[0]):
            assert got is not None
            got["doc"]["l"].append(2)
            got["doc"]["m"]["k"] = "changed"
            got["doc"]["s"].add("b")
        expected = {"user": "u", "at": "1", "doc": {"l": [1], "m": {"k": "v"}, "s": {"a"}}}
        assert store.get(events, {"user": "u", "at": "1"}) == expected
        assert store.query(events, "u") == [expected]

    @pytest.mark.parametrize(
        ("table", "partition_key", "sort_key"),
        [
            pytest.param("", "id", None, id="empty-table-name"),
            pytest.param("{ns}-tablé", "id", None, id="table-name-not-ascii"),
            pytest.param("{ns}-a b", "id", None, id="table-name-with-a-space"),
            pytest.param("{ns}" + "t" * 243, "id", None, id="table-name-over-255"),
            pytest.param("{ns}-k", "", None, id="empty-partition-key"),
            pytest.param("{ns}-k", "id", "", id="empty-sort-key"),
            pytest.param("{ns}-k", "id", "id", id="sort-key-named-like-the-partition-key"),
            pytest.param("{ns}-k", "k" * 256, None, id="partition-key-over-255"),
            pytest.param("{ns}-k", "id", "s" * 256, id="sort-key-over-255"),
            pytest.param("{ns}-k", "a\ud800", None, id="key-name-with-a-lone-surrogate"),
        ],
    )
    def test_tables_dynamodb_refuses_to_create_are_validation_errors(
        self, tables: Any, table: str, partition_key: str, sort_key: str | None
    ) -> None:
        """``CreateTable``'s names: a table of 1-255 of ``[a-zA-Z0-9_.-]``, keys of 1-255.

        A sort key named like the partition key, or ``""`` (not ``None``), is refused
        too. DynamoDB answers ``ValidationException`` (moto takes most of these); every
        store refuses them before any I/O, and creates no table.
        """
        store, people, _ = tables
        name = table.format(ns=people.removesuffix("-people"))
        with pytest.raises(ValidationError):
            store.create_table(name, partition_key, sort_key)
        if name:
            with pytest.raises(NotFoundError):
                store.get(name, {"id": "1"})

    def test_the_longest_table_and_key_names_dynamodb_takes_are_accepted(self, tables: Any) -> None:
        """A 255-character table name of every allowed kind, and 255-character key names."""
        store, people, _ = tables
        name = (people.removesuffix("-people") + "-A_z.9").ljust(255, "x")
        partition, sort = "p" * 255, "é" * 255  # characters, not UTF-8 bytes
        store.create_table(name, partition, sort)
        store.put(name, {partition: "1", sort: "s", "v": 1})
        assert store.query(name, "1", sort_prefix="s") == [{partition: "1", sort: "s", "v": 1}]

    def test_an_empty_table_name_is_a_validation_error(self, tables: Any) -> None:
        """DynamoDB refuses an empty ``TableName`` (botocore, before sending): not NotFound."""
        store: DocumentStore = tables[0]
        calls: list[Callable[[], object]] = [
            lambda: store.put("", {"id": "1"}),
            lambda: store.get("", {"id": "1"}),
            lambda: store.delete("", {"id": "1"}),
            lambda: store.query("", "1"),
        ]
        for call in calls:
            with pytest.raises(ValidationError):
                call()

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param({"sort_prefix": ""}, id="empty-prefix"),
            pytest.param({"sort_prefix": 1}, id="int-prefix"),
            pytest.param({"sort_prefix": b"a"}, id="bytes-prefix"),
            pytest.param({"sort_prefix": "a\ud800"}, id="prefix-with-a-lone-surrogate"),
            pytest.param({"limit": 1.5}, id="float-limit"),
            pytest.param({"limit": 2.0}, id="integral-float-limit"),
            pytest.param({"limit": "2"}, id="str-limit"),
            pytest.param({"limit": True}, id="bool-limit"),
        ],
    )
    def test_query_arguments_dynamodb_refuses_are_validation_errors(
        self, tables: Any, kwargs: dict[str, Any]
    ) -> None:
        """A ``sort_prefix`` is a non-empty string; a ``limit`` an ``int``, not a ``bool``.

        DynamoDB refuses an empty key condition value (``None`` matches every sort key)
        and a ``Limit`` that is no integer; the fake compared or sliced with them.
        """
        store, _, events = tables
        store.put(events, {"user": "u", "at": "a1"})
        with pytest.raises(ValidationError):
            store.query(events, "u", **kwargs)

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

    def test_differential_against_fake(self, open_document_store: StoreFactory) -> None:
        """Random put/get/delete/query sequences answer like the suite's reference model.

        The model is written here, independently of the fake and of the shared rules, so
        a failure blames the implementation under test, the fake included.
        """

        class Machine(_DocumentMachine):
            def __init__(self) -> None:
                super().__init__(open_document_store)

        run_state_machine_as_test(Machine, settings=hypothesis_settings())


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


_KEYS = st.sampled_from(["a", "b", "c"])
_SORT_KEYS = st.sampled_from(["x1", "x2", "y1"])
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.text(max_size=5),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000),
    st.lists(st.integers(0, 9), max_size=3),
)


def _read_back(value: object) -> object:
    """A stored value as DynamoDB gives it back: integral numbers as int, copies."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, list):
        return [_read_back(v) for v in value]
    return value


class _DocumentModel:
    """The suite's reference model of the two tables the differential test uses.

    Plain dicts, written from DynamoDB's documented behaviour for the values the test
    draws; it shares no code with the fake or the shared rules.
    """

    def __init__(self) -> None:
        self.tables: dict[str, tuple[tuple[str, ...], dict[tuple[object, ...], Item]]] = {}

    def create_table(self, table: str, partition_key: str, sort_key: str | None = None) -> None:
        keys = (partition_key, sort_key) if sort_key else (partition_key,)
        self.tables[table] = (keys, {})

    def put(self, table: str, item: Mapping[str, object], *, if_absent: bool = False) -> None:
        keys, rows = self.tables[table]
        key = tuple(item[k] for k in keys)
        if if_absent and key in rows:
            raise ConflictError("exists")
        rows[key] = {k: _read_back(v) for k, v in item.items()}

    def get(self, table: str, key: Mapping[str, object]) -> Item | None:
        keys, rows = self.tables[table]
        found = rows.get(tuple(key[k] for k in keys))
        return None if found is None else copy.deepcopy(found)

    def delete(self, table: str, key: Mapping[str, object]) -> bool:
        keys, rows = self.tables[table]
        return rows.pop(tuple(key[k] for k in keys), None) is not None

    def query(
        self,
        table: str,
        partition: object,
        *,
        sort_prefix: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[Item]:
        _, rows = self.tables[table]
        hits = sorted(
            (key[1], item)
            for key, item in rows.items()
            if key[0] == partition and str(key[1]).startswith(sort_prefix or "")
        )
        ordered = [copy.deepcopy(item) for _, item in (reversed(hits) if descending else hits)]
        return ordered[:limit]


class _DocumentMachine(RuleBasedStateMachine):
    def __init__(self, factory: StoreFactory) -> None:
        super().__init__()
        namespace = f"d{uuid.uuid4().hex[:12]}"
        self.tables = (f"{namespace}-people", f"{namespace}-events")
        self.model = _DocumentModel()
        self.impl = factory(namespace)
        for store in (self.model, self.impl):
            store.create_table(self.tables[0], "id")
            store.create_table(self.tables[1], "user", "at")

    def _both(self, method: str, *args: Any, **kwargs: Any) -> None:
        expected = observe(getattr(self.model, method), *args, **kwargs)
        actual = observe(getattr(self.impl, method), *args, **kwargs)
        assert actual == expected, (
            f"{method}{args}{kwargs}: the store under test answered {actual},"
            f" the suite's reference model {expected}"
        )

    @rule(key=_KEYS, value=_VALUES, if_absent=st.booleans())
    def put(self, key: str, value: object, if_absent: bool) -> None:
        self._both("put", self.tables[0], {"id": key, "v": value}, if_absent=if_absent)

    @rule(user=_KEYS, at=_SORT_KEYS, value=_VALUES)
    def put_event(self, user: str, at: str, value: object) -> None:
        self._both("put", self.tables[1], {"user": user, "at": at, "v": value})

    @rule(key=_KEYS)
    def get(self, key: str) -> None:
        self._both("get", self.tables[0], {"id": key})

    @rule(key=_KEYS)
    def delete(self, key: str) -> None:
        self._both("delete", self.tables[0], {"id": key})

    @rule(
        user=_KEYS,
        prefix=st.sampled_from([None, "x", "y1", "z"]),
        descending=st.booleans(),
        limit=st.sampled_from([None, 1, 2]),
    )
    def query(self, user: str, prefix: str | None, descending: bool, limit: int | None) -> None:
        self._both(
            "query", self.tables[1], user, sort_prefix=prefix, descending=descending, limit=limit
        )
