"""RetryLater's visibility change never holds a Lambda invocation.

A handler that outlives its invocation is killed, and Lambda then delivers the whole
batch again, records that succeeded included. The change is best effort (its record
is reported either way), so it gets one attempt, its answer within 2 s, and it ends
0.5 s before the invocation's own end; with less than 1.5 s left it is not tried.
Faults are real: moto's SQS server behind a FaultProxy that freezes or trickles.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from serpens import sqs
from serpens.errors import ValidationError
from serpens.testing import FaultProxy
from serpens.testing.sqs_events import event_from_received
from serpens_aws import _visibility

pytestmark = pytest.mark.aws

SLACK = 1.0  # scheduling on a loaded machine; a call left uncut takes 60 s or more


class Context:
    """What Lambda's context tells of time: the milliseconds left before the timeout."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.ends - time.monotonic()) * 1000))


@pytest.fixture(autouse=True)
def _queued(client: Any, queue_url: str) -> None:
    client.send_message(QueueUrl=queue_url, MessageBody="again")


@pytest.fixture(name="proxy")
def _proxy(
    moto_endpoint: str, moto_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultProxy]:
    """The visibility changes go through a FaultProxy in front of moto (fresh clients)."""
    clients: dict[str, Any] = {}
    monkeypatch.setattr(_visibility, "_clients", clients)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_proxy.url_for(moto_endpoint))
    yield moto_proxy
    for made in clients.values():
        made.close()


@sqs.handler
def later(record: sqs.Record) -> None:
    raise sqs.RetryLater(0 if record.raw_body == "again" else 30)


@sqs.async_handler
async def later_async(record: sqs.Record) -> None:
    raise sqs.RetryLater(0 if record.raw_body == "again" else 30)


def _timed(client: Any, queue_url: str, context: Any = None, handler: Any = later) -> float:
    """Receive the message as Lambda's poller does, then time the handler's run alone."""
    got = client.receive_message(QueueUrl=queue_url, VisibilityTimeout=60)["Messages"]
    arn = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    event = event_from_received(got, arn["Attributes"]["QueueArn"])
    started = time.monotonic()
    response = handler(event, context)
    elapsed = time.monotonic() - started
    assert len(response["batchItemFailures"]) == 1  # reported whatever became of the change
    return elapsed


def _warmed(client: Any, queue_url: str) -> None:
    """One healthy change first: the timed one then builds no client (seconds when loaded).

    ``RetryLater(0)`` makes the message visible again at once, for the timed run.
    """
    _timed(client, queue_url)


def _back_at_once(client: Any, queue_url: str) -> bool:
    got = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1)
    return [m["Body"] for m in got.get("Messages", [])] == ["again"]


@pytest.mark.usefixtures("proxy")
def test_a_healthy_endpoint_changes_the_visibility_within_the_invocation(
    client: Any, queue_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "serpens.sqs"):
        _timed(client, queue_url, Context(10.0))
    assert _back_at_once(client, queue_url)  # RetryLater(0) against a 60 s receive
    # the request reaches SQS before its answer is read: an answer lost would show here
    assert "could not delay" not in caplog.text


@pytest.mark.usefixtures("proxy")
@pytest.mark.parametrize(
    "context",
    [
        None,
        {},
        mock.Mock(spec=[]),
        mock.MagicMock(),  # the method answers a mock
        mock.Mock(**{"get_remaining_time_in_millis.return_value": True}),
        mock.Mock(**{"get_remaining_time_in_millis.side_effect": RuntimeError}),
    ],
    ids=["none", "dict", "bare", "magic", "bool", "raising"],
)
def test_a_context_that_tells_no_time_leaves_the_change_to_its_own_deadline(
    client: Any, queue_url: str, context: Any
) -> None:
    """Handlers are called with stand-ins for the context in users' tests."""
    _timed(client, queue_url, context)
    assert _back_at_once(client, queue_url)


def test_a_frozen_endpoint_ends_the_change_at_its_2_s_deadline(
    client: Any, queue_url: str, proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    _warmed(client, queue_url)
    with proxy.freeze(), caplog.at_level(logging.ERROR, "serpens.sqs"):
        elapsed = _timed(client, queue_url)
    assert 1.9 < elapsed < 2.0 + SLACK  # one attempt: botocore's default is 5 of 60 s
    assert "could not delay SQS message" in caplog.text


def test_a_trickled_answer_ends_the_change_at_its_2_s_deadline(
    client: Any, queue_url: str, proxy: FaultProxy
) -> None:
    # every read gets its bytes within the read timeout; the whole answer takes > 10 s
    _warmed(client, queue_url)
    with proxy.trickle(8, 0.25, direction="downstream"):
        elapsed = _timed(client, queue_url)
    assert 1.9 < elapsed < 2.0 + SLACK


@pytest.mark.parametrize("handler", [later, later_async], ids=["sync", "async"])
def test_the_change_ends_before_the_invocation_does(
    client: Any, queue_url: str, proxy: FaultProxy, handler: Any
) -> None:
    context = Context(2.2)  # the change must end by 0.7 s: 1.5 s are spared
    with proxy.freeze():
        _timed(client, queue_url, context, handler)
    left = context.ends - time.monotonic()
    assert left > 0.5 + 1.0 - SLACK  # cut at its limit, not at its 2 s read timeout


def test_with_too_little_time_left_the_change_is_not_tried(
    client: Any, queue_url: str, proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "serpens.sqs"):
        elapsed = _timed(client, queue_url, Context(1.2))
    assert elapsed < 1.0  # nothing waited on
    assert proxy.stats().accepted == 0
    assert "no time left to delay SQS message" in caplog.text


def test_one_client_per_region_waits_1_s_to_connect_2_s_per_answer_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A record's region may differ from the function's; a slow connect is not tested here."""
    monkeypatch.setattr(_visibility, "_clients", {})
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = _visibility._client("eu-west-1")
    try:
        assert _visibility._client("eu-west-1") is client
        assert client.meta.region_name == "eu-west-1"
        config = client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (1, 2)
        assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    finally:
        client.close()


@pytest.mark.usefixtures("proxy")
@pytest.mark.parametrize("region", [True, False], ids=["awsRegion", "arn"])
def test_a_record_is_changed_in_its_own_region(
    client: Any, queue_url: str, monkeypatch: pytest.MonkeyPatch, region: bool
) -> None:
    arn = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    got = client.receive_message(QueueUrl=queue_url, VisibilityTimeout=60)["Messages"]
    event = event_from_received(got, arn["Attributes"]["QueueArn"])
    if not region:  # taken from the queue's ARN
        del event["Records"][0]["awsRegion"]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # the queue is in us-east-1
    assert later(event, None) == {"batchItemFailures": [{"itemIdentifier": got[0]["MessageId"]}]}
    assert _back_at_once(client, queue_url)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sqs:us-east-1:000000000000",
        "arn:aws:sqs:us-east-1:000000000000:q:x",
        "nra:aws:sqs:us-east-1:000000000000:q",
        "arn:aws:sns:us-east-1:000000000000:q",
    ],
)
def test_a_queue_url_needs_an_sqs_queue_arn(arn: str) -> None:
    with pytest.raises(ValidationError, match="not an SQS queue ARN"):
        _visibility.queue_url_from_arn(arn, "http://127.0.0.1:9")


def test_the_queue_url_is_the_endpoint_the_account_and_the_name() -> None:
    url = _visibility.queue_url_from_arn("arn:aws:sqs:eu-west-1:123:orders", "https://sqs.x/")
    assert url == "https://sqs.x/123/orders"
