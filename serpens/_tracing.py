"""OpenTelemetry spans and trace-context propagation; a no-op when opentelemetry is absent.

serpens never requires OpenTelemetry: ``pip install 'serpens[otel]'`` adds the API
package, and an application that installs an SDK ``TracerProvider`` sees the spans.
Without the package, :func:`span` returns one shared ``nullcontext`` and the inject and
extract helpers return at once, so the call sites cost a function call and a global read.
With the API but no SDK provider set, serpens skips its spans too (they would be
non-recording); trace context is then not forwarded either.
opentelemetry is looked up once per process (``importlib.util.find_spec``) and imported
only on the first span, never at ``import serpens``.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import importlib.util
import logging
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

__all__ = [
    "CLIENT",
    "CONSUMER",
    "INTERNAL",
    "LOG_FIELDS",
    "PRODUCER",
    "SERVER",
    "LogFields",
    "consumer_span",
    "current_trace_id",
    "enabled",
    "inject",
    "log_context",
    "record_status",
    "recording",
    "span",
    "tag_log",
    "untag_log",
]

INTERNAL = "INTERNAL"
CLIENT = "CLIENT"
SERVER = "SERVER"
PRODUCER = "PRODUCER"
CONSUMER = "CONSUMER"

_NULL = contextlib.nullcontext()
_UNKNOWN = object()
_state: Any = _UNKNOWN  # _UNKNOWN, None (absent) or the opentelemetry glue object


class _Otel:
    """The few opentelemetry objects serpens uses, imported once."""

    def __init__(self) -> None:
        self.trace = importlib.import_module("opentelemetry.trace")
        self.propagate = importlib.import_module("opentelemetry.propagate")
        self.tracer = self.trace.get_tracer("serpens")
        self.kinds = {name: getattr(self.trace.SpanKind, name) for name in _KIND_NAMES}
        self._noop = (self.trace.ProxyTracerProvider, self.trace.NoOpTracerProvider)
        self._sdk = False

    def active(self) -> bool:
        """Whether a real provider (an SDK) is set: without one every span is a no-op.

        The API only lets a provider be set once, so a positive answer is kept.
        """
        if not self._sdk:
            self._sdk = not isinstance(self.trace.get_tracer_provider(), self._noop)
        return self._sdk


_KIND_NAMES = (INTERNAL, CLIENT, SERVER, PRODUCER, CONSUMER)


_installed: bool | None = None


def _otel() -> _Otel | None:
    """Return the opentelemetry glue when the API package is installed, else None."""
    global _state  # noqa: PLW0603 - imported once per process, on the first span
    if _state is _UNKNOWN:
        _state = _Otel() if enabled() else None
    return _state  # type: ignore[no-any-return]


def enabled() -> bool:
    """Return whether opentelemetry is installed, without importing it.

    Call sites check this once (at construction or decoration) and keep their plain
    code path when it is false, so a process without opentelemetry pays nothing.
    """
    global _installed  # noqa: PLW0603 - looked up once per process
    if _installed is None:
        try:
            _installed = importlib.util.find_spec("opentelemetry.trace") is not None
        except ModuleNotFoundError:  # no ``opentelemetry`` namespace package at all
            _installed = False
    return _installed


def recording() -> bool:
    """Return whether spans are recorded: opentelemetry installed and an SDK provider set."""
    otel = _state if _state is not _UNKNOWN else _otel()
    return otel is not None and otel.active()


def span(
    name: str, kind: str = INTERNAL, attributes: Mapping[str, Any] | None = None
) -> contextlib.AbstractContextManager[Any]:
    """Return a context manager recording the enclosed block as the current span.

    Works in sync and async code alike (the current span is a context variable). An
    exception escaping the block is recorded on the span, which is marked as an error.

    Args:
        name: the span name, low-cardinality (``"SELECT users"``, ``"orders publish"``).
        kind: one of :data:`INTERNAL`, :data:`CLIENT`, :data:`SERVER`, :data:`PRODUCER`,
            :data:`CONSUMER`.
        attributes: semantic-convention attributes; never secrets (mask URLs first).
    """
    otel = _state if _state is not _UNKNOWN else _otel()
    if otel is None or not otel.active():
        return _NULL
    return otel.tracer.start_as_current_span(  # type: ignore[no-any-return]
        name, kind=otel.kinds[kind], attributes=_clean(attributes)
    )


def _clean(attributes: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Drop ``None`` values: OpenTelemetry attributes must be str, bool, int or float."""
    if attributes is None:
        return None
    return {key: value for key, value in attributes.items() if value is not None}


