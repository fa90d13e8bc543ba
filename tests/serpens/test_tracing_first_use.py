"""``serpens._tracing`` on first use in a process, without an SDK provider, and the log
fields a caller passes itself; with the real SDK and an in-memory exporter."""

from __future__ import annotations

import logging

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from serpens import _tracing
from tests.serpens._tracing_sdk import _sdk_provider, _spans  # noqa: F401 - fixtures


def _first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the process's view of opentelemetry, as before its first span."""
    monkeypatch.setattr(_tracing, "_state", _tracing._UNKNOWN)


def test_spans_are_recorded_under_the_serpens_instrumentation_scope(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    _first_use(monkeypatch)
    assert _tracing.recording() is True
    with _tracing.span("scoped"):
        pass
    (recorded,) = spans.get_finished_spans()
    assert recorded.instrumentation_scope is not None
    assert recorded.instrumentation_scope.name == "serpens"


def test_without_an_sdk_provider_nothing_is_recorded(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)  # the API's proxy provider again
    _first_use(monkeypatch)
    assert _tracing.recording() is False
    assert _tracing.span("unrecorded") is _tracing._NULL
    carrier: dict[str, str] = {}
    assert _tracing.inject(carrier) == {}
    assert spans.get_finished_spans() == ()


def test_without_opentelemetry_installed_there_is_no_glue_and_spans_are_null(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_tracing, "_installed", False)
    _first_use(monkeypatch)
    assert _tracing._otel() is None
    assert _tracing.span("absent") is _tracing._NULL
    assert _tracing.current_trace_id() is None
    assert spans.get_finished_spans() == ()


def test_enabled_finds_the_installed_api_on_its_first_look(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_tracing, "_installed", None)
    assert _tracing.enabled() is True
    assert _tracing._installed is True


def test_each_helper_works_as_the_first_call_of_the_process(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    _first_use(monkeypatch)
    carrier: dict[str, str] = {}
    assert _tracing.inject(carrier) is carrier
    _first_use(monkeypatch)
    response = {"statusCode": 200}
    assert _tracing.record_status(response) is response
    _first_use(monkeypatch)
    assert _tracing.current_trace_id() is None
    with _tracing.span("outer"):
        _first_use(monkeypatch)
        trace_id = _tracing.current_trace_id()
    (recorded,) = spans.get_finished_spans()
    assert recorded.context is not None
    assert trace_id == f"{recorded.context.trace_id:032x}"


def _record() -> logging.LogRecord:
    return logging.LogRecord("serpens.test", logging.INFO, __file__, 1, "msg", None, None)


def _fields(record: logging.LogRecord) -> tuple[object, object, object]:
    fields = record.__dict__
    return fields["request_id"], fields["message_id"], fields["trace_id"]


def test_fields_passed_with_extra_win_over_the_context_and_the_span(
    spans: InMemorySpanExporter,
) -> None:
    given = _record()
    given.__dict__.update(request_id="mine", message_id="my-message", trace_id="my-trace")
    plain = _record()
    with (
        _tracing.span("logged"),
        _tracing.log_context(request_id="ctx-request", message_id="ctx-message"),
    ):
        assert _tracing.LOG_FIELDS.filter(given) is True
        assert _tracing.LOG_FIELDS.filter(plain) is True
    assert _fields(given) == (
        "mine",
        "my-message",
        "my-trace",
    )
    (recorded,) = spans.get_finished_spans()
    assert recorded.context is not None
    assert _fields(plain) == (
        "ctx-request",
        "ctx-message",
        f"{recorded.context.trace_id:032x}",
    )
