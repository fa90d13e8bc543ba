"""DynamoDBDocumentStore over a table some other process created.

The contract cells create their tables through the store under test, which then knows
each table's key schema without asking. A service more often opens tables that Terraform
or another deployment made: the store reads the key schema and key types once
(``DescribeTable``) and must enforce them as for its own tables.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from serpens.errors import ConflictError, NotFoundError, ValidationError
from serpens_aws import DynamoDBDocumentStore, TableNotFoundError

pytestmark = pytest.mark.usefixtures("moto_endpoint")


@pytest.fixture
def table() -> str:
    name = f"t{uuid.uuid4().hex[:12]}"
    creator = DynamoDBDocumentStore()
    creator.create_table(name, "user", "at", partition_type=int, sort_type=int)
    creator.put(name, {"user": 7, "at": 10, "v": "ten"})
    creator.put(name, {"user": 7, "at": 2, "v": "two"})
    return name


def test_a_store_reads_the_key_schema_of_a_table_it_did_not_create(table: str) -> None:
    reader = DynamoDBDocumentStore()
    assert reader.get(table, {"user": 7, "at": 10}) == {"user": 7, "at": 10, "v": "ten"}
    assert [item["v"] for item in reader.query(table, 7)] == ["two", "ten"]
    assert reader.delete(table, {"user": 7, "at": 2}) is True
    with pytest.raises(ValidationError, match="missing key attribute 'at'"):  # the sort key
        reader.get(table, {"user": 7})


@pytest.mark.parametrize(
    "key",
    [{"user": "7", "at": 10}, {"user": 7, "at": "10"}, {"user": True, "at": 10}],
    ids=["str-partition", "str-sort", "bool-partition"],
)
def test_key_types_read_from_the_table_are_enforced(table: str, key: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DynamoDBDocumentStore().get(table, key)  # type: ignore[arg-type]


def test_the_key_schema_is_read_once_per_table(table: str) -> None:
    reader = DynamoDBDocumentStore()
    described: list[str] = []

    def record(params: dict[str, Any], **_: object) -> None:
        described.append(params["TableName"])

    reader.client.meta.events.register("provide-client-params.dynamodb.DescribeTable", record)
    reader.get(table, {"user": 7, "at": 10})
    reader.put(table, {"user": 8, "at": 1})
    assert [item["v"] for item in reader.query(table, 7)] == ["two", "ten"]
    assert reader.delete(table, {"user": 8, "at": 1}) is True
    assert described == [table]


def test_a_conditional_put_of_a_taken_key_says_so_naming_the_table(table: str) -> None:
    with pytest.raises(ConflictError) as raised:
        DynamoDBDocumentStore().put(table, {"user": 7, "at": 10}, if_absent=True)
    assert str(raised.value) == f"an item with that key already exists in {table!r}"


def test_a_table_that_does_not_exist_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        DynamoDBDocumentStore().get(f"t{uuid.uuid4().hex[:12]}", {"id": "x"})


@pytest.mark.parametrize("known", [False, True], ids=["never-described", "deleted-since"])
def test_a_missing_table_is_also_botocores_client_error(known: bool) -> None:
    """Also the ``ClientError`` (``ResourceNotFoundException``) serpens 2.9 let through.

    Whether the store learns it from ``DescribeTable`` or, for a table it knew and that
    was deleted since, from the item request itself.
    """
    name, store = f"t{uuid.uuid4().hex[:12]}", DynamoDBDocumentStore()
    if known:
        store.create_table(name, "id")
        store.client.delete_table(TableName=name)
    calls = (
        lambda: store.get(name, {"id": "x"}),
        lambda: store.put(name, {"id": "x"}),
        lambda: store.delete(name, {"id": "x"}),
        lambda: store.query(name, "x"),
    )
    for call in calls:
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert isinstance(raised.value, TableNotFoundError)
        assert str(raised.value) == f"table {name!r} does not exist"


def test_a_built_client_works_in_the_region_it_is_given() -> None:
    """``region_name`` picks the region, as on AWS: a table in one is absent from another."""
    name = f"t{uuid.uuid4().hex[:12]}"
    DynamoDBDocumentStore(region_name="eu-west-1").create_table(name, "id")
    assert DynamoDBDocumentStore(region_name="eu-west-1").get(name, {"id": "1"}) is None
    with pytest.raises(NotFoundError):
        DynamoDBDocumentStore(region_name="us-east-1").get(name, {"id": "1"})


def test_every_read_asks_dynamodb_for_a_consistent_read(table: str) -> None:
    """``GetItem`` and ``Query`` are strongly consistent: a read sees the writes before it.

    DynamoDB reads are eventually consistent unless asked; moto's never are stale, so the
    parameters each read sends are what shows it (recorded, the calls still go to moto).
    """
    store = DynamoDBDocumentStore()
    sent: list[tuple[str, object]] = []

    def record(params: dict[str, object], model: Any, **_: object) -> None:
        sent.append((model.name, params.get("ConsistentRead")))

    store.client.meta.events.register("provide-client-params.dynamodb", record)
    assert store.get(table, {"user": 7, "at": 10}) is not None
    assert len(store.query(table, 7)) == 2
    assert [call for call in sent if call[0] in {"GetItem", "Query"}] == [
        ("GetItem", True),
        ("Query", True),
    ]
