"""DynamoDBIdempotencyStore beyond the contract: its table, its items, its requests.

The contract pins what a store does; these pin how it sits in DynamoDB, which a table
made by Terraform and the processes sharing it rely on: the table ``create_table``
makes (again and again), the item layout, a caller's client, requests that are only
conditional writes (no read that could be stale), and a stored token ahead of this
process's clock. All on moto's server, the calls recorded through botocore's events.
"""

from __future__ import annotations

import math
import socket
import time
import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config

from serpens.errors import (
    BackendUnavailableError,
    ConfigurationError,
    InProgressError,
    NotFoundError,
    SerializationError,
    ValidationError,
)
from serpens.ports import Claim, Replay
from serpens_aws import DynamoDBIdempotencyStore

pytestmark = [pytest.mark.aws, pytest.mark.usefixtures("moto_endpoint")]


@pytest.fixture
async def table() -> str:
    name = f"idempotency-{uuid.uuid4().hex[:12]}"
    await DynamoDBIdempotencyStore(table=name).create_table()
    return name


def _record_calls(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """The operation and parameters of each request *client* sends from now on."""
    sent: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: object) -> None:
        sent.append((model.name, dict(params)))

    client.meta.events.register("provide-client-params.dynamodb", record)
    return sent


async def test_create_table_makes_the_table_once_with_ttl_on_expires() -> None:
    name = f"idempotency-{uuid.uuid4().hex[:12]}"
    store = DynamoDBIdempotencyStore(table=name)
    sent = _record_calls(store.client)
    await store.create_table()
    await DynamoDBIdempotencyStore(table=name).create_table()  # another process: kept as is
    await store.create_table()
    operations = [operation for operation, _ in sent]
    assert operations.count("UpdateTimeToLive") == 1
    client = boto3.client("dynamodb")
    described = client.describe_table(TableName=name)["Table"]
    assert described["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires")


async def test_an_item_holds_the_record_under_namespace_and_key(table: str) -> None:
    """``pk`` is ``"<namespace>#<key>"``; ``until`` in µs; ``expires`` an hour past it."""
    store = DynamoDBIdempotencyStore(table=table, namespace="orders")
    before = time.time_ns() // 1000
    claim = await store.claim("k#1", lease=30, fingerprint="sha256:aa")
    assert isinstance(claim, Claim)
    client = boto3.client("dynamodb")
    item = client.get_item(TableName=table, Key={"pk": {"S": "orders#k#1"}}, ConsistentRead=True)
    held = item["Item"]
    until = int(held["until"]["N"])
    assert before <= claim.token == int(held["token"]["N"]) <= until - 30_000_000
    assert (held["fingerprint"], held["done"]) == ({"S": "sha256:aa"}, {"BOOL": False})
    assert int(held["expires"]["N"]) == math.ceil(until / 1_000_000) + 3600
    await store.complete(claim, {"id": 7}, ttl=60)
    done = client.get_item(TableName=table, Key={"pk": {"S": "orders#k#1"}}, ConsistentRead=True)[
        "Item"
    ]
    assert (done["done"], done["result"]) == ({"BOOL": True}, {"S": '{"id":7}'})
    assert int(done["expires"]["N"]) == math.ceil(int(done["until"]["N"]) / 1e6) + 3600


async def test_a_completed_record_is_kept_for_its_ttl_from_completion(table: str) -> None:
    """``until`` of a done record is the completion's time plus the ttl, in µs."""
    store = DynamoDBIdempotencyStore(table=table)
    claim = await store.claim("k", lease=30)
    assert isinstance(claim, Claim)
    before = time.time_ns() // 1000
    await store.complete(claim, {"id": 7}, ttl=86_400)  # a day: a wrong unit shows by seconds
    after = time.time_ns() // 1000
    item = boto3.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": "default#k"}}, ConsistentRead=True
    )["Item"]
    assert before + 86_400_000_000 <= int(item["until"]["N"]) <= after + 86_400_000_000


