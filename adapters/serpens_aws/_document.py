"""DynamoDB adapter of the DocumentStore port (boto3 low-level client)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import boto3
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.config import Config

from serpens._rules.document import (
    KEY_TYPES,
    KeyType,
    check_item_size,
    check_query,
    check_table,
    check_table_name,
    from_stored,
    key_type_code,
    stored_key,
    to_stored,
)
from serpens.errors import (
    BackendUnavailableError,
    ConflictError,
    SerpensError,
    ValidationError,
)
from serpens.ports import Item, KeyValue
from serpens_aws._deadline import bound
from serpens_aws._errors import translate_errors
from serpens_aws._not_found import TableNotFoundError

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient

__all__ = ["DynamoDBDocumentStore"]

_Schema = tuple[str, str | None, dict[str, KeyType]]
_TYPES_BY_CODE: dict[str, KeyType] = {code: kind for kind, code in KEY_TYPES.items()}

_CODES: dict[str, type[SerpensError]] = {
    # also botocore's ClientError, which serpens 2.9's BaseDocument let through
    "ResourceNotFoundException": TableNotFoundError,
    "ConditionalCheckFailedException": ConflictError,
    "TransactionConflictException": ConflictError,
    "ResourceInUseException": ConflictError,
    "ValidationException": ValidationError,
    "ProvisionedThroughputExceededException": BackendUnavailableError,
}


def _translate_errors(table: str) -> AbstractContextManager[None]:
    return translate_errors(
        f"DynamoDB table {table!r}",
        _CODES,
        {
            "ResourceNotFoundException": f"table {table!r} does not exist",
            "ConditionalCheckFailedException": f"an item with that key already exists in {table!r}",
        },
    )


def _plain(value: object) -> object:
    """Turn boto3's Binary wrappers into bytes, recursively."""
    if isinstance(value, Binary):
        return value.__bytes__()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


class _Serializer(TypeSerializer):
    """boto3's serializer, writing numbers exactly as the shared rules stored them.

    boto3 checks numbers in a decimal context narrower than DynamoDB: it refuses 38-digit
    numbers near 1E-130 (``decimal.Underflow``) that DynamoDB stores. ``to_stored``
    already held every number to DynamoDB's own limits, so it goes out as it is.
    """

    def _serialize_n(self, value: int | Decimal) -> str:
        return str(value)


class _Deserializer(TypeDeserializer):
    """boto3's deserializer, reading every number DynamoDB stores without a decimal trap."""

    def _deserialize_n(self, value: str) -> Decimal:
        return Decimal(value)


_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5)
"""Deadlines of a client the store builds; retries stay botocore's (``AWS_*``)."""


