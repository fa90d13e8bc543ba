"""Code written for serpens 2.9.0 keeps running unchanged: ``serpens.sqs``.

Each test is a 2.9.0 call site taken from the README or the specification's examples
(or from the behaviour services observed on 2.9.0): the handler and its records, the
batch response and its failure signals, the publish helpers, run against moto.

A failure here means a service pinned to 2.9.0 breaks on upgrade; change the library,
not this module (the deliberate differences are listed in docs/migrating-from-2.9.md).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import boto3
import pytest

from serpens import sqs
from serpens.errors import ValidationError
from serpens.testing.sqs_events import poll_once, sqs_event, sqs_record


@pytest.fixture(name="sqs_client")
def _sqs_client(moto_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_endpoint)


@pytest.fixture(name="queue_url")
def _queue_url(sqs_client: Any) -> Iterator[str]:
    url = sqs_client.create_queue(QueueName=f"compat-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    yield url
    sqs_client.delete_queue(QueueUrl=url)


class TestSqs:
    def test_the_readme_handler_reads_record_body_as_decoded_json(
        self, sqs_client: Any, queue_url: str
    ) -> None:
        seen: list[dict[str, Any]] = []

        @sqs.handler
        def message_processor(record: sqs.Record):
            seen.append(
                {
                    "id": record.body["id"],  # 2.9.0: body is the decoded JSON
                    "message_id": record.data["messageId"],  # 2.9.0: data is the raw record
                    "attributes": record.message_attributes["kind"]["stringValue"],
                    "queue": record.queue_name,
                    "sent": record.sent_datetime,
                }
            )

        sqs.publish_message(queue_url, {"id": 7}, None, {"kind": "order"})
        assert poll_once(message_processor, sqs_client, queue_url) == []
        (one,) = seen
        assert one["id"] == 7
        assert one["message_id"]
        assert one["attributes"] == "order"
        assert one["queue"] == queue_url.rsplit("/", 1)[-1]
        assert one["sent"].tzinfo is UTC  # deliberate: aware, was naive local time

    def test_a_body_that_is_not_json_stays_a_string(self) -> None:
        assert sqs.Record(sqs_record("plain text")).body == "plain text"

    def test_the_batch_response_reports_failed_records(self) -> None:
        @sqs.handler
        def message_processor(record: sqs.Record) -> None:
            if record.body["amount"] < 0:
                raise ValueError("negative")

        event = sqs_event(
            sqs_record('{"amount": 1}', message_id="ok"),
            sqs_record('{"amount": -1}', message_id="bad"),
        )
        assert message_processor(event, None) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}

    def test_outside_aws_the_exception_propagates(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")

        @sqs.handler
        def message_processor(record: sqs.Record) -> None:
            raise LookupError(record.body)

        with pytest.raises(LookupError):
            message_processor(sqs_event(sqs_record("x")), None)

    def test_publish_helpers_take_the_2_9_positional_shapes(
        self, sqs_client: Any, queue_url: str
    ) -> None:
        answer = sqs.publish_message(queue_url, "hello", None, {"n": 1})
        assert answer["MessageId"]
        sqs.publish_message_batch(
            queue_url, [{"body": {"i": i}, "attributes": {}} for i in range(3)]
        )
        attributes = sqs.build_message_attributes({"s": "x", "n": 2, "b": b"\x01"})
        assert [v["DataType"] for v in attributes.values()] == ["String", "Number", "Binary"]
        with pytest.raises(ValueError):
            sqs.build_message_attributes({"bad": object()})
        received = sqs_client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        assert len(received["Messages"]) >= 1


class TestSqsResultsSignalsAndRecordFields:
    """2.9.0 SQS call sites: the batch publish answers, its failure signals, assignable fields."""

    def test_publish_message_batch_returns_one_send_message_batch_answer_per_call(
        self, sqs_client: Any, queue_url: str
    ) -> None:
        result = sqs.publish_message_batch(queue_url, [{"body": {"i": i}} for i in range(12)])
        assert len(result) == 2  # ten entries per call, as 2.9.0 sent them
        assert result[0]["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert not result[0]["Failed"]
        assert len(result[0]["Successful"]) == 10
        assert all(ok["MessageId"] for ok in result[1]["Successful"])
        received = sqs_client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        assert len(received["Messages"]) >= 1

    def test_a_dict_subclass_with_message_id_fails_the_record(self) -> None:
        import collections  # noqa: PLC0415

        @sqs.handler
        def message_processor(record: sqs.Record):
            if record.body == "bad":
                return collections.OrderedDict(messageId=record.data["messageId"])
            return None

        event = sqs_event(sqs_record("ok", message_id="m1"), sqs_record("bad", message_id="m2"))
        assert message_processor(event, None) == {"batchItemFailures": [{"itemIdentifier": "m2"}]}

    def test_raising_filtered_event_fails_the_record(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from serpens.sentry import FilteredEvent  # noqa: PLC0415

        @sqs.handler
        def message_processor(record: sqs.Record):
            if record.body["amount"] < 0:
                raise FilteredEvent("negative amount")

        event = sqs_event(
            sqs_record('{"amount": 1}', message_id="ok"),
            sqs_record('{"amount": -1}', message_id="bad"),
        )
        assert message_processor(event, None) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
        with pytest.raises(FilteredEvent):
            message_processor(event, None)

    def test_sentry_module_keeps_its_2_9_names(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from serpens import sentry  # noqa: PLC0415

        monkeypatch.delenv("SENTRY_DSN", raising=False)
        sentry.setup()  # no DSN: nothing to initialise
        error = sentry.FilteredEvent("x")
        assert sentry.before_send({"x": 1}, {"exc_info": (type(error), error, None)}) is None
        assert sentry.before_send({"x": 1}, {}) == {"x": 1}

    def test_record_fields_can_be_reassigned_to_unwrap_an_sns_envelope(self) -> None:
        seen: list[Any] = []

        @sqs.handler
        def message_processor(record: sqs.Record):
            record.body = json.loads(record.body["Message"])
            seen.append(record.body)

        envelope = json.dumps({"Type": "Notification", "Message": json.dumps({"id": 7})})
        assert message_processor(sqs_event(sqs_record(envelope)), None) is None
        assert seen == [{"id": 7}]

    def test_a_record_without_message_id_stops_the_batch_before_processing(self) -> None:
        seen: list[Any] = []

        @sqs.handler
        def message_processor(record: sqs.Record):
            seen.append(record.body)

        bad = sqs_record("bad")
        del bad["messageId"]
        event = sqs_event(sqs_record("first"), bad, sqs_record("after"))
        with pytest.raises(ValidationError, match=r"Records\[1\] has no 'messageId'"):
            message_processor(event, None)
        assert seen == []


class TestSqsModuleNamesAndLogs:
    """2.9.0's module names, its logs outside AWS, empty batch bodies and absent attributes."""

    def test_module_keeps_get_cloud_provider_and_max_batch_size(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert sqs.MAX_BATCH_SIZE == 10
        monkeypatch.delenv("CLOUD_PROVIDER", raising=False)
        assert sqs.get_cloud_provider() == "aws"
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
        assert sqs.get_cloud_provider() == "gcp"

    def test_outside_aws_a_failing_record_is_logged_before_it_propagates(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        from serpens.sentry import FilteredEvent  # noqa: PLC0415

        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")

        @sqs.handler
        def message_processor(record: sqs.Record) -> None:
            if record.body == "skip":
                raise FilteredEvent("filtered out")
            raise LookupError("no such order")

        caplog.set_level(logging.INFO, logger="serpens.sqs")
        with pytest.raises(LookupError):
            message_processor(sqs_event(sqs_record("bad", message_id="m1")), None)
        with pytest.raises(FilteredEvent):
            message_processor(sqs_event(sqs_record("skip", message_id="m2")), None)
        error, warning = caplog.records
        assert (error.levelno, warning.levelno) == (logging.ERROR, logging.WARNING)
        assert "m1" in error.getMessage()
        assert "on gcp: no such order" in error.getMessage()
        assert error.exc_info is not None
        assert "m2" in warning.getMessage()
        assert "on gcp" in warning.getMessage()
        assert "filtered out" in warning.getMessage()
        assert warning.exc_info is not None

    def test_batch_items_without_a_body_send_an_empty_object(
        self, sqs_client: Any, queue_url: str
    ) -> None:
        result = sqs.publish_message_batch(queue_url, [{"body": None}, {"body": ""}])
        assert len(result[0]["Successful"]) == 2
        received = sqs_client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        assert [m["Body"] for m in received["Messages"]] == ["{}", "{}"]

    def test_a_record_without_message_attributes_has_none(self) -> None:
        raw = sqs_record("x")
        raw.pop("messageAttributes", None)
        assert sqs.Record(raw).message_attributes is None  # 2.9.0: data.get(...)