async def test_every_call_is_one_conditional_write_and_reads_nothing(table: str) -> None:
    """Decisions are made by DynamoDB's conditions, never by a read that could be stale."""
    client = boto3.client("dynamodb")
    store = DynamoDBIdempotencyStore(client, table=table)
    assert store.client is client  # the caller's own client, used as it is
    sent = _record_calls(client)
    claim = await store.claim("k", lease=30)
    assert isinstance(claim, Claim)
    with pytest.raises(InProgressError):
        await store.claim("k", lease=30)
    await store.complete(claim, "r", ttl=60)
    assert await store.claim("k", lease=30) == Replay("k", "r")
    assert await store.release(claim) is False
    assert [operation for operation, _ in sent] == [
        "PutItem",
        "PutItem",
        "UpdateItem",
        "PutItem",
        "UpdateItem",
    ]
    assert all("ConditionExpression" in params for _, params in sent)
    # a refused claim learns the item that refused it; a refused completion needs nothing
    assert [params.get("ReturnValuesOnConditionCheckFailure") for _, params in sent] == [
        "ALL_OLD",
        "ALL_OLD",
        None,
        "ALL_OLD",
        None,
    ]


async def test_a_stored_token_ahead_of_this_clock_is_passed(table: str) -> None:
    """A process whose clock ran ahead left a higher token: the next claim's is above it."""
    ahead = time.time_ns() // 1000 + 3_600_000_000
    boto3.client("dynamodb").put_item(
        TableName=table,
        Item={
            "pk": {"S": "default#k"},
            "fingerprint": {"S": "other"},
            "token": {"N": str(ahead)},
            "done": {"BOOL": False},
            "until": {"N": "0"},  # released
        },
    )
    claim = await DynamoDBIdempotencyStore(table=table).claim("k", lease=30)
    assert isinstance(claim, Claim)
    assert claim.token == ahead + 1


async def test_a_record_past_its_until_is_free_before_ttl_deletes_it(table: str) -> None:
    """TTL deletion lags by days: an item still there with ``until`` passed is free."""
    now = time.time_ns() // 1000
    boto3.client("dynamodb").put_item(
        TableName=table,
        Item={
            "pk": {"S": "default#k"},
            "fingerprint": {"S": "f"},
            "token": {"N": str(now - 2_000_000)},
            "done": {"BOOL": True},
            "until": {"N": str(now - 1_000_000)},
            "result": {"S": '"stale"'},
            "expires": {"N": str(now // 1_000_000 - 1)},
        },
    )
    claim = await DynamoDBIdempotencyStore(table=table).claim("k", lease=30, fingerprint="g")
    assert isinstance(claim, Claim)


async def test_a_missing_table_is_not_found() -> None:
    name = f"idempotency-{uuid.uuid4().hex[:12]}"
    with pytest.raises(NotFoundError, match="does not exist"):
        await DynamoDBIdempotencyStore(table=name).claim("k", lease=30)


async def test_a_built_client_works_in_the_region_it_is_given() -> None:
    name = f"idempotency-{uuid.uuid4().hex[:12]}"
    await DynamoDBIdempotencyStore(table=name, region_name="eu-west-1").create_table()
    store = DynamoDBIdempotencyStore(table=name, region_name="eu-west-1")
    assert store.client.meta.region_name == "eu-west-1"
    assert isinstance(await store.claim("k", lease=30), Claim)
    with pytest.raises(NotFoundError):
        await DynamoDBIdempotencyStore(table=name, region_name="us-east-1").claim("k", lease=30)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"namespace": "a#b"}, ValidationError),
        ({"namespace": ""}, ValidationError),
        ({"namespace": "é" * 512}, ValidationError),
        ({"table": "no spaces"}, ValidationError),
        ({"client": "client", "region_name": "eu-west-1"}, ConfigurationError),
    ],
    ids=["hash-in-namespace", "empty-namespace", "long-namespace", "bad-table", "client-region"],
)
def test_bad_options_are_refused_at_construction(
    options: dict[str, Any], error: type[Exception]
) -> None:
    if options.get("client") == "client":
        options["client"] = boto3.client("dynamodb")
    with pytest.raises(error):
        DynamoDBIdempotencyStore(**options)


