"""The deadlines of the clients SQSQueue and DynamoDBDocumentStore build themselves.

botocore waits 60 s to connect and 60 s per read by default. The queue's own client
waits 2 s to connect and 25 s per read (a long poll holds a read up to 20 s); the
document store's 2 s and 5 s. Retries stay the AWS environment's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from serpens.errors import BackendTimeoutError
from serpens.testing import FaultProxy
from serpens_aws import AsyncSQSQueue, DynamoDBDocumentStore, SQSQueue

QUEUE_URL = "http://127.0.0.1:9/000000000000/orders"


@pytest.fixture
def aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.mark.usefixtures("aws_region")
def test_the_queues_built_client_outwaits_the_longest_long_poll() -> None:
    for queue in (SQSQueue(QUEUE_URL), AsyncSQSQueue(QUEUE_URL)):
        config = queue.client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (2, 25)


@pytest.mark.usefixtures("aws_region")
def test_the_document_stores_built_client_waits_2_s_to_connect_and_5_s_per_read() -> None:
    config = DynamoDBDocumentStore(endpoint_url="http://127.0.0.1:9").client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 5)


@pytest.fixture
def frozen_moto(moto_proxy: FaultProxy) -> Iterator[str]:
    with moto_proxy.freeze():
        yield f"http://127.0.0.1:{moto_proxy.port}"


def test_a_frozen_endpoint_ends_the_document_stores_call_at_its_read_timeout(
    frozen_moto: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    store = DynamoDBDocumentStore(endpoint_url=frozen_moto, region_name="us-east-1")
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError) as info:
        store.get("orders", {"id": "1"})
    assert 4.5 < time.monotonic() - started < 8.0  # one 5 s read, not botocore's 60 s
    assert str(info.value) == "AWS timed out on DynamoDB table 'orders'"  # which table
