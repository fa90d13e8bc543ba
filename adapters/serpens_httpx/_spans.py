"""The OpenTelemetry ``CLIENT`` span of one HTTP request, for every serpens httpx client.

``DeadlineAsyncClient`` (the client of ``serpens.http_client`` and the one
``HttpxHttpClient`` creates) records it in ``send``, where every request of the client
passes, whatever the method called (``get``, ``request``, ``stream``, ``send``);
``HttpxHttpClient`` over any other ``httpx.AsyncClient`` records it around its own
``send``. elastic-apm needs nothing from serpens here: its httpx instrumentation wraps
``httpx.AsyncClient.send``, which both reach, and writes its own ``traceparent``; when
it does, the OpenTelemetry context is not written too, so a request carries one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from serpens import _apm, _tracing
from serpens.errors import mask_url

__all__ = ["traced_send"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


async def traced_send(
    request: httpx.Request, send: Callable[[], Awaitable[httpx.Response]]
) -> httpx.Response:
    """Return ``await send()`` recorded as a ``CLIENT`` span of *request*.

    The span is named by the method and carries ``http.request.method``, ``url.full``
    (masked: no password, no query value), ``server.address``, ``server.port`` and
    ``http.response.status_code``; an exception escaping *send* is recorded on it. The
    trace context (``traceparent``, ``tracestate``) goes into *request*'s headers, so
    the server continues the trace, unless elastic-apm writes its own (one header, not
    two). Without an SDK provider it is a plain ``await``.
    """
    url = request.url
    attributes = {
        "http.request.method": request.method,
        "url.full": mask_url(str(url)),
        "server.address": url.host or None,
        "server.port": url.port or _DEFAULT_PORTS.get(url.scheme),
    }
    with _tracing.span(request.method, _tracing.CLIENT, attributes) as current:
        if current is not None and not _apm.writes_http_trace_context():
            _tracing.inject(request.headers)
        response = await send()
        if current is not None:  # None without an SDK provider
            current.set_attribute("http.response.status_code", response.status_code)
        return response