def test_the_default_table_and_namespace_are_pinned() -> None:
    """Records live under these names: a changed default would orphan every stored one."""
    store = DynamoDBIdempotencyStore()
    assert (store.table, store.namespace) == ("serpens-idempotency", "default")
    assert (
        repr(store) == "DynamoDBIdempotencyStore(table='serpens-idempotency', namespace='default')"
    )


def _timeouts(client: Any) -> tuple[object, ...]:
    return tuple(getattr(client.meta.config, name) for name in ("connect_timeout", "read_timeout"))


def test_the_built_client_has_bounded_deadlines_and_the_options_merged() -> None:
    """2 s to connect, 5 s per read, unless ``config=`` says otherwise; the region kept."""
    assert _timeouts(DynamoDBIdempotencyStore(endpoint_url="http://127.0.0.1:9").client) == (2, 5)
    merged = DynamoDBIdempotencyStore(
        endpoint_url="http://127.0.0.1:9", region_name="eu-west-1", config=Config(read_timeout=1)
    ).client
    assert _timeouts(merged) == (2, 1)
    assert merged.meta.region_name == "eu-west-1"


@pytest.mark.parametrize("namespace", ["", "x" * 1024, "a\x00b", "\udc80", 7])
def test_a_namespace_is_one_to_1023_utf8_bytes_without_hash_or_nul(namespace: Any) -> None:
    """``pk`` is ``"<namespace>#<key>"`` of at most 2,048 bytes, with a 1,024-byte key."""
    with pytest.raises(ValidationError) as raised:
        DynamoDBIdempotencyStore(namespace=namespace)
    assert str(raised.value) == (
        "invalid idempotency store: namespace: must be 1 to 1,023 UTF-8 bytes without '#' or NUL"
    )
    assert [e.path for e in raised.value.errors] == ["namespace"]


def test_namespaces_of_one_and_of_1023_bytes_are_taken() -> None:
    assert DynamoDBIdempotencyStore(namespace="n").namespace == "n"
    longest = "é" * 511 + "x"
    assert DynamoDBIdempotencyStore(namespace=longest).namespace == longest


@pytest.mark.parametrize("option", [{"region_name": "eu-west-1"}, {"config": Config()}])
def test_a_client_given_takes_no_options_for_a_built_one(option: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="apply to the client the store builds"):
        DynamoDBIdempotencyStore(boto3.client("dynamodb", region_name="us-east-1"), **option)


def _closed_endpoint() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


async def test_an_outage_names_the_key_and_the_table_or_the_table_alone() -> None:
    store = DynamoDBIdempotencyStore(
        table="records",
        endpoint_url=_closed_endpoint(),
        config=Config(connect_timeout=0.5, retries={"total_max_attempts": 1}),
    )
    calls = {
        "claim": store.claim("k-7", lease=30),
        "complete": store.complete(Claim("k-7", 1, 30.0), 1, ttl=30),
        "release": store.release(Claim("k-7", 1, 30.0)),
    }
    for name, call in calls.items():
        with pytest.raises(BackendUnavailableError) as raised:
            await call
        assert "idempotency key 'k-7' in DynamoDB table 'records'" in str(raised.value), name
    with pytest.raises(BackendUnavailableError) as raised:
        await store.create_table()
    assert str(raised.value) == "AWS is unreachable (DynamoDB table 'records')"


async def test_a_result_that_is_not_json_names_the_key(table: str) -> None:
    store = DynamoDBIdempotencyStore(table=table)
    claim = await store.claim("order-8", lease=30)
    assert isinstance(claim, Claim)
    with pytest.raises(SerializationError, match="idempotency key 'order-8'"):
        await store.complete(claim, {1, 2}, ttl=30)  # type: ignore[arg-type]
    assert await store.release(claim) is True
