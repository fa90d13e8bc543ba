"""One shared ``httpx.AsyncClient`` per process, wired through an app's lifespan.

A new ``AsyncClient`` per request opens and tears down TCP (and TLS) connections on
every call; one client per process keeps its connection pool warm: await
:func:`init_client` in the app's lifespan startup, :func:`close_client` at shutdown,
and take the client in handlers with ``Depends(get_client)`` (see ``docs/http.md``).

Semantics:

- The timeout is ``HTTP_CLIENT_TIMEOUT`` (seconds, default 30), read when
  :func:`init_client` runs; an explicit ``timeout`` (positional or keyword, not
  ``None``) wins. Every other keyword
  passes through to ``httpx.AsyncClient``.
- :func:`init_client` is idempotent for the same options; calling it again with
  different options (or after ``HTTP_CLIENT_TIMEOUT`` changed) raises
  :class:`~serpens.errors.ConfigurationError` instead of silently keeping the old
  client: call :func:`close_client` first.
- :func:`get_client` before :func:`init_client` raises ``NotInitializedError`` (a
  ``ConfigurationError`` and, as in serpens 2.9, a ``RuntimeError``).
- Every request has a **total deadline** equal to its timeout (the largest part of
  ``timeout=``, per request or the client's): httpx's timeouts bound each read, so a
  server trickling a byte every half second would otherwise hold a ``timeout=1``
  request forever. Past the deadline the request is cancelled and
  :class:`HttpDeadlineError` is raised, both an
  ``httpx.TimeoutException`` and a :class:`~serpens.errors.BackendTimeoutError`.
  With ``stream=True`` the deadline covers the response headers only.
- With opentelemetry installed and an SDK ``TracerProvider`` set, every request (``get``,
  ``post``, ``request``, ``stream``, ``send``) is a ``CLIENT`` span named by its method,
  and its trace context (``traceparent``) goes in the request headers, exactly as for
  ``serpens_httpx.HttpxHttpClient`` (see ``docs/observability.md``). elastic-apm's
  httpx instrumentation records its ``external``/``http`` span and ``traceparent`` as
  for any ``httpx.AsyncClient``.
- httpx logs every request at INFO on the ``httpx`` logger, URL included; serpens
  masks its password and secret query values there (``http://svc:***@host/?token=***``,
  see :func:`serpens.errors.mask_url`) for every httpx client once it built one.
- The client's connection pool belongs to the event loop that created it. When that
  loop has been closed (``asyncio.run`` per invocation, test loops), :func:`get_client`
  builds a fresh client with the same options on the running loop instead of handing
  out one whose connections are dead.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from serpens._config import env_float
from serpens._extras import require
from serpens.errors import ConfigurationError, NotInitializedError

require("httpx", "http")

import httpx  # noqa: E402 - after the extra check so a missing SDK names `serpens[http]`

from serpens_httpx._deadline import DeadlineAsyncClient, HttpDeadlineError  # noqa: E402
from serpens_httpx._logging import mask_request_logs  # noqa: E402

__all__ = [
    "HTTP_CLIENT_TIMEOUT",
    "HttpDeadlineError",
    "close_client",
    "get_client",
    "init_client",
]

HTTP_CLIENT_TIMEOUT = "HTTP_CLIENT_TIMEOUT"
"""Environment variable: timeout of the shared client in seconds (default 30)."""

_DEFAULT_TIMEOUT = 30.0
_logger = logging.getLogger(__name__)


class _State:
    """The process's client, the options it was built with and the loop it belongs to."""

    client: httpx.AsyncClient | None = None
    options: dict[str, Any] | None = None
    loop: asyncio.AbstractEventLoop | None = None


_state = _State()


def _timeout_from_env() -> float:
    timeout = env_float(HTTP_CLIENT_TIMEOUT, _DEFAULT_TIMEOUT)
    if timeout <= 0:
        raise ConfigurationError(f"{HTTP_CLIENT_TIMEOUT} must be a number of seconds > 0")
    return timeout


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _build(options: dict[str, Any]) -> httpx.AsyncClient:
    mask_request_logs()
    client = DeadlineAsyncClient(**options)
    _state.client, _state.options, _state.loop = client, options, _running_loop()
    return client


async def init_client(
    timeout: float | httpx.Timeout | None = None, **kwargs: Any
) -> httpx.AsyncClient:
    """Create the process's shared ``httpx.AsyncClient`` and return it.

    The client bounds every request by a total deadline equal to its timeout and traces
    it (see the module docstring); it is an ``httpx.AsyncClient`` subclass.

    Args:
        timeout: seconds (or an ``httpx.Timeout``), positional or keyword as in serpens
            2.9; ``None`` (the default) means ``HTTP_CLIENT_TIMEOUT`` seconds (30 when
            unset), as in 2.9.
        **kwargs: passed to ``httpx.AsyncClient``.

    Raises:
        ConfigurationError: ``HTTP_CLIENT_TIMEOUT`` is not a positive number, or a client
            already exists with different options.
    """
    options = dict(kwargs)
    options["timeout"] = _timeout_from_env() if timeout is None else timeout
    stale = _state.loop is not None and _state.loop.is_closed()
    if _state.client is not None and not _state.client.is_closed and not stale:
        if options == _state.options:
            return _state.client
        raise ConfigurationError(
            "the shared HTTP client is already initialised with different options; "
            "call close_client() before init_client() with new ones"
        )
    return _build(options)


def get_client() -> httpx.AsyncClient:
    """Return the shared client; usable directly or as a FastAPI ``Depends`` dependency.

    Raises:
        NotInitializedError: :func:`init_client` has not been called (or the client was
            closed with :func:`close_client`); also a ``RuntimeError``.
    """
    client, options = _state.client, _state.options
    if client is None or options is None or client.is_closed:
        raise NotInitializedError(
            "the shared HTTP client is not initialised: await init_client() first "
            "(for example in the FastAPI lifespan)"
        )
    loop = _state.loop
    if loop is not None and loop.is_closed():
        _logger.debug("event loop of the shared HTTP client was closed; building a new client")
        return _build(options)
    return client


async def close_client() -> None:
    """Close the shared client and forget it; a no-op when there is none.

    A client whose event loop is already closed is dropped without awaiting (its
    connections died with the loop).
    """
    client, loop = _state.client, _state.loop
    _state.client, _state.options, _state.loop = None, None, None
    if client is None or client.is_closed:
        return
    if loop is None or not loop.is_closed():
        await client.aclose()
