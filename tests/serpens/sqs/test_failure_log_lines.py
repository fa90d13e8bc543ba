"""The log line of each failed record names the record (no network).

An operator finds a redelivered message by the id in its log line, so every way a
processor fails its record logs that ``messageId`` (on the line and as the
``message_id`` field of the log record): the 2.9 dict signal, an un-awaited coroutine
returned by a sync processor, and ``RetryLater`` outside AWS (``CLOUD_PROVIDER`` set to
another provider: the signal propagates, logged with the provider and its reason), and
any exception (an error; a warning for ``FilteredEvent``), in the documented
``SQS message <id> failed on gcp: <error>`` form outside AWS. The sync handler logs a
failure after its processor returned, outside the record's log tag, so the field comes
from the line itself. ``Record``'s repr names the message too (never its body).
"""

from __future__ import annotations

import logging

import pytest

from serpens import sqs
from serpens.sentry import FilteredEvent
from serpens.testing.sqs_events import sqs_event, sqs_record
from tests.serpens.sqs._batches import _ids


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str, object]]:
    """(level, text, message_id field) of each serpens.sqs record caught."""
    return [
        (r.levelno, r.getMessage(), getattr(r, "message_id", None))
        for r in caplog.records
        if r.name == "serpens.sqs"
    ]


def test_the_dict_signal_logs_the_id_of_the_record_it_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @sqs.handler
    def process(record: sqs.Record) -> dict[str, str]:
        return {"messageId": record.message_id}

    with caplog.at_level(logging.INFO, "serpens.sqs"):
        assert _ids(process(sqs_event(sqs_record("x", message_id="m-dict")), None)) == ["m-dict"]
    ((level, text, _field),) = _lines(caplog)
    assert level == logging.INFO
    assert "m-dict" in text
    assert "legacy dict signal" in text


def test_a_returned_coroutine_logs_the_id_of_the_record_it_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def later() -> None:
        return None

    def process(record: sqs.Record) -> object:  # a sync function returning a coroutine
        return later()

    handler = sqs.handler(process)
    with caplog.at_level(logging.INFO, "serpens.sqs"):
        assert _ids(handler(sqs_event(sqs_record("x", message_id="m-coro")), None)) == ["m-coro"]
    ((level, text, _field),) = _lines(caplog)
    assert level == logging.ERROR
    assert "m-coro" in text
    assert "sqs.async_handler" in text


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_retry_later_outside_aws_propagates_logged_with_id_provider_and_reason(
    kind: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No visibility to set outside AWS: one INFO line, then the signal reaches the caller."""
    monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
    signal = sqs.RetryLater(30, "rate limited")

    def sync_process(record: sqs.Record) -> None:
        raise signal

    async def async_process(record: sqs.Record) -> None:
        raise signal

    handler = sqs.handler(sync_process) if kind == "sync" else sqs.async_handler(async_process)
    with caplog.at_level(logging.INFO, "serpens.sqs"), pytest.raises(sqs.RetryLater) as raised:
        handler(sqs_event(sqs_record("x", message_id="m-retry")), None)
    assert raised.value is signal
    ((level, text, field),) = _lines(caplog)
    assert level == logging.INFO
    assert "m-retry" in text
    assert "gcp" in text
    assert "retry in 30s: rate limited" in text
    assert field == "m-retry"


def test_the_repr_of_a_record_names_its_message_and_queue() -> None:
    record = sqs.Record(sqs_record("secret", message_id="m-repr"))
    assert repr(record) == "Record(message_id='m-repr', queue='my-queue')"


def _failing(exc: Exception) -> sqs.LambdaHandler:
    def process(record: sqs.Record) -> None:
        raise exc

    return sqs.handler(process)


def test_a_failed_record_logs_an_error_naming_it_as_text_and_field(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The sync handler logs after the processor returned: the field comes from the line."""
    handler = _failing(RuntimeError("boom"))
    with caplog.at_level(logging.INFO, "serpens.sqs"):
        assert _ids(handler(sqs_event(sqs_record("x", message_id="m-err")), None)) == ["m-err"]
    assert _lines(caplog) == [(logging.ERROR, "SQS message m-err failed", "m-err")]


def test_a_filtered_event_logs_a_warning_naming_it_and_no_provider(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = _failing(FilteredEvent("expected"))
    with caplog.at_level(logging.INFO, "serpens.sqs"):
        assert _ids(handler(sqs_event(sqs_record("x", message_id="m-flt")), None)) == ["m-flt"]
    expected = "SQS message m-flt failed (filtered event): expected"
    assert _lines(caplog) == [(logging.WARNING, expected, "m-flt")]


@pytest.mark.parametrize(
    ("exc", "level", "text"),
    [
        (RuntimeError("boom"), logging.ERROR, "SQS message m-gcp failed on gcp: boom"),
        (
            FilteredEvent("expected"),
            logging.WARNING,
            "SQS message m-gcp failed on gcp (filtered event): expected",
        ),
    ],
    ids=["error", "filtered"],
)
def test_outside_aws_the_line_names_the_record_and_the_provider(
    exc: Exception,
    level: int,
    text: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The documented ``SQS message <id> failed on gcp: <error>``, then the error propagates."""
    monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
    handler = _failing(exc)
    with caplog.at_level(logging.INFO, "serpens.sqs"), pytest.raises(type(exc)):
        handler(sqs_event(sqs_record("x", message_id="m-gcp")), None)
    assert _lines(caplog) == [(level, text, "m-gcp")]


class _EndingSoon:
    """A Lambda context with one second left: less than the 1.5 s a change must spare."""

    def get_remaining_time_in_millis(self) -> int:
        return 1000


def test_retry_later_with_no_time_left_logs_the_signal_then_a_warning_naming_the_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The change is not tried (no network here): the lines say which message comes back."""
    handler = _failing(sqs.RetryLater(60))
    with caplog.at_level(logging.INFO, "serpens.sqs"):
        response = handler(sqs_event(sqs_record("x", message_id="m-late")), _EndingSoon())
    assert _ids(response) == ["m-late"]
    (signal, warning) = _lines(caplog)
    assert signal == (logging.INFO, "SQS message m-late: retry in 60s", "m-late")
    assert warning[0] == logging.WARNING
    assert "m-late" in warning[1]
    assert "no time left" in warning[1]
