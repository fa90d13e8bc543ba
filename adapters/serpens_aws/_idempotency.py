"""``DynamoDBIdempotencyStore``: the :class:`serpens.ports.IdempotencyStore` port in DynamoDB.

Each record is one item of a table whose partition key ``pk`` (a string) is
``"<namespace>#<key>"``, with the attributes of :class:`serpens._rules.idempotency.Record`:
``fingerprint`` (S), ``token`` (N), ``done`` (BOOL), ``until`` (N, microseconds since
the epoch), ``result`` (S, the result's JSON text, once done), and ``expires`` (N, epoch
seconds), the table's TTL attribute. Every write is conditional, so a decision and its
write are one atomic request:

- a claim is a ``PutItem`` of a fresh record on the condition that no item exists, or
  that its ``until`` has passed and its ``token`` is below the new one; a refused claim
  gets the live item back (``ReturnValuesOnConditionCheckFailure``) and raises or
  replays from it with :func:`~serpens._rules.idempotency.decide`. The new token is
  :func:`~serpens._rules.idempotency.token_after` the item the store last saw: the
  clock's microseconds first, one more than a stored token that is not below them on a
  second try;
- a completion or release is an ``UpdateItem`` on the condition that the claim holds
  (its token, not done, ``until`` not passed).

DynamoDB has no clock a request can read: ``until`` and tokens are on the clock of the
process that wrote them (``time.time_ns``), so the processes sharing a table need
synchronised clocks (NTP); a lease holds up to their skew longer or shorter. DynamoDB's
TTL deletion runs days late, so no decision relies on it: ``expires`` is an hour past
``until`` only to clear the table, and a released record stays until then so the next
claim's token is above it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from botocore.config import Config
from botocore.exceptions import ClientError

from serpens._rules.document import check_table
from serpens._rules.idempotency import (
    MAX_KEY_BYTES,
    Record,
    check_claim,
    check_claim_args,
    check_result,
    check_seconds,
    decide,
    in_progress,
    lease_lost,
    read_result,
    token_after,
)
from serpens._rules.text import has_utf8
from serpens.errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    FieldError,
    NotFoundError,
    SerpensError,
    ValidationError,
)
from serpens.ports import Claim, JSONValue, Replay
from serpens_aws._errors import translate_errors
from serpens_aws._parameters import _LazyClient

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient

__all__ = ["DynamoDBIdempotencyStore"]

_CODES: Final[Mapping[str, type[SerpensError]]] = {
    "ResourceNotFoundException": NotFoundError,
    "ValidationException": ValidationError,
    "ProvisionedThroughputExceededException": BackendUnavailableError,
}
_NAMES: Final = {
    "#pk": "pk",
    "#f": "fingerprint",
    "#t": "token",
    "#d": "done",
    "#u": "until",
    "#r": "result",
    "#x": "expires",
}
_HELD: Final = "#t = :token AND #d = :false AND #u > :now"  # the claim still holds
_CLAIM_ATTEMPTS: Final = 8
"""Claims of a key tried in a row while its item changes under them (others release it)."""
_EXPIRES_AFTER: Final = 3_600
"""Seconds from a record's ``until`` to its ``expires``: TTL deletion may never come early."""
_MAX_PK_BYTES: Final = 2_048  # DynamoDB's longest partition key


def _now() -> int:
    """The process's clock, in whole microseconds since the epoch."""
    return time.time_ns() // 1_000


def _expires(until: int) -> dict[str, str]:
    return {"N": str(math.ceil(until / 1_000_000) + _EXPIRES_AFTER)}


def _record(key: str, item: Mapping[str, Any]) -> Record:
    """The record an item written by a store holds (``result`` only once it is done).

    Raises:
        BackendError: no item came back with a refused claim: the endpoint ignores
            ``ReturnValuesOnConditionCheckFailure`` (DynamoDB and moto honour it).
    """
    if not item:
        raise BackendError(
            f"idempotency key {key!r}: the endpoint refused the claim without returning the "
            "item that refused it (ReturnValuesOnConditionCheckFailure is not supported)"
        )
    return Record(
        fingerprint=item["fingerprint"]["S"],
        token=int(item["token"]["N"]),
        done=item["done"]["BOOL"],
        until=int(item["until"]["N"]),
        result=item["result"]["S"] if "result" in item else "",
    )


