"""Document store cases about tables and keys: names, key-only tables, typed keys.

One theme of :class:`~serpens_contract.document.DocumentStoreContract`: the table and
key names ``CreateTable`` takes, keys of partition-only tables, and string, binary and
numeric keys within DynamoDB's byte limits.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from serpens.errors import NotFoundError, ValidationError
from serpens.ports import DocumentStore


class _DocumentTableAndKeyCases:
    """Table and key names, and keys by their type and size."""

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

    def test_a_key_with_extra_attributes_is_a_validation_error(self, tables: Any) -> None:
        store, people, _ = tables
        with pytest.raises(ValidationError):
            store.get(people, {"id": "1", "name": "Ana"})

    @pytest.mark.parametrize(
        "not_a_mapping",
        [
            pytest.param(None, id="none"),
            pytest.param([("id", "1")], id="list-of-pairs"),
            pytest.param("id=1", id="str"),
        ],
    )
    def test_an_item_or_key_that_is_not_a_mapping_is_a_validation_error(
        self, tables: Any, not_a_mapping: object
    ) -> None:
        """``put(t, None)`` and ``get(t, None)`` raised a bare TypeError everywhere."""
        store, people, _ = tables
        for call in (store.put, store.get, store.delete):
            with pytest.raises(ValidationError, match="mapping"):
                call(people, not_a_mapping)

    def test_a_sort_key_over_1024_bytes_is_a_validation_error(self, tables: Any) -> None:
        store, _, events = tables
        with pytest.raises(ValidationError):
            store.put(events, {"user": "u1", "at": "t" * 1025})
        store.put(events, {"user": "u1", "at": "t" * 1024})
        assert [len(row["at"]) for row in store.query(events, "u1")] == [1024]

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
