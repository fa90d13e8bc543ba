"""What ``@api.async_handler`` accepts, and what it leaves of its own machinery in a handler.

serpens 2.9's ``async_handler`` awaited whatever the decorated callable returned, so a sync
decorator around an ``async def`` (an auth check), a callable object with an async
``__call__`` and a ``functools.partial`` kept working; only a plain ``def`` is refused.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from serpens import _lambda_loop, api
from tests.serpens.api.events import http_event

Handler = Callable[[api.Request], Awaitable[Any]]


def _require_header(func: Handler) -> Handler:
    """A sync decorator, as services wrap handlers: it answers 401 without awaiting."""

    @functools.wraps(func)
    def wrapper(request: api.Request) -> Awaitable[Any]:
        if "x-token" not in request.headers:
            raise api.HTTPError(401, "Unauthorized")
        return func(request)

    return wrapper


class _Endpoint:
    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    async def __call__(self, request: api.Request) -> dict[str, str]:
        await asyncio.sleep(0)
        return {"greeting": self.greeting}


async def _greet(greeting: str, request: api.Request) -> dict[str, str]:
    return {"greeting": greeting}


def _body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def test_a_sync_decorator_around_an_async_handler_is_accepted() -> None:
    @api.async_handler
    @_require_header
    async def lambda_handler(request: api.Request) -> dict[str, bool]:
        await asyncio.sleep(0)
        return {"ok": True}

    assert _body(lambda_handler(http_event(headers={"x-token": "t"}), None)) == {"ok": True}
    assert lambda_handler(http_event(), None)["statusCode"] == 401


@pytest.mark.parametrize(
    "func",
    [
        pytest.param(_Endpoint("hi"), id="object-with-async-call"),
        pytest.param(functools.partial(_greet, "hi"), id="partial"),
    ],
)
def test_callables_giving_a_coroutine_are_accepted(func: Handler) -> None:
    lambda_handler = api.async_handler(func)
    assert _body(lambda_handler(http_event(), None)) == {"greeting": "hi"}


def test_a_sync_wrapper_without_wraps_is_refused_with_the_way_out() -> None:
    async def handler(request: api.Request) -> None: ...

    def wrapper(request: api.Request) -> Awaitable[None]:
        return handler(request)

    with pytest.raises(TypeError, match=r"wrapper is not async: .*api\.handler.*functools\.wraps"):
        api.async_handler(wrapper)


def test_a_callable_giving_no_awaitable_is_a_500_naming_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Sync:
        def __call__(self, request: api.Request) -> dict[str, bool]:
            return {"ok": True}

    lambda_handler = api.async_handler(Sync())  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="serpens.api"):
        response = lambda_handler(http_event(), None)
    assert response["statusCode"] == 500
    (failure,) = [r for r in caplog.records if r.name == "serpens.api"]
    assert failure.exc_info is not None
    assert "returned dict, not an awaitable" in str(failure.exc_info[1])


def test_the_handler_runs_outside_any_exception_of_serpens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[object] = []

    @api.async_handler
    async def lambda_handler(request: api.Request) -> None:
        seen.append(sys.exc_info()[1])
        raise ValueError("bad")

    with caplog.at_level(logging.ERROR, logger="serpens.api"):
        assert lambda_handler(http_event(), None)["statusCode"] == 500
    assert seen == [None]
    (failure,) = [r for r in caplog.records if r.name == "serpens.api"]
    assert failure.exc_info is not None
    error = failure.exc_info[1]
    assert isinstance(error, ValueError)
    assert error.__context__ is None
    assert "During handling" not in caplog.text


def test_two_threads_invoke_one_handler_at_once() -> None:
    inside = threading.Barrier(2, timeout=10)

    @api.async_handler
    async def lambda_handler(request: api.Request) -> dict[str, int]:
        # both invocations are inside the handler at the same time before either answers
        await asyncio.get_running_loop().run_in_executor(None, inside.wait)
        return {"loop": id(asyncio.get_running_loop())}

    answers: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(lambda_handler(http_event(), None)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert [a["statusCode"] for a in answers] == [200, 200]
    assert len({_body(a)["loop"] for a in answers}) == 2  # a loop per thread


def test_a_threads_loop_is_closed_when_the_thread_ends() -> None:
    loops: list[asyncio.AbstractEventLoop] = []
    thread = threading.Thread(target=lambda: loops.append(_lambda_loop.get_loop()))
    thread.start()
    thread.join(10)
    gc.collect()
    (loop,) = loops
    assert loop.is_closed()
    assert _lambda_loop.get_loop() is not loop