def _check_namespace(namespace: object) -> str:
    room = _MAX_PK_BYTES - MAX_KEY_BYTES - 1
    if (
        not isinstance(namespace, str)
        or not has_utf8(namespace)
        or not 0 < len(namespace.encode()) <= room
        or "#" in namespace
        or "\x00" in namespace
    ):
        raise ValidationError(
            "invalid idempotency store",
            [FieldError("namespace", f"must be 1 to {room:,} UTF-8 bytes without '#' or NUL")],
        )
    return namespace


class DynamoDBIdempotencyStore:
    """An :class:`~serpens.ports.IdempotencyStore` kept in one DynamoDB table.

    Takes a ready ``boto3`` DynamoDB *client*, or builds one on first use from the usual
    AWS environment (*endpoint_url* or ``AWS_ENDPOINT_URL`` for a local endpoint,
    *region_name* or ``AWS_DEFAULT_REGION``) that waits at most 2 s to connect and 5 s to
    read per attempt; *config* (a ``botocore`` ``Config``, only without *client*) is
    merged over those. Each attempt's whole answer must arrive within the client's read
    timeout (a client passed in too), so an endpoint trickling its answer cannot hold a
    call past it. Construction does no I/O; :meth:`create_table` makes the table, or
    make it yourself: partition key ``pk`` (string), TTL attribute ``expires``.

    Strict: an unreachable DynamoDB raises :class:`~serpens.errors.BackendUnavailableError`
    or :class:`~serpens.errors.BackendTimeoutError` (never fail-open: a missed record
    would run a call twice), a missing table :class:`~serpens.errors.NotFoundError`.
    Every call is one conditional write (a claim two, when a stored token is ahead of
    this process's clock), run by :func:`asyncio.to_thread`, so the loop never blocks.

    Times are this process's clock (DynamoDB has none to read): stores sharing a
    table need clocks in sync, as leases are measured on them.

    Args:
        client: a boto3 DynamoDB client, used as it is.
        table: the table of the records.
        namespace: the keys' namespace (1 to 1,023 UTF-8 bytes, no ``#``): stores with
            another namespace never meet, in one table.
        region_name: the region of the client the store builds.
        endpoint_url: the endpoint of the client the store builds.
        config: merged over the built client's default timeouts.
    """

    def __init__(
        self,
        client: DynamoDBClient | None = None,
        *,
        table: str = "serpens-idempotency",
        namespace: str = "default",
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Config | None = None,
    ) -> None:
        check_table(table, "pk", None)
        self.table = table
        self.namespace = _check_namespace(namespace)
        if client is not None and (region_name is not None or config is not None):
            raise ConfigurationError(
                "DynamoDBIdempotencyStore: region_name= and config= apply to the client "
                "the store builds; configure the client you pass instead"
            )
        if region_name is not None:
            config = Config(region_name=region_name).merge(config or Config())
        self._client = _LazyClient("dynamodb", client, endpoint_url, config)

    @property
    def client(self) -> DynamoDBClient:
        """The boto3 DynamoDB client, created on first use."""
        return self._client.get()  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"DynamoDBIdempotencyStore(table={self.table!r}, namespace={self.namespace!r})"

    def _translate(self, key: str | None = None) -> AbstractContextManager[None]:
        what = f"DynamoDB table {self.table!r}"
        return translate_errors(
            what if key is None else f"idempotency key {key!r} in {what}",
            _CODES,
            {"ResourceNotFoundException": f"DynamoDB table {self.table!r} does not exist"},
        )

    def _write(self, send: Callable[..., Any], **request: Any) -> Mapping[str, Any] | None:
        """Send a conditional write of one item: ``None`` if it was made.

        Otherwise the item that failed the condition if the request asked for it
        (``ReturnValuesOnConditionCheckFailure``), else ``{}``.
        """
        request.update(
            TableName=self.table,
            ExpressionAttributeNames={
                name: attribute
                for name, attribute in _NAMES.items()
                if name in request["ConditionExpression"] + request.get("UpdateExpression", "")
            },
        )
        try:
            send(**request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            item: Any = exc.response.get("Item", {})  # a field of this error's answer
            return dict(item)
        return None

    def _pk(self, key: str) -> dict[str, dict[str, str]]:
        return {"pk": {"S": f"{self.namespace}#{key}"}}

    def _claim(self, key: str, fingerprint: str, lease_ms: int) -> Claim | Replay:
        seen: Record | None = None  # the key's record as last read: the token to pass
        with self._translate(key):
            client = self.client
            for _ in range(_CLAIM_ATTEMPTS):
                now = _now()
                token = token_after(seen, now)
                until = now + lease_ms * 1_000
                old = self._write(
                    client.put_item,
                    Item={
                        **self._pk(key),
                        "fingerprint": {"S": fingerprint},
                        "token": {"N": str(token)},
                        "done": {"BOOL": False},
                        "until": {"N": str(until)},
                        "expires": _expires(until),
                    },
                    ConditionExpression="attribute_not_exists(#pk) OR (#u <= :now AND #t < :token)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",  # a refusal says why
                    ExpressionAttributeValues={
                        ":now": {"N": str(now)},
                        ":token": {"N": str(token)},
                    },
                )
                if old is None:
                    return Claim(key, token, lease_ms / 1_000)
                seen = _record(key, old)
                live = decide(seen, key, fingerprint, now)
                if live is not None:
                    return Replay(key, read_result(live.result))
                # free, but its token is not below this clock's: try again above it
        raise in_progress(key, 0)  # the key changed under every attempt: others are on it

    def _complete(self, claim: Claim, ttl_ms: int, text: str) -> None:
        with self._translate(claim.key):
            now = _now()
            until = now + ttl_ms * 1_000
            refused = self._write(
                self.client.update_item,
                Key=self._pk(claim.key),
                UpdateExpression="SET #d = :true, #u = :until, #r = :result, #x = :expires",
                ConditionExpression=_HELD,
                ExpressionAttributeValues={
                    ":token": {"N": str(claim.token)},
                    ":false": {"BOOL": False},
                    ":true": {"BOOL": True},
                    ":now": {"N": str(now)},
                    ":until": {"N": str(until)},
                    ":result": {"S": text},
                    ":expires": _expires(until),
                },
            )
        if refused is not None:
            raise lease_lost(claim.key)

    def _release(self, claim: Claim) -> bool:
        with self._translate(claim.key):
            refused = self._write(
                self.client.update_item,
                Key=self._pk(claim.key),
                # the item stays until its expires, so the next claim's token is above it
                UpdateExpression="SET #u = :zero",
                ConditionExpression=_HELD,
                ExpressionAttributeValues={
                    ":token": {"N": str(claim.token)},
                    ":false": {"BOOL": False},
                    ":now": {"N": str(_now())},
                    ":zero": {"N": "0"},
                },
            )
        return refused is None

    async def claim(self, key: str, *, lease: float, fingerprint: str = "") -> Claim | Replay:
        """See :meth:`serpens.ports.IdempotencyStore.claim`."""
        lease_ms = check_claim_args(key, fingerprint, lease)
        return await asyncio.to_thread(self._claim, key, fingerprint, lease_ms)

    async def complete(self, claim: Claim, result: JSONValue, *, ttl: float) -> None:
        """See :meth:`serpens.ports.IdempotencyStore.complete`."""
        check_claim(claim)
        ttl_ms = check_seconds(ttl, "ttl")
        text = check_result(result, claim.key)
        await asyncio.to_thread(self._complete, claim, ttl_ms, text)

    async def release(self, claim: Claim) -> bool:
        """See :meth:`serpens.ports.IdempotencyStore.release`."""
        check_claim(claim)
        return await asyncio.to_thread(self._release, claim)

    def _create_table(self) -> None:
        with self._translate():
            client = self.client
            with contextlib.suppress(client.exceptions.ResourceInUseException):
                # a table made already (by another store, or a deployment) is waited for
                client.create_table(
                    TableName=self.table,
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                )
            client.get_waiter("table_exists").wait(
                TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
            )
            ttl = client.describe_time_to_live(TableName=self.table)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") not in {"ENABLED", "ENABLING"}:
                client.update_time_to_live(
                    TableName=self.table,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
                )

    async def create_table(self) -> None:
        """Create the table if it is missing (on demand), wait until it is active, enable TTL.

        Idempotent: a table that exists is kept as it is, its TTL enabled on ``expires``
        unless TTL is on already (then on whatever attribute it names: decisions never
        rely on it). Needs ``dynamodb:CreateTable``, ``DescribeTable``,
        ``DescribeTimeToLive`` and ``UpdateTimeToLive``; the calls themselves need only
        ``PutItem`` and ``UpdateItem``.
        """
        await asyncio.to_thread(self._create_table)
