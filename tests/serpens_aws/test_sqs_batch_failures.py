"""``send_raw_batch`` (behind ``publish_message_batch``) with entries SQS fails.

SQS answers ``SendMessageBatch`` with a ``Failed`` list: ``SenderFault`` true for an
entry it refuses (moto does this for a 1000-second delay), false for one it failed on
its own side, which the helper resends for a few rounds. moto never fails an entry on
its side, so those cases run against a local HTTP server that answers each
``SendMessageBatch`` with SQS's JSON for a partial failure, which leaves out an empty
``Successful`` or ``Failed`` list (the API reference calls both required; SQS omits them).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from serpens.errors import BackendUnavailableError, ValidationError
from serpens_aws import SQSQueue
from serpens_aws._queue_publish import send_raw_batch
from tests.serpens_aws._local_sqs import LocalSQS, SQSHandler, serving


class _Handler(SQSHandler):
    server: _SQS

    def do_POST(self) -> None:
        request = self.request_json()
        self.server.requests.append([entry["Id"] for entry in request["Entries"]])
        failing = self.server.failing.pop(0) if self.server.failing else set()
        answer: dict[str, Any] = {"Successful": [], "Failed": []}
        for entry in request["Entries"]:
            if entry["Id"] in failing:
                answer["Failed"].append(
                    {"Id": entry["Id"], "SenderFault": False, "Code": "InternalError"}
                )
            else:
                answer["Successful"].append(
                    {
                        "Id": entry["Id"],
                        "MessageId": str(uuid.uuid4()),
                        "MD5OfMessageBody": hashlib.md5(
                            entry["MessageBody"].encode(), usedforsecurity=False
                        ).hexdigest(),
                    }
                )
        # SQS's JSON protocol leaves an empty list out: no ``Failed`` when every entry
        # went, no ``Successful`` when none did (botocore adds neither back)
        answer = {name: entries for name, entries in answer.items() if entries}
        self.answer(200, answer, x_amzn_RequestId=f"r{len(self.server.requests)}")


class _SQS(LocalSQS):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.requests: list[list[str]] = []  # the entry ids of each SendMessageBatch
        self.failing: list[set[str]] = []  # per request: the ids failed on SQS's side


@pytest.fixture(name="sqs")
def _sqs() -> Iterator[_SQS]:
    with serving(_SQS()) as server:
        yield server


def _entries(*ids: str) -> list[Any]:
    return [{"Id": i, "MessageBody": f"body {i}"} for i in ids]


def test_entries_failed_on_sqs_side_are_resent_alone_and_the_answers_merged(sqs: _SQS) -> None:
    sqs.failing = [{"b", "c"}, {"c"}]
    answer = send_raw_batch(sqs.queue(), _entries("a", "b", "c", "d"))
    assert sqs.requests == [["a", "b", "c", "d"], ["b", "c"], ["c"]]
    assert sorted(s["Id"] for s in answer["Successful"]) == ["a", "b", "c", "d"]
    assert answer["Failed"] == []
    assert answer["ResponseMetadata"]["RequestId"] == "r3"  # the last call's


def test_entries_still_failing_after_three_rounds_are_backend_unavailable(sqs: _SQS) -> None:
    sqs.failing = [{"b"}, {"b"}, {"b"}, set()]  # a fourth round would have sent it
    with pytest.raises(BackendUnavailableError, match=r"kept failing batch entries \(b\)"):
        send_raw_batch(sqs.queue(), _entries("a", "b"))
    assert sqs.requests == [["a", "b"], ["b"], ["b"]]


@pytest.mark.aws
def test_entries_sqs_refuses_are_a_validation_error_naming_them(moto_endpoint: str) -> None:
    client = boto3.client("sqs", endpoint_url=moto_endpoint)
    url = client.create_queue(QueueName=f"r-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    entries: list[Any] = [*_entries("a"), {"Id": "late", "MessageBody": "x", "DelaySeconds": 1000}]
    with pytest.raises(ValidationError, match=r"\(late: InvalidParameterValue\)"):
        send_raw_batch(SQSQueue(url, client), entries)
