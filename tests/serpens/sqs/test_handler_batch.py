"""serpens.sqs.handler on Lambda-shaped SQS batches (no network).

Records processed in order, each failure reported by message id (exceptions, the legacy
dict signal, ``FilteredEvent``), FIFO groups stopped at their first failure, and the
events and arguments the handler refuses.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from typing import Any

import pytest

from serpens import sqs
from serpens.errors import ValidationError
from serpens.sentry import FilteredEvent
from serpens.testing.sqs_events import sqs_event, sqs_record
from tests.serpens.sqs._batches import FIFO_ARN, _ids


class _Failure(dict[str, str]):
    """A service's own dict type for the legacy failure signal."""


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
