"""serpens.sqs.handler on Lambda-shaped SQS events (no network)."""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from serpens import sqs
from serpens.errors import ValidationError
from serpens.sentry import FilteredEvent
from serpens.testing.sqs_events import sqs_event, sqs_record

FIFO_ARN = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"


class _Failure(dict[str, str]):
    """A service's own dict type for the legacy failure signal."""


def _ids(response: sqs.BatchResponse | None) -> list[str]:
    assert response is not None
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


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
        assert record.message_attributes == {}

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


class TestHandler:
    def test_all_successful_returns_none_and_processes_in_order(self) -> None:
        seen: list[Any] = []

        @sqs.handler
        def process(record: sqs.Record) -> None:
            seen.append(record.body)

        event = sqs_event(*(sqs_record(f'{{"n": {i}}}') for i in range(3)))
        assert process(event, None) is None
        assert seen == [{"n": 0}, {"n": 1}, {"n": 2}]

    def test_a_failing_record_is_reported_and_the_rest_still_run(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        seen: list[str] = []

        @sqs.handler
        def process(record: sqs.Record) -> None:
            seen.append(record.raw_body)
            if record.raw_body in {"b", "d"}:
                raise RuntimeError("boom")

        event = sqs_event(*(sqs_record(b, message_id=f"id-{b}") for b in "abcde"))
        with caplog.at_level(logging.ERROR, "serpens.sqs"):
            response = process(event, None)
        assert response == {
            "batchItemFailures": [{"itemIdentifier": "id-b"}, {"itemIdentifier": "id-d"}]
        }
        assert seen == list("abcde")
        assert "id-b" in caplog.text
        assert "boom" in caplog.text

    def test_legacy_dict_with_message_id_marks_the_record_failed(self) -> None:
        @sqs.handler
        def process(record: sqs.Record) -> dict[str, str] | None:
            return {"messageId": record.message_id} if record.raw_body == "bad" else None

        event = sqs_event(sqs_record("ok", message_id="1"), sqs_record("bad", message_id="2"))
        assert _ids(process(event, None)) == ["2"]

    @pytest.mark.parametrize(
        "signal",
        [
            pytest.param(lambda mid: collections.OrderedDict(messageId=mid), id="OrderedDict"),
            pytest.param(lambda mid: collections.defaultdict(str, messageId=mid), id="defaultdict"),
            pytest.param(lambda mid: _Failure(messageId=mid), id="dict-subclass"),
        ],
    )
    def test_legacy_signal_in_a_dict_subclass_marks_the_record_failed(
        self, signal: Callable[[str], dict[str, str]], caplog: pytest.LogCaptureFixture
    ) -> None:
        @sqs.handler
        def process(record: sqs.Record) -> dict[str, str] | None:
            if record.raw_body == "bad":
                return signal(record.message_id)
            return None

        event = sqs_event(sqs_record("ok", message_id="1"), sqs_record("bad", message_id="2"))
        with caplog.at_level(logging.INFO, "serpens.sqs"):
            assert _ids(process(event, None)) == ["2"]
        assert "legacy dict signal" in caplog.text  # the signal, not a processor error

    def test_a_dict_without_message_id_is_a_success(self) -> None:
        @sqs.handler
        def process(record: sqs.Record) -> dict[str, str]:
            return collections.OrderedDict(status="done")

        assert process(sqs_event(sqs_record("x")), None) is None

    def test_a_filtered_event_fails_its_record_with_a_warning(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        @sqs.handler
        def process(record: sqs.Record) -> None:
            if record.raw_body == "test":
                raise FilteredEvent("a test message")

        event = sqs_event(sqs_record("test", message_id="m1"), sqs_record("ok", message_id="m2"))
        with caplog.at_level(logging.INFO, "serpens.sqs"):
            assert _ids(process(event, None)) == ["m1"]
        (logged,) = caplog.records
        assert logged.levelno == logging.WARNING
        assert "m1" in logged.getMessage()
        assert "a test message" in logged.getMessage()
        assert logged.exc_info is not None
        assert isinstance(logged.exc_info[1], FilteredEvent)

    @pytest.mark.parametrize("kind", ["sync", "async"])
    @pytest.mark.parametrize("bad", [{"body": "no id"}, "not a record", None])
    def test_a_record_without_message_id_stops_the_batch_before_any_record_runs(
        self, kind: str, bad: object
    ) -> None:
        seen: list[str] = []

        def run(record: sqs.Record) -> None:
            seen.append(record.raw_body)

        async def arun(record: sqs.Record) -> None:
            run(record)

        process = sqs.handler(run) if kind == "sync" else sqs.handler(arun)
        event = sqs_event(sqs_record("a"), sqs_record("b"))
        event["Records"].insert(1, bad)
        with pytest.raises(ValidationError, match=r"Records\[1\] has no 'messageId'"):
            process(event, None)
        assert seen == []

    def test_base_exceptions_are_not_swallowed(self) -> None:
        @sqs.handler
        def process(record: sqs.Record) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            process(sqs_event(sqs_record("x")), None)

    def test_fifo_stops_at_the_first_failure_and_reports_the_rest(self) -> None:
        seen: list[str] = []

        @sqs.handler
        def process(record: sqs.Record) -> None:
            seen.append(record.raw_body)
            if record.raw_body == "a2":
                raise ValueError("no")

        bodies = [("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B"), ("a3", "A")]
        event = sqs_event(
            *(sqs_record(b, message_id=b, group_id=g, queue_arn=FIFO_ARN) for b, g in bodies)
        )
        assert _ids(process(event, None)) == ["a2", "b2", "a3"]
        assert seen == ["a1", "b1", "a2"]

    def test_fifo_skip_group_on_error_reports_only_the_failed_group(self) -> None:
        seen: list[str] = []

        @sqs.handler(skip_group_on_error=True)
        def process(record: sqs.Record) -> None:
            seen.append(record.raw_body)
            if record.raw_body == "a2":
                raise ValueError("no")

        bodies = [("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B"), ("a3", "A")]
        event = sqs_event(
            *(sqs_record(b, message_id=b, group_id=g, queue_arn=FIFO_ARN) for b, g in bodies)
        )
        assert _ids(process(event, None)) == ["a2", "a3"]
        assert seen == ["a1", "b1", "a2", "b2"]

    def test_an_event_without_records_is_a_validation_error(self) -> None:
        @sqs.handler
        def process(record: sqs.Record) -> None:
            pass

        with pytest.raises(ValidationError, match="not an SQS event"):
            process({"body": "x"}, None)
        assert process({"Records": []}, None) is None

    def test_retry_later_validates_its_delay(self) -> None:
        with pytest.raises(ValidationError):
            sqs.RetryLater(-1)
        with pytest.raises(ValidationError):
            sqs.RetryLater(43_201)
        with pytest.raises(ValidationError):
            sqs.RetryLater(1.5)  # type: ignore[arg-type]
        assert sqs.RetryLater(60, "rate limited").delay == 60

    def test_decorated_function_keeps_the_processor_name(self) -> None:
        @sqs.handler
        def message_processor(record: sqs.Record) -> None:
            pass

        assert message_processor.__name__ == "message_processor"


class TestAsyncHandler:
    def test_processes_concurrently_up_to_the_limit(self) -> None:
        running = 0
        peak = 0

        @sqs.async_handler(max_concurrency=3)
        async def process(record: sqs.Record) -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1
            if record.raw_body == "4":
                raise RuntimeError("boom")

        event = sqs_event(*(sqs_record(str(i), message_id=f"m{i}") for i in range(10)))
        assert _ids(process(event, None)) == ["m4"]
        assert peak == 3

    def test_handler_on_an_async_def_awaits_it(self) -> None:
        seen: list[str] = []

        @sqs.handler
        async def process(record: sqs.Record) -> None:
            await asyncio.sleep(0)
            seen.append(record.raw_body)

        assert process(sqs_event(sqs_record("a"), sqs_record("b")), None) is None
        assert sorted(seen) == ["a", "b"]

    def test_fifo_groups_run_in_order_and_stop_at_their_first_failure(self) -> None:
        seen: list[str] = []

        @sqs.async_handler(max_concurrency=4)
        async def process(record: sqs.Record) -> None:
            # later records finish sooner
            await asyncio.sleep(0.001 * (3 - int(record.raw_body[1])))
            seen.append(record.raw_body)
            if record.raw_body == "a2":
                raise ValueError("no")

        bodies = [("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B"), ("a3", "A"), ("b3", "B")]
        event = sqs_event(
            *(sqs_record(b, message_id=b, group_id=g, queue_arn=FIFO_ARN) for b, g in bodies)
        )
        assert _ids(process(event, None)) == ["a2", "a3"]
        assert [b for b in seen if b[0] == "a"] == ["a1", "a2"]
        assert [b for b in seen if b[0] == "b"] == ["b1", "b2", "b3"]

    @pytest.mark.parametrize("arn", ["arn:aws:sqs:us-east-1:123456789012:orders", FIFO_ARN])
    def test_legacy_signal_in_a_dict_subclass_marks_the_record_failed(self, arn: str) -> None:
        @sqs.async_handler(max_concurrency=2)
        async def process(record: sqs.Record) -> dict[str, str] | None:
            if record.raw_body == "bad":
                return collections.OrderedDict(messageId=record.message_id)
            return None

        event = sqs_event(
            sqs_record("ok", message_id="1", queue_arn=arn, group_id="g1"),
            sqs_record("bad", message_id="2", queue_arn=arn, group_id="g2"),
        )
        assert _ids(process(event, None)) == ["2"]

    def test_a_filtered_event_fails_its_record_with_a_warning(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        @sqs.async_handler
        async def process(record: sqs.Record) -> None:
            raise FilteredEvent(record.raw_body)

        with caplog.at_level(logging.INFO, "serpens.sqs"):
            assert _ids(process(sqs_event(sqs_record("x", message_id="m1")), None)) == ["m1"]
        assert [r.levelno for r in caplog.records] == [logging.WARNING]

    def test_warm_invocations_reuse_one_event_loop(self) -> None:
        loops: list[asyncio.AbstractEventLoop] = []

        @sqs.async_handler
        async def process(record: sqs.Record) -> None:
            loops.append(asyncio.get_running_loop())

        process(sqs_event(sqs_record("1")), None)
        process(sqs_event(sqs_record("2")), None)
        assert loops[0] is loops[1]

    def test_max_concurrency_must_be_positive(self) -> None:
        with pytest.raises(ValidationError):
            sqs.async_handler(max_concurrency=0)


def test_a_sync_callable_returning_a_coroutine_never_counts_as_done(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Processor:
        async def __call__(self, record: sqs.Record) -> None:
            pass

    process = sqs.handler(Processor())  # not detected as async: a callable instance
    with caplog.at_level(logging.ERROR, "serpens.sqs"):
        response = process(sqs_event(sqs_record("x", message_id="m")), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m"}]}
    assert "sqs.async_handler" in caplog.text


class TestOutsideAws:
    """``CLOUD_PROVIDER`` other than aws (Pub/Sub push): a failure propagates, as in 2.9.0."""

    def test_a_failing_record_raises_to_the_caller(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
        seen: list[Any] = []

        @sqs.handler
        def process(record: sqs.Record) -> None:
            seen.append(record.body)
            if record.body == {"n": 2}:
                raise KeyError("n")

        event = sqs_event(sqs_record('{"n": 1}'), sqs_record('{"n": 2}'), sqs_record('{"n": 3}'))
        with pytest.raises(KeyError):
            process(event, None)
        assert seen == [{"n": 1}, {"n": 2}]  # stopped where it failed

    def test_an_async_processor_failure_raises_too(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", "GCP")

        @sqs.handler
        async def process(record: sqs.Record) -> None:
            raise ValueError(record.raw_body)

        with pytest.raises(ValueError, match="boom"):
            process(sqs_event(sqs_record("boom")), None)

    @pytest.mark.parametrize("kind", ["sync", "async"])
    def test_a_filtered_event_propagates(self, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")

        def run(record: sqs.Record) -> None:
            raise FilteredEvent(record.raw_body)

        async def arun(record: sqs.Record) -> None:
            run(record)

        process = sqs.handler(run) if kind == "sync" else sqs.handler(arun)
        with pytest.raises(FilteredEvent, match="expected"):
            process(sqs_event(sqs_record("expected")), None)

    @pytest.mark.parametrize("provider", ["aws", "AWS", ""])
    def test_on_aws_failures_are_reported_per_record(
        self, monkeypatch: pytest.MonkeyPatch, provider: str
    ) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", provider)

        @sqs.handler
        def process(record: sqs.Record) -> None:
            raise ValueError(record.raw_body)

        assert _ids(process(sqs_event(sqs_record("x", message_id="m1")), None)) == ["m1"]

    def test_success_returns_none_outside_aws(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
        assert sqs.handler(lambda record: None)(sqs_event(sqs_record("x")), None) is None
