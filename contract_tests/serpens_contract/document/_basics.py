"""Document store cases about basic semantics: put, get, delete, query, copies.

One theme of :class:`~serpens_contract.document.DocumentStoreContract`: each operation
does what the port says, queries order, filter, page and check their arguments, and
returned items are copies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from serpens.errors import ConflictError, NotFoundError, ValidationError


class _DocumentBasicCases:
    """Put, get and delete by key; query by partition; items returned as copies."""

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

    def test_returned_items_are_copies(self, tables: Any) -> None:
        store, people, _ = tables
        item: dict[str, Any] = {"id": "1", "tags": ["a"]}
        store.put(people, item)
        item["tags"].append("changed")
        got = store.get(people, {"id": "1"})
        got["tags"].append("changed again")
        assert store.get(people, {"id": "1"}) == {"id": "1", "tags": ["a"]}

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
