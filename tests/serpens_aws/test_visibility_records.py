"""``RetryLater``'s visibility change refuses a record that names no SQS queue.

A Lambda SQS record carries its queue's ARN (``eventSourceARN``) and region
(``awsRegion``). A record without a queue ARN is a :class:`~serpens.errors.ValidationError`
naming what it had, before any client is built: without ``awsRegion``, building one for
the region ``""`` failed first, with botocore's "Invalid endpoint:
https://sqs..amazonaws.com", which named neither the record nor the ARN.
"""

from __future__ import annotations

from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens_aws import _visibility


@pytest.fixture
def no_clients(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """This test's client cache (empty), on AWS's own endpoints: no local endpoint set."""
    clients: dict[str, Any] = {}
    monkeypatch.setattr(_visibility, "_clients", clients)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SQS", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return clients


@pytest.mark.parametrize("region", [None, "eu-west-1"], ids=["no-awsRegion", "awsRegion"])
@pytest.mark.parametrize(
    ("arn", "named"),
    [
        (None, "''"),
        ("", "''"),
        ("orders", "'orders'"),
        ("arn:aws:sqs:us-east-1", "'arn:aws:sqs:us-east-1'"),
        ("arn:aws:sns:us-east-1:000000000000:q", "'arn:aws:sns:us-east-1:000000000000:q'"),
    ],
)
def test_a_record_without_a_queue_arn_is_refused_before_a_client_is_built(
    no_clients: dict[str, Any], arn: str | None, named: str, region: str | None
) -> None:
    record = {"messageId": "m-1", "receiptHandle": "r-1"}
    if arn is not None:
        record["eventSourceARN"] = arn
    if region is not None:
        record["awsRegion"] = region
    with pytest.raises(ValidationError) as raised:
        _visibility.change_visibility(record, 30)
    assert str(raised.value) == f"not an SQS queue ARN: {named}"
    assert no_clients == {}


@pytest.mark.parametrize("endpoint", ["http://LOCALSTACK.BOX", "http://LOCALSTACK.BOX/"])
def test_the_queue_url_keeps_the_endpoint_as_it_is_but_its_last_slash(endpoint: str) -> None:
    url = _visibility.queue_url_from_arn("arn:aws:sqs:eu-west-1:123:orders", endpoint)
    assert url == "http://LOCALSTACK.BOX/123/orders"