def inject(carrier: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Write the current trace context (``traceparent``...) into *carrier* and return it."""
    otel = _state if _state is not _UNKNOWN else _otel()
    if otel is not None and otel.active():
        otel.propagate.inject(carrier)
    return carrier


@contextlib.contextmanager
def consumer_span(
    name: str,
    carrier: Mapping[str, Any],
    kind: str = CONSUMER,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[None]:
    """Record the enclosed block as a span continuing the trace found in *carrier*.

    *carrier* holds the incoming message attributes or HTTP headers; values that are not
    strings are ignored. Without opentelemetry this is a plain ``yield``.
    """
    otel = _state if _state is not _UNKNOWN else _otel()
    if otel is None or not otel.active():
        yield
        return
    strings = {str(key).lower(): value for key, value in carrier.items() if isinstance(value, str)}
    parent = otel.propagate.extract(strings)
    with otel.tracer.start_as_current_span(
        name, context=parent, kind=otel.kinds[kind], attributes=_clean(attributes)
    ):
        yield


def record_status(response: dict[str, Any]) -> dict[str, Any]:
    """Set ``http.response.status_code`` of the current span from a proxy *response*."""
    otel = _state if _state is not _UNKNOWN else _otel()
    status = response.get("statusCode")
    if otel is not None and isinstance(status, int):
        otel.trace.get_current_span().set_attribute("http.response.status_code", status)
    return response


def current_trace_id() -> str | None:
    """Return the current trace id as 32 hex digits, or None without a recording span."""
    otel = _state if _state is not _UNKNOWN else _otel()
    if otel is None:
        return None
    context = otel.trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}"


_LOG_CONTEXT: contextvars.ContextVar[tuple[str | None, str | None]] = contextvars.ContextVar(
    "serpens_log_context", default=(None, None)
)


@contextlib.contextmanager
def log_context(*, request_id: str | None = None, message_id: str | None = None) -> Iterator[None]:
    """Tag serpens' log records emitted inside the block with *request_id* / *message_id*."""
    token = _LOG_CONTEXT.set((request_id, message_id))
    try:
        yield
    finally:
        _LOG_CONTEXT.reset(token)


def tag_log(
    *, request_id: str | None = None, message_id: str | None = None
) -> contextvars.Token[tuple[str | None, str | None]]:
    """:func:`log_context` without the context manager, for per-record hot paths.

    Return the token to hand to :func:`untag_log` in a ``finally``.
    """
    return _LOG_CONTEXT.set((request_id, message_id))


def log_tag_setter() -> Callable[
    [tuple[str | None, str | None]], contextvars.Token[tuple[str | None, str | None]]
]:
    """The ``set`` of the log tags ``(request_id, message_id)``, for per-record hot loops.

    A worker that runs records one after another sets the tags per record and hands the
    first token to :func:`untag_log` once, when it ends.
    """
    return _LOG_CONTEXT.set


def untag_log(token: contextvars.Token[tuple[str | None, str | None]]) -> None:
    """End what :func:`tag_log` started."""
    _LOG_CONTEXT.reset(token)


class LogFields(logging.Filter):
    """Add ``request_id``, ``message_id`` and ``trace_id`` to serpens' own log records.

    Attached to every ``serpens.*`` logger. A field passed with ``extra=`` wins; a field
    not known is ``None``, so a format string or a JSON formatter can always name it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Set the fields on *record* and keep it."""
        request_id, message_id = _LOG_CONTEXT.get()
        fields = record.__dict__
        if fields.get("request_id") is None:
            fields["request_id"] = request_id
        if fields.get("message_id") is None:
            fields["message_id"] = message_id
        if fields.get("trace_id") is None:
            fields["trace_id"] = current_trace_id()
        return True


LOG_FIELDS = LogFields()
"""The one filter instance serpens' loggers share."""
