"""The publish helpers follow the endpoint and region the environment names per call.

serpens keeps one SQS client per process *and endpoint and region* (so a warm Lambda
reuses it), read from ``AWS_ENDPOINT_URL_SQS`` (else ``AWS_ENDPOINT_URL``) and
``AWS_DEFAULT_REGION`` at each call, as boto3 reads them. Pinned on moto, behind a
FaultProxy that counts the connections it sees: after a publish, pointing either
endpoint variable elsewhere sends the next publish there, not through the client kept for
the old endpoint; changing the region looks for the queue in the new region (where it
does not exist).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest

from serpens import sqs
from serpens.errors import NotFoundError
from serpens.testing import FaultProxy


@pytest.fixture(name="queue_url")
def _queue_url(moto_endpoint: str) -> Iterator[str]:
    client = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
    url = str(client.create_queue(QueueName=f"ends-{uuid.uuid4().hex[:12]}")["QueueUrl"])
    yield url
    client.delete_queue(QueueUrl=url)


@pytest.fixture(name="direct")
def _direct(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> None:
    """moto straight, in us-east-1, through ``AWS_ENDPOINT_URL`` only."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SQS", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.mark.usefixtures("direct")
@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL"])
def test_a_new_endpoint_gets_the_next_publish(
    variable: str,
    queue_url: str,
    moto_endpoint: str,
    moto_proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sqs.publish_message(queue_url, "first")  # a client kept for moto's own endpoint
    assert moto_proxy.stats().accepted == 0

    monkeypatch.setenv(variable, moto_proxy.url_for(moto_endpoint))
    sqs.publish_message(queue_url, "second")
    sqs.publish_message_batch(queue_url, [{"body": "third"}])

    assert moto_proxy.stats().accepted >= 1
    assert moto_proxy.stats().bytes_to_upstream > 0


@pytest.mark.usefixtures("direct")
def test_a_new_default_region_looks_for_the_queue_there(
    queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs.publish_message(queue_url, "in us-east-1")  # a client kept for us-east-1

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(NotFoundError):
        sqs.publish_message(queue_url, "in eu-west-1")


@pytest.mark.usefixtures("direct")
def test_the_default_region_decides_even_beside_aws_region(
    queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``AWS_REGION`` (set in Lambda) is no region boto3's client reads: the key ignores it."""
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    sqs.publish_message(queue_url, "in us-east-1")

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # AWS_REGION still us-east-1
    with pytest.raises(NotFoundError):
        sqs.publish_message(queue_url, "in eu-west-1")
