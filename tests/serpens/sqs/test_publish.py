"""serpens.sqs.publish_message / publish_message_batch / build_message_attributes on moto."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest

from serpens import sqs
from serpens.errors import NotFoundError, SerializationError, SerpensError, ValidationError
from serpens.testing.sqs_events import poll_once


@pytest.fixture(name="client")
def _client(moto_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_endpoint)


def _create(client: Any, fifo: bool = False) -> str:
    name = f"pub-{uuid.uuid4().hex[:12]}" + (".fifo" if fifo else "")
    attributes = {"FifoQueue": "true"} if fifo else {}
    return str(client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


@pytest.fixture(name="queue_url")
def _queue_url(client: Any) -> Iterator[str]:
    url = _create(client)
    yield url
    client.delete_queue(QueueUrl=url)


@pytest.fixture(name="fifo_url")
def _fifo_url(client: Any) -> Iterator[str]:
    url = _create(client, fifo=True)
    yield url
    client.delete_queue(QueueUrl=url)


def _drain(client: Any, url: str, expected: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _ in range(20):
        answer = client.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        for message in answer.get("Messages", []):
            out.append(message)
            client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(out) >= expected and not answer.get("Messages"):
            break
    return out


class TestBuildMessageAttributes:
    def test_types_map_to_sqs_data_types(self) -> None:
        assert sqs.build_message_attributes(
            {"s": "x", "i": 3, "f": 1.5, "d": Decimal("2.50"), "b": b"\x00\x01"}
        ) == {
            "s": {"DataType": "String", "StringValue": "x"},
            "i": {"DataType": "Number", "StringValue": "3"},
            "f": {"DataType": "Number", "StringValue": "1.5"},
            "d": {"DataType": "Number", "StringValue": "2.50"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        }

    @pytest.mark.parametrize("value", [None, True, ["a"], {"a": 1}, float("nan")])
    def test_anything_else_is_a_value_error(self, value: object) -> None:
        with pytest.raises(ValueError, match="'k'") as raised:
            sqs.build_message_attributes({"k": value})
        assert isinstance(raised.value, ValidationError)

    def test_empty_or_none_is_no_attributes(self) -> None:
        assert sqs.build_message_attributes({}) == sqs.build_message_attributes(None) == {}


class TestPublishMessage:
    def test_a_dict_body_is_json_and_attributes_arrive_typed(
        self, client: Any, queue_url: str
    ) -> None:
        at = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
        answer = sqs.publish_message(
            queue_url,
            {"id": 7, "at": at, "amount": Decimal("19.99")},
            attributes={"kind": "order", "priority": 3, "blob": b"\x00k"},
        )
        (message,) = _drain(client, queue_url, 1)
        assert answer["MessageId"] == message["MessageId"]
        assert json.loads(message["Body"]) == {
            "id": 7,
            "at": "2024-05-01T12:30:00+00:00",  # the API encoder's forms
            "amount": 19.99,
        }
        attributes = message["MessageAttributes"]
        assert attributes["kind"] == {"StringValue": "order", "DataType": "String"}
        assert attributes["priority"] == {"StringValue": "3", "DataType": "Number"}
        assert attributes["blob"] == {"BinaryValue": b"\x00k", "DataType": "Binary"}

    def test_a_str_body_is_sent_as_is_and_the_handler_decodes_it(
        self, client: Any, queue_url: str
    ) -> None:
        sqs.publish_message(queue_url, '{"id": 1}')
        sqs.publish_message(queue_url, "plain")
        seen: list[Any] = []

        @sqs.handler
        def process(record: sqs.Record) -> None:
            seen.append((record.body, record.raw_body))

        assert poll_once(process, client, queue_url) == []
        assert sorted(seen, key=str) == [("plain", "plain"), ({"id": 1}, '{"id": 1}')]

    def test_fifo_group_id_doubles_as_dedup_id_as_in_2_9(self, client: Any, fifo_url: str) -> None:
        sqs.publish_message(fifo_url, {"n": 1}, "customer-1")
        sqs.publish_message(fifo_url, {"n": 2}, "customer-1")  # same dedup id: dropped
        sqs.publish_message(fifo_url, {"n": 3}, message_group_id="customer-2")
        sqs.publish_message(fifo_url, {"n": 4}, "customer-1", deduplication_id="n4")
        received = _drain(client, fifo_url, 3)
        assert sorted(json.loads(m["Body"])["n"] for m in received) == [1, 3, 4]
        first = next(m for m in received if json.loads(m["Body"])["n"] == 1)
        assert first["Attributes"]["MessageGroupId"] == "customer-1"
        assert first["Attributes"]["MessageDeduplicationId"] == "customer-1"

    def test_fifo_without_group_id_is_a_validation_error(self, fifo_url: str) -> None:
        with pytest.raises(ValidationError, match="message_group_id"):
            sqs.publish_message(fifo_url, {"n": 1})

    def test_bad_input_is_rejected_before_sending(self, client: Any, queue_url: str) -> None:
        with pytest.raises(SerializationError):
            sqs.publish_message(queue_url, {"x": object()})
        with pytest.raises(ValidationError):
            sqs.publish_message(queue_url, "")
        with pytest.raises(ValidationError):
            sqs.publish_message(queue_url, "x", attributes={"flag": True})
        assert _drain(client, queue_url, 0) == []

    def test_a_missing_queue_is_not_found(self, moto_endpoint: str) -> None:
        url = f"{moto_endpoint}/123456789012/missing-{uuid.uuid4().hex[:8]}"
        with pytest.raises(NotFoundError) as raised:
            sqs.publish_message(url, "x")
        assert isinstance(raised.value, SerpensError)


class TestPublishMessageBatch:
    def test_items_go_in_batches_of_ten_with_their_attributes(
        self, client: Any, queue_url: str
    ) -> None:
        messages = [{"body": {"n": n}, "attributes": {"n": n}} for n in range(23)]
        messages.append({"body": "raw text"})
        answers = sqs.publish_message_batch(queue_url, messages)
        received = _drain(client, queue_url, 24)
        ids = [ok["MessageId"] for answer in answers for ok in answer["Successful"]]
        assert len(ids) == len(set(ids)) == 24
        assert {m["MessageId"] for m in received} == set(ids)
        by_body = {m["Body"]: m for m in received}
        assert by_body['{"n": 7}']["MessageAttributes"]["n"]["StringValue"] == "7"
        assert "MessageAttributes" not in by_body["raw text"]

    def test_returns_the_2_9_shape_one_answer_per_call_of_ten(self, queue_url: str) -> None:
        """serpens 2.9 code reads ``result[0]["Successful"]``, ``["Failed"]``, the status."""
        answers = sqs.publish_message_batch(queue_url, [{"body": {"n": n}} for n in range(23)])
        assert [len(answer["Successful"]) for answer in answers] == [10, 10, 3]
        assert [ok["Id"] for answer in answers for ok in answer["Successful"]] == [
            str(n) for n in range(23)
        ]  # input order, each entry's index
        for answer in answers:
            assert answer["Failed"] == []
            assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
            assert all(ok["MessageId"] and ok["MD5OfMessageBody"] for ok in answer["Successful"])

    def test_falsy_bodies_are_sent_as_their_json(self, client: Any, queue_url: str) -> None:
        sqs.publish_message_batch(queue_url, [{"body": 0}, {"body": []}, {"body": False}])
        assert sorted(m["Body"] for m in _drain(client, queue_url, 3)) == ["0", "[]", "false"]

    def test_fifo_order_key_is_the_group_and_no_message_is_dropped(
        self, client: Any, fifo_url: str
    ) -> None:
        sqs.publish_message_batch(fifo_url, [{"body": {"n": n}} for n in range(12)], "orders")
        received = _drain(client, fifo_url, 12)
        assert [json.loads(m["Body"])["n"] for m in received] == list(range(12))  # in order
        assert {m["Attributes"]["MessageGroupId"] for m in received} == {"orders"}

    def test_invalid_items_send_nothing(self, client: Any, queue_url: str, fifo_url: str) -> None:
        with pytest.raises(ValidationError, match=r"\[1\]"):
            sqs.publish_message_batch(queue_url, [{"body": 1}, {"attributes": {}}])
        with pytest.raises(ValidationError, match="order_key"):
            sqs.publish_message_batch(fifo_url, [{"body": 1}])
        assert _drain(client, queue_url, 0) == []
        assert sqs.publish_message_batch(queue_url, []) == []
