"""serpens.sqs.Record on Lambda-shaped SQS records (no network).

The fields a record exposes, read lazily from the raw record; a body that is not JSON
kept as text; the 2.9 attributes that code assigns; a repr without the body.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from serpens import sqs
from serpens.testing.sqs_events import sqs_record
from tests.serpens.sqs._batches import FIFO_ARN


class TestRecord:
    def test_exposes_the_specified_fields(self) -> None:
        sent = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
        raw = sqs_record(
            '{"order": 7}',
            message_id="m-1",
            attributes={"kind": "order", "priority": 3},
            receive_count=2,
            sent_at=sent,
        )
        record = sqs.Record(raw)
        assert record.raw_body == '{"order": 7}'
        assert record.body == {"order": 7}
        assert record.queue_name == "my-queue"
        assert record.sent_datetime == sent
        assert record.sent_datetime.tzinfo is UTC
        assert record.message_id == "m-1"
        assert record.receive_count == 2
        assert record.attributes["ApproximateReceiveCount"] == "2"
        assert record.message_attributes["kind"]["stringValue"] == "order"
        assert record.message_attributes["priority"]["dataType"] == "Number"
        assert record.message_attribute_values == {"kind": "order", "priority": "3"}
        assert record.receipt_handle == raw["receiptHandle"]
        assert record.message_group_id is None
        assert record.data is raw  # 2.9.0: data is the raw record
        assert record.data["messageId"] == "m-1"

    @pytest.mark.parametrize("body", ["plain text", "{not json", "", "[1,"])
    def test_a_body_that_is_not_json_leaves_data_as_the_raw_body(self, body: str) -> None:
        assert sqs.Record(sqs_record(body)).body == body

    def test_json_nested_too_deeply_leaves_body_as_the_raw_body(self) -> None:
        body = "[" * 100_000 + "]" * 100_000
        assert sqs.Record(sqs_record(body)).body == body

    def test_an_integer_past_the_digit_limit_leaves_body_as_the_raw_body(self) -> None:
        body = '{"n": ' + "9" * 5_000 + "}"
        assert sqs.Record(sqs_record(body)).body == body  # never a raw ValueError

    def test_a_missing_body_and_missing_attributes_do_not_crash(self) -> None:
        raw = {"messageId": "m", "body": None, "eventSourceARN": "arn:aws:sqs:r:1:q"}
        record = sqs.Record(raw)
        assert record.raw_body == ""
        assert record.body == ""
        assert record.attributes == {}
        assert record.sent_datetime is None
        assert record.receive_count == 1
        assert record.message_attributes is None  # as in serpens 2.9
        assert record.message_attribute_values == {}

    def test_fifo_fields(self) -> None:
        record = sqs.Record(sqs_record("x", queue_arn=FIFO_ARN, group_id="g1"))
        assert record.message_group_id == "g1"
        assert record.dedup_id
        assert record.queue_name == "orders.fifo"

    def test_the_2_9_attributes_can_be_assigned(self) -> None:
        """2.9.0 code reassigns them, e.g. to unwrap an SNS envelope."""
        record = sqs.Record(sqs_record(json.dumps({"Message": '{"a": 1}'}), message_id="m"))
        record.body = json.loads(record.body["Message"])
        assert record.body == {"a": 1}
        sent = datetime(2020, 1, 2, tzinfo=UTC)
        record.sent_datetime = sent
        record.queue_name = "orders"
        record.message_attributes = {"kind": {"stringValue": "x", "dataType": "String"}}
        assert record.sent_datetime is sent
        assert record.queue_name == "orders"
        assert record.message_attribute_values == {"kind": "x"}
        assert record.message_id == "m"  # the fields not assigned still read the record
        assert record.raw_body == json.dumps({"Message": '{"a": 1}'})

    def test_assigning_none_is_kept(self) -> None:
        record = sqs.Record(sqs_record("x"))
        record.sent_datetime = None
        record.body = None
        assert record.sent_datetime is None
        assert record.body is None

    def test_assigning_data_replaces_the_record_the_unread_fields_come_from(self) -> None:
        record = sqs.Record(sqs_record('{"v": 1}', message_id="first"))
        assert record.body == {"v": 1}  # read: kept
        replacement = sqs_record('{"v": 2}', message_id="second")
        record.data = replacement
        assert record.data is replacement
        assert record.raw is replacement
        assert record.message_id == "second"
        assert record.body == {"v": 1}

    def test_assigning_one_field_leaves_the_others_lazy(self) -> None:
        record = sqs.Record(sqs_record("x", queue_arn=FIFO_ARN))
        record.queue_name = "renamed"
        assert record.message_attributes == record.raw["messageAttributes"]
        assert record.sent_datetime is not None
        assert "renamed" in repr(record)

    def test_repr_never_shows_the_body(self) -> None:
        assert "secret" not in repr(sqs.Record(sqs_record("secret", message_id="m")))
