"""A total deadline per HTTP request, on top of httpx's per-operation timeouts.

httpx's timeouts bound each connect, write and read: a server that trickles one byte per
0.5 s keeps a ``timeout=1`` request alive for as long as it likes. Here the whole request
(connection, upload, headers and body) must finish within its timeout, measured on the
event loop's clock, or it is cancelled and :class:`HttpDeadlineError` is raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx

from serpens import _tracing
from serpens.errors import BackendTimeoutError, mask_url
from serpens_httpx._spans import traced_send

__all__ = ["DeadlineAsyncClient", "HttpDeadlineError", "run_within", "total_seconds"]

_T = TypeVar("_T")


class HttpDeadlineError(httpx.TimeoutException, BackendTimeoutError):
    """A request outlived its total deadline.

    Both an ``httpx.TimeoutException`` (code written against httpx catches it) and a
    :class:`~serpens.errors.BackendTimeoutError` (code written against serpens does).
    """


def total_seconds(
    timeout: httpx.Timeout | Mapping[str, float | None] | float | None,
) -> float | None:
    """The total deadline for *timeout*: the largest of its parts, ``None`` for no deadline.

    A part left ``None`` (unbounded reads, for instance) means the caller asked for no
    bound, so there is no total deadline either.
    """
    if timeout is None:
        return None
    if isinstance(timeout, int | float):
        return float(timeout)
    parts = timeout.as_dict() if isinstance(timeout, httpx.Timeout) else dict(timeout)
    values = list(parts.values())
    if not values or any(value is None for value in values):
        return None
    return max(float(value) for value in values if value is not None)


async def run_within(call: Awaitable[_T], seconds: float | None, where: Callable[[], str]) -> _T:
    """Await *call*, cancelling it after *seconds* (``None``: no deadline).

    Raises:
        HttpDeadlineError: the deadline passed; the message names *where* (masked by the
            caller) and the deadline.
    """
    if seconds is None:
        return await call
    try:
        async with asyncio.timeout(seconds) as scope:
            return await call
    except TimeoutError as exc:
        if not scope.expired():
            raise
        raise HttpDeadlineError(f"{where()} exceeded its total deadline of {seconds:g} s") from exc


class DeadlineAsyncClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose every request has a total deadline and a span.

    The deadline of a request is its timeout (the largest part of ``timeout=``, per
    request or the client's); the whole exchange (connect, upload, headers and, unless
    ``stream=True``, the body) must end within it. Per-operation timeouts still apply.
    With ``stream=True`` the deadline covers the response headers only.

    With opentelemetry installed and an SDK provider set, every request is a ``CLIENT``
    span whose trace context goes in the request headers (see
    :func:`serpens_httpx._spans.traced_send`); the span covers what the deadline covers.
    """

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        """Send *request* like ``httpx.AsyncClient.send``, bounded by its total deadline."""
        if _tracing.enabled():
            return await traced_send(request, lambda: self._send_within(request, kwargs))
        return await self._send_within(request, kwargs)

    async def _send_within(self, request: httpx.Request, kwargs: dict[str, Any]) -> httpx.Response:
        seconds = total_seconds(request.extensions.get("timeout"))
        return await run_within(
            super().send(request, **kwargs),
            seconds,
            lambda: f"{request.method} {mask_url(str(request.url))}",
        )