class DynamoDBDocumentStore:
    """:class:`serpens.ports.DocumentStore` over DynamoDB.

    Takes a ready ``boto3`` DynamoDB client, or builds one on first use from the usual
    AWS environment (``AWS_ENDPOINT_URL`` points it at a local endpoint). Construction
    does no I/O. Each table's key schema and key types are read once (``DescribeTable``)
    and cached, so keys of the wrong type and items over 400 KB fail before any request.
    ``query`` follows DynamoDB's 1 MB pages (``LastEvaluatedKey``) until it has every
    item or ``limit`` of them. A client the store builds itself waits at most 2 s to
    connect and 5 s to read per attempt, not botocore's 60 s; botocore's retries apply on
    top (``AWS_RETRY_MODE``, ``AWS_MAX_ATTEMPTS``). Each attempt's whole answer must
    arrive within the client's read timeout (a client passed in too), so an endpoint
    trickling its answer cannot hold a call past it.
    """

    _serializer: ClassVar[TypeSerializer] = _Serializer()
    _deserializer: ClassVar[TypeDeserializer] = _Deserializer()

    def __init__(
        self,
        client: DynamoDBClient | None = None,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
    ) -> None:
        if client is not None:
            bound(client)
        self._client = client
        self._endpoint_url = endpoint_url
        self._region_name = region_name
        self._schemas: dict[str, _Schema] = {}
        self._lock = threading.Lock()

    @property
    def client(self) -> DynamoDBClient:
        """The boto3 client, created on first use."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    client = boto3.client(
                        "dynamodb",
                        endpoint_url=self._endpoint_url,
                        region_name=self._region_name,
                        config=_CLIENT_CONFIG,
                    )
                    bound(client)
                    self._client = client
        return self._client

    def create_table(
        self,
        table: str,
        partition_key: str,
        sort_key: str | None = None,
        *,
        partition_type: KeyType = str,
        sort_type: KeyType = str,
    ) -> None:
        """Create an on-demand *table* and wait until it is active.

        *partition_type* and *sort_type* (``str``, ``int`` or ``bytes``) declare the key
        attribute types (DynamoDB ``S``, ``N``, ``B``); ``int`` sort keys order numerically.
        Names DynamoDB refuses are a ValidationError before any request.
        """
        check_table(table, partition_key, sort_key)
        keys: list[tuple[str, Literal["HASH", "RANGE"], KeyType]] = [
            (partition_key, "HASH", partition_type)
        ]
        if sort_key is not None:
            keys.append((sort_key, "RANGE", sort_type))
        with _translate_errors(table):
            self.client.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": n, "KeyType": t} for n, t, _ in keys],
                AttributeDefinitions=[
                    {"AttributeName": n, "AttributeType": key_type_code(k)} for n, _, k in keys
                ],
                BillingMode="PAY_PER_REQUEST",
            )
            self.client.get_waiter("table_exists").wait(
                TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
            )
        self._schemas[table] = (partition_key, sort_key, {n: k for n, _, k in keys})

    def _schema(self, table: str) -> _Schema:
        check_table_name(table)  # botocore's own refusal would name no table
        schema = self._schemas.get(table)
        if schema is None:
            with _translate_errors(table):
                described = self.client.describe_table(TableName=table)["Table"]
            roles = {k["KeyType"]: k["AttributeName"] for k in described["KeySchema"]}
            types = {
                d["AttributeName"]: _TYPES_BY_CODE[d["AttributeType"]]
                for d in described["AttributeDefinitions"]
                if d["AttributeName"] in roles.values()
            }
            schema = self._schemas[table] = (roles["HASH"], roles.get("RANGE"), types)
        return schema

    def _key(self, table: str, values: Mapping[str, object], *, exact: bool) -> dict[str, Any]:
        partition_key, sort_key, types = self._schema(table)
        stored = stored_key(values, partition_key, sort_key, exact=exact, types=types)
        return {name: self._serializer.serialize(value) for name, value in stored.items()}

    def _decode(self, raw: Mapping[str, Any]) -> Item:
        item = {k: self._deserializer.deserialize(v) for k, v in raw.items()}
        return from_stored(_plain(item))  # type: ignore[return-value]

    def put(self, table: str, item: Mapping[str, object], *, if_absent: bool = False) -> None:
        """See :meth:`serpens.ports.DocumentStore.put`."""
        key = self._key(table, item, exact=False)
        stored = to_stored(item)
        assert isinstance(stored, dict)  # noqa: S101 - to_stored maps a Mapping to a dict
        check_item_size(stored)
        request: dict[str, Any] = {
            "TableName": table,
            "Item": {k: self._serializer.serialize(v) for k, v in stored.items()},
        }
        if if_absent:
            request["ConditionExpression"] = "attribute_not_exists(#pk)"
            request["ExpressionAttributeNames"] = {"#pk": next(iter(key))}
        with _translate_errors(table):
            self.client.put_item(**request)

    def get(self, table: str, key: Mapping[str, KeyValue]) -> Item | None:
        """See :meth:`serpens.ports.DocumentStore.get`."""
        request_key = self._key(table, key, exact=True)
        with _translate_errors(table):
            raw = self.client.get_item(TableName=table, Key=request_key, ConsistentRead=True)
        found = raw.get("Item")
        return None if found is None else self._decode(found)

    def delete(self, table: str, key: Mapping[str, KeyValue]) -> bool:
        """See :meth:`serpens.ports.DocumentStore.delete`."""
        request_key = self._key(table, key, exact=True)
        with _translate_errors(table):
            raw = self.client.delete_item(TableName=table, Key=request_key, ReturnValues="ALL_OLD")
        return bool(raw.get("Attributes"))

    def query(
        self,
        table: str,
        partition: KeyValue,
        *,
        sort_prefix: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> Sequence[Item]:
        """See :meth:`serpens.ports.DocumentStore.query`."""
        partition_key, sort_key, types = self._schema(table)
        check_query(
            table,
            partition_key,
            sort_key,
            partition,
            sort_prefix=sort_prefix,
            limit=limit,
            types=types,
        )
        condition = "#pk = :pk"
        names = {"#pk": partition_key}
        values = {":pk": self._serializer.serialize(to_stored(partition))}
        if sort_prefix is not None and sort_key is not None:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sort_key
            values[":prefix"] = {"S": sort_prefix}
        request: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not descending,
            "ConsistentRead": True,
        }
        items: list[Item] = []
        with _translate_errors(table):
            while True:
                if limit is not None:
                    request["Limit"] = limit - len(items)
                page = self.client.query(**request)
                items.extend(self._decode(raw) for raw in page.get("Items", []))
                last = page.get("LastEvaluatedKey")
                if not last or (limit is not None and len(items) >= limit):
                    return items
                request["ExclusiveStartKey"] = last
