"""``api.handler`` and ``api.async_handler``: Lambda entry points over one response contract."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, cast, overload

from serpens import _tracing
from serpens._pydantic import as_validation_error
from serpens.api._request import Request
from serpens.api._response import (
    Cors,
    build_response,
    error_response,
    is_preflight,
    preflight_response,
)

__all__ = ["AsyncLambdaHandler", "LambdaHandler", "async_handler", "handler"]

SyncFunc = Callable[[Request], Any]
AsyncFunc = Callable[[Request], Awaitable[Any]]


class LambdaHandler:
    """The Lambda entry point ``@api.handler`` returns: ``handler(event, context)``."""

    def __init__(self, func: SyncFunc, cors: Cors) -> None:
        if inspect.iscoroutinefunction(func):
            raise TypeError(f"{_name(func)} is async: decorate it with @api.async_handler")
        self._func = func
        self._cors = cors
        functools.update_wrapper(self, func)

    def __call__(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        """Handle one invocation and return the proxy response; never raises ``Exception``."""
        if _tracing.recording():
            with _server_span(event, context) as done:
                return done(self._handle(event, context))
        return self._handle(event, context)

    def _handle(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        request = token = None
        try:
            request = Request(event, context)
            # serpens' log records name the request, as the 500 body does, traced or not
            token = _tracing.tag_log(request_id=request.request_id)
            if is_preflight(request, self._cors):
                return preflight_response(request, self._cors)
            result = self._func(request)
            return build_response(result, request, self._cors)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error response
            return error_response(as_validation_error(exc), request, self._cors)
        finally:
            if token is not None:
                _tracing.untag_log(token)


def _name(func: object) -> str:
    return getattr(func, "__qualname__", None) or repr(func)


def _plainly_sync(func: object) -> bool:
    """Whether *func* is a ``def`` function that cannot give an awaitable.

    serpens 2.9 awaited whatever the handler returned, so a callable object with an async
    ``__call__``, a ``functools.partial`` of a coroutine function and a sync decorator
    (``functools.wraps``) around one stay accepted; only a plain ``def`` is refused.
    """
    return (
        inspect.isfunction(func)
        and not inspect.iscoroutinefunction(func)
        and not inspect.iscoroutinefunction(inspect.unwrap(func))
    )


def _awaitable(func: AsyncFunc, result: object) -> Awaitable[Any]:
    """*result* of calling *func*, checked to be awaitable (no coroutine of its own)."""
    if not inspect.isawaitable(result):
        raise TypeError(f"{_name(func)} returned {type(result).__name__}, not an awaitable")
    return result


class AsyncLambdaHandler:
    """The entry point ``@api.async_handler`` returns.

    Calling it is synchronous, as the Lambda runtime expects: it runs the coroutine on the
    process-wide loop of :mod:`serpens._lambda_loop`, so clients created on that loop at
    cold start keep working on warm invocations. Called from a thread whose event loop is
    running (an async test, an ASGI bridge), it returns an awaitable instead, as serpens
    2.9's coroutine function did: ``response = await handler(event, context)``.
    """

    def __init__(self, func: AsyncFunc, cors: Cors) -> None:
        if _plainly_sync(func):
            raise TypeError(
                f"{_name(func)} is not async: decorate it with @api.handler (a sync "
                "decorator around an async handler keeps it async with functools.wraps)"
            )
        self._func = func
        self._cors = cors
        functools.update_wrapper(self, func)

    def __call__(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        """Handle one invocation on the process-wide loop and return the proxy response.

        From a thread whose event loop is running, return a coroutine that handles the
        invocation on that loop and gives the same dict (await it). The annotation names
        the Lambda runtime's case; typed async code awaits :meth:`invoke`, which is the
        same coroutine under a precise type.
        """
        # Imported here so a sync-only Lambda never pays for importing asyncio at cold start.
        from serpens import _lambda_loop  # noqa: PLC0415

        if not _lambda_loop.loop_running():  # the Lambda runtime's call
            return _lambda_loop.run(self.invoke(event, context))
        # serpens 2.9 returned a coroutine function, and its tests await the call.
        return cast("dict[str, Any]", self.invoke(event, context))

    async def invoke(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        """Handle one invocation on the running loop; the same response as ``__call__``."""
        if _tracing.recording():
            with _server_span(event, context) as done:
                return done(await self._handle(event, context))
        return await self._handle(event, context)

    async def _handle(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        request = token = None
        try:
            request = Request(event, context)
            token = _tracing.tag_log(request_id=request.request_id)
            if is_preflight(request, self._cors):
                return preflight_response(request, self._cors)
            result = await _awaitable(self._func, self._func(request))
            return build_response(result, request, self._cors)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error response
            return error_response(as_validation_error(exc), request, self._cors)
        finally:
            if token is not None:
                _tracing.untag_log(token)


@contextlib.contextmanager
def _server_span(
    event: Mapping[str, Any], context: Any
) -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    """A ``SERVER`` span continuing the trace in the request headers, and the log context.

    Yields a function that records the response's status on the span and returns it.
    """
    given: object = event  # typed as a Mapping, but Lambda can hand over anything
    event = given if isinstance(given, Mapping) else {}  # a malformed one: a span and a 400
    request_context = event.get("requestContext")
    request_context = request_context if isinstance(request_context, Mapping) else {}
    http = request_context.get("http")
    method = event.get("httpMethod") or (http.get("method") if isinstance(http, Mapping) else None)
    route = event.get("resource") or str(event.get("routeKey") or "").partition(" ")[2] or None
    request_id = request_context.get("requestId") or getattr(context, "aws_request_id", None)
    headers = event.get("headers")
    attributes = {
        "http.request.method": method if isinstance(method, str) else None,
        "http.route": route if isinstance(route, str) else None,
        "faas.invocation_id": request_id if isinstance(request_id, str) else None,
    }
    name = " ".join(str(part) for part in (attributes["http.request.method"], route) if part)
    with (
        _tracing.consumer_span(
            name or "lambda invoke",
            headers if isinstance(headers, Mapping) else {},
            kind=_tracing.SERVER,
            attributes=attributes,
        ),
        _tracing.log_context(request_id=attributes["faas.invocation_id"]),
    ):
        yield _tracing.record_status


CorsOrigins = str | Sequence[str] | None


@overload
def handler(func: SyncFunc, /) -> LambdaHandler: ...
@overload
def handler(*, cors_origins: CorsOrigins = "*") -> Callable[[SyncFunc], LambdaHandler]: ...
def handler(
    func: SyncFunc | None = None, /, *, cors_origins: CorsOrigins = "*"
) -> LambdaHandler | Callable[[SyncFunc], LambdaHandler]:
    """Decorate ``def f(request: api.Request)`` into a Lambda API entry point.

    Args:
        func: the handler; it may return a body (dict, list, Schema, dataclass, pydantic
            model, str, bytes, ...), ``(status, body)``, ``(status, body, headers)`` or an
            :class:`~serpens.api.Response`.
        cors_origins: ``"*"`` (default), an allow-list of origins echoed back with
            ``Vary: Origin``, or ``None`` for no CORS header.
    """
    cors = Cors(cors_origins)
    if func is None:
        return lambda f: LambdaHandler(f, cors)
    return LambdaHandler(func, cors)


@overload
def async_handler(func: AsyncFunc, /) -> AsyncLambdaHandler: ...
@overload
def async_handler(
    *, cors_origins: CorsOrigins = "*"
) -> Callable[[AsyncFunc], AsyncLambdaHandler]: ...
def async_handler(
    func: AsyncFunc | None = None, /, *, cors_origins: CorsOrigins = "*"
) -> AsyncLambdaHandler | Callable[[AsyncFunc], AsyncLambdaHandler]:
    """Decorate ``async def f(request: api.Request)``; same contract as :func:`handler`.

    The result is a *synchronous* Lambda entry point (see :class:`AsyncLambdaHandler`).
    """
    cors = Cors(cors_origins)
    if func is None:
        return lambda f: AsyncLambdaHandler(f, cors)
    return AsyncLambdaHandler(func, cors)


_ANY_ORIGIN = Cors("*")


def _build_response(result: Any) -> dict[str, Any]:
    """The response both handlers send for *result*: serpens 2.9's ``api._build_response``.

    With the default ``*`` CORS policy and no request (so the REST shape). Kept, with its
    2.9 signature, for code and tests that called it; re-exported by :mod:`serpens.api`.

    Raises:
        SerializationError: the body has no JSON form.
        ValueError: the status is not a valid HTTP status.
        TypeError: a tuple starts with a status but is not ``(status, body[, headers])``.
    """
    return build_response(result, None, _ANY_ORIGIN)


def _error_response(ex: Exception) -> dict[str, Any]:
    """The response both handlers send for *ex*: serpens 2.9's ``api._error_response``.

    With the default ``*`` CORS policy and no request; *ex* is logged and captured in
    elastic-apm like any handler error. Never raises ``Exception``. Kept, with its 2.9
    signature, for code and tests that called it; re-exported by :mod:`serpens.api`.
    """
    return error_response(as_validation_error(ex), None, _ANY_ORIGIN)
