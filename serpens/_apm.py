"""Elastic APM spans where serpens bypasses what elastic-apm instruments; no-ops without it.

Two kinds: a ``messaging`` span around each publish, and the ``db``/``redis`` span of a
command on the Redis caches' fast path (which skips redis-py's ``execute_command``,
the method elastic-apm's redis instrumentation wraps), shaped like the one elastic-apm
records for redis-py so the two look the same in Kibana.

serpens never imports elasticapm: a transaction can only be active in a process that
imported it, so each span looks the module up in ``sys.modules`` and reads the current
transaction (a dictionary lookup and a context variable read). Call sites on a hot path
first ask :func:`installed` once, and keep their plain code when it is false.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

__all__ = [
    "async_publish_span",
    "capture_failure",
    "configured_client",
    "installed",
    "publish_span",
    "redis_span",
    "writes_http_trace_context",
]

_NULL = contextlib.nullcontext()
_installed: bool | None = None

logger = logging.getLogger("serpens")


def installed() -> bool:
    """Return whether elasticapm is installed, without importing it (looked up once)."""
    global _installed  # noqa: PLW0603 - looked up once per process
    if _installed is None:
        try:
            _installed = importlib.util.find_spec("elasticapm") is not None
        except ModuleNotFoundError:  # an import hook that hides it
            _installed = False
    return _installed


def _elasticapm() -> Any:
    """Return the elasticapm module when imported and a transaction is active, else None."""
    apm = sys.modules.get("elasticapm")
    if apm is None or apm.get_transaction_id() is None:
        return None
    return apm


def writes_http_trace_context() -> bool:
    """Whether elastic-apm writes the ``traceparent`` of an httpx request made now.

    True with a transaction active and elastic-apm's httpcore instrumentation applied
    (``elasticapm.instrument()``): it appends its own header at the connection, so an
    OpenTelemetry header written before would make two, which W3C Trace Context makes
    invalid. The caller then leaves the header to elastic-apm (the OpenTelemetry span is
    still recorded).
    """
    if _elasticapm() is None:
        return False
    connection = sys.modules.get("httpcore._async.connection")
    method = getattr(getattr(connection, "AsyncHTTPConnection", None), "handle_async_request", None)
    wrapper = getattr(method, "_self_wrapper", None)  # wrapt's; elastic-apm's is a partial
    owner = getattr(getattr(wrapper, "func", wrapper), "__self__", None)
    return type(owner).__module__.startswith("elasticapm.")


def _span_options(topic: str) -> dict[str, Any]:
    name = topic.rsplit("/", 1)[-1]
    return {
        "name": f"PubSub PUBLISH to {name}",
        "span_type": "messaging",
        "span_subtype": "pubsub",
        "span_action": "send",
        "labels": {"queue_name": topic},
        "extra": {"message": {"queue": {"name": topic}}},
        "leaf": True,
    }


@contextlib.contextmanager
def publish_span(topic: str) -> Iterator[None]:
    """Record the enclosed publish as a ``messaging`` span labelled with *topic*."""
    apm = _elasticapm()
    if apm is None:
        yield
        return
    with apm.capture_span(**_span_options(topic)):
        yield


@contextlib.asynccontextmanager
async def async_publish_span(topic: str) -> AsyncIterator[None]:
    """Async twin of :func:`publish_span`."""
    apm = _elasticapm()
    if apm is None:
        yield
        return
    from elasticapm.contrib.asyncio.traces import async_capture_span  # noqa: PLC0415

    async with async_capture_span(**_span_options(topic)):
        yield


def redis_span(
    command: str, address: str | None, port: int | None, *, sync: bool | None
) -> contextlib.AbstractContextManager[Any]:
    """Return a context manager recording the enclosed Redis *command* as elastic-apm would.

    The span is the one elastic-apm's redis instrumentation records around redis-py's
    ``execute_command``: named by the command (never the key), type ``db``, subtype
    ``redis``, action ``query``, a leaf, with ``destination.address`` and
    ``destination.port`` (elastic-apm fills in ``destination.service`` and
    ``service.target``). *sync* is ``False`` for ``redis.asyncio`` (as elastic-apm marks
    its async spans) and ``None`` for the sync client. Without an active transaction it
    is one shared ``nullcontext``.
    """
    apm = _elasticapm()
    if apm is None:
        return _NULL
    return apm.capture_span(  # type: ignore[no-any-return]
        command,
        span_type="db",
        span_subtype="redis",
        span_action="query",
        extra={"destination": {"address": address, "port": port}},  # a new dict: spans fill it
        leaf=True,
        sync=sync,
    )


def configured_client() -> tuple[Any, Any] | None:
    """Elasticapm and the client the application configured, else ``None``.

    Looked up in ``sys.modules``: serpens never imports elasticapm itself.
    """
    apm = sys.modules.get("elasticapm")
    if apm is None:
        return None
    client = apm.get_client()
    return None if client is None else (apm, client)


def capture_failure(
    exc: BaseException, *, handled: bool = False, http_status: int | None = None
) -> None:
    """Send *exc* to elastic-apm and mark the current transaction failed, as serpens 2.9 did.

    Only when the application configured a client (elasticapm is never imported here).
    An unhandled failure sets the transaction's result and outcome unless the application
    set them already: ``"failure"`` for an SQS record, ``"HTTP 5xx"`` and the status for a
    Lambda API answer (*http_status*), whose response context gets the status code too.
    A failing APM client is logged and never changes what the handler answers.
    """
    try:
        configured = configured_client()
        if configured is None:
            return
        apm, client = configured
        client.capture_exception(exc_info=(type(exc), exc, exc.__traceback__), handled=handled)
        if handled or apm.get_transaction_id() is None:
            return
        if http_status is None:
            apm.set_transaction_result("failure", override=False)
            apm.set_transaction_outcome(outcome="failure", override=False)
        else:
            apm.set_transaction_result(f"HTTP {http_status // 100}xx", override=False)
            apm.set_transaction_outcome(http_status_code=http_status, override=False)
            apm.set_context({"status_code": http_status}, "response")
    except Exception:  # observability must not change the answer
        logger.warning("elastic-apm failed to capture an exception", exc_info=True)
