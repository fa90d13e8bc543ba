"""A failed Lambda invocation marks the application's elastic-apm transaction, as 2.9 did.

serpens 2.9 captured every failed SQS record and every 500 answer, and set the running
transaction's result and outcome (``"failure"``; ``"HTTP 5xx"`` with the status code),
unless the application had set them. Checked with a real elastic-apm Client whose events
stay in memory, around a transaction the test opens as ``capture_serverless`` would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import elasticapm
import pytest

from serpens import api, sqs
from serpens._apm import capture_failure
from serpens.errors import NotFoundError
from serpens.testing.sqs_events import sqs_event, sqs_record
from tests._apm import RecordedApm, recorded_apm
from tests.serpens.api.events import http_event


@pytest.fixture(name="apm")
def _apm() -> Iterator[RecordedApm]:
    with recorded_apm() as recorded:
        yield recorded


def _in_transaction(apm: RecordedApm, call: Callable[[], object]) -> dict[str, Any]:
    """Run *call* inside a transaction; return the transaction as elastic-apm sent it."""
    apm.client.begin_transaction("lambda")
    call()
    apm.client.end_transaction("handler")
    (transaction,) = [data for kind, data in apm.events if kind == "transaction"]
    return transaction


def _errors(apm: RecordedApm) -> list[dict[str, Any]]:
    return [data for kind, data in apm.events if kind == "error"]


def test_a_failed_sqs_record_is_captured_and_fails_the_transaction(apm: RecordedApm) -> None:
    @sqs.handler
    def process(record: sqs.Record) -> None:
        if record.body == "bad":
            raise ValueError("cannot process")

    event = sqs_event(sqs_record("good"), sqs_record("bad"))
    transaction = _in_transaction(apm, lambda: process(event, None))
    (error,) = _errors(apm)
    assert (error["exception"]["type"], error["exception"]["handled"]) == ("ValueError", False)
    assert (transaction["result"], transaction["outcome"]) == ("failure", "failure")


class _NoTimeLeft:
    """A Lambda context at its end: a RetryLater then changes no visibility (no SQS call)."""

    def get_remaining_time_in_millis(self) -> int:
        return 0


def test_a_retry_later_is_no_failure_for_elastic_apm(apm: RecordedApm) -> None:
    @sqs.handler
    def process(record: sqs.Record) -> None:
        raise sqs.RetryLater(0)

    event = sqs_event(sqs_record("x"))
    transaction = _in_transaction(apm, lambda: process(event, _NoTimeLeft()))
    assert _errors(apm) == []
    assert transaction["outcome"] != "failure"


def test_a_500_answer_is_captured_and_sets_the_http_result(apm: RecordedApm) -> None:
    @api.handler
    def fails(request: api.Request) -> None:
        raise RuntimeError("boom")

    transaction = _in_transaction(apm, lambda: fails(http_event(), None))
    (error,) = _errors(apm)
    assert error["exception"]["handled"] is False
    assert (transaction["result"], transaction["outcome"]) == ("HTTP 5xx", "failure")
    assert transaction["context"]["response"]["status_code"] == 500


def test_a_4xx_answer_leaves_the_transaction_as_it_is(apm: RecordedApm) -> None:
    @api.handler
    def missing(request: api.Request) -> None:
        raise NotFoundError("User id=1")

    transaction = _in_transaction(apm, lambda: missing(http_event(), None))
    (error,) = _errors(apm)
    assert error["exception"]["handled"] is True
    assert transaction["outcome"] != "failure"


def test_a_result_the_application_set_is_kept(apm: RecordedApm) -> None:
    @api.handler
    def fails(request: api.Request) -> None:
        elasticapm.set_transaction_result("custom")
        raise RuntimeError("boom")

    transaction = _in_transaction(apm, lambda: fails(http_event(), None))
    assert transaction["result"] == "custom"


def test_the_application_s_result_and_outcome_of_a_failed_record_are_kept(
    apm: RecordedApm,
) -> None:
    @sqs.handler
    def process(record: sqs.Record) -> None:
        elasticapm.set_transaction_result("custom")
        elasticapm.set_transaction_outcome("success")
        raise ValueError("cannot process")

    transaction = _in_transaction(apm, lambda: process(sqs_event(sqs_record("x")), None))
    assert len(_errors(apm)) == 1
    assert (transaction["result"], transaction["outcome"]) == ("custom", "success")


def test_an_outcome_the_application_set_before_a_500_is_kept(apm: RecordedApm) -> None:
    @api.handler
    def fails(request: api.Request) -> None:
        elasticapm.set_transaction_outcome("success")
        raise RuntimeError("boom")

    transaction = _in_transaction(apm, lambda: fails(http_event(), None))
    assert transaction["outcome"] == "success"


def test_a_handled_failure_is_captured_and_leaves_the_transaction_result(
    apm: RecordedApm,
) -> None:
    error = ValueError("expected")
    transaction = _in_transaction(apm, lambda: capture_failure(error, handled=True))
    (captured,) = _errors(apm)
    assert captured["exception"]["handled"] is True
    assert "failure" not in (transaction["result"], transaction["outcome"])


def test_a_failure_captured_after_its_except_block_is_still_that_failure(
    apm: RecordedApm,
) -> None:
    try:
        raise ValueError("cannot process")
    except ValueError as exc:
        error = exc
    transaction = _in_transaction(apm, lambda: capture_failure(error))
    (captured,) = _errors(apm)
    assert captured["exception"]["type"] == "ValueError"
    assert captured["exception"]["message"] == "ValueError: cannot process"
    assert transaction["result"] == "failure"
