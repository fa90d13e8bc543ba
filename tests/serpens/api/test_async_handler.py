from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from serpens import _lambda_loop, api
from serpens.errors import NotFoundError
from serpens.schema import Schema
from serpens.testing import serve_asgi
from tests.serpens.api.events import alb_event, http_event, rest_event


@dataclass
class Person(Schema):
    name: str
    age: int


async def _echo_path_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app answering ``{"path": ...}``; uvicorn keeps connections alive."""
    if scope["type"] != "http":
        return
    payload = json.dumps({"path": scope["path"]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})


@pytest.fixture(name="server_url")
def _server_url() -> Iterator[str]:
    with serve_asgi(_echo_path_app, lifespan="off") as url:
        yield url


class TestAsyncEntryPoint:
    def test_the_decorated_function_is_a_sync_entry_point(self) -> None:
        @api.async_handler
        async def lambda_handler(request: api.Request):
            await asyncio.sleep(0)
            return {"user": request.path.user_id}

        response = lambda_handler(rest_event(), None)
        assert response["statusCode"] == 200
        assert json.loads(response["body"]) == {"user": "42"}

    def test_cold_start_client_keeps_working_on_warm_invocations(self, server_url: str) -> None:
        # Created at "cold start" (module import, no running loop), bound on first use.
        client = httpx.AsyncClient(base_url=server_url)
        signals: asyncio.Queue[str] = asyncio.Queue()

        @api.async_handler
        async def lambda_handler(request: api.Request):
            await signals.put(request.path.user_id)
            response = await client.get(f"/users/{await signals.get()}")
            return response.json()

        try:
            first = lambda_handler(rest_event(path_params={"user_id": "1"}), None)
            second = lambda_handler(rest_event(path_params={"user_id": "2"}), None)
            third = lambda_handler(rest_event(path_params={"user_id": "3"}), None)
        finally:
            _lambda_loop.run(client.aclose())
        assert [json.loads(r["body"]) for r in (first, second, third)] == [
            {"path": "/users/1"},
            {"path": "/users/2"},
            {"path": "/users/3"},
        ]
        assert {r["statusCode"] for r in (first, second, third)} == {200}

    async def test_invoke_awaits_on_a_running_loop(self) -> None:
        @api.async_handler
        async def lambda_handler(request: api.Request):
            return {"ok": True}

        response = await lambda_handler.invoke(http_event(), None)
        assert response["body"] == '{"ok": true}'

    async def test_awaiting_the_entry_point_in_a_running_loop_runs_on_that_loop(self) -> None:
        """serpens 2.9's tests do ``response = await handler(event, {})``."""

        @api.async_handler
        async def lambda_handler(request: api.Request):
            return 201, {"loop": id(asyncio.get_running_loop()), "user": request.path.user_id}

        response = await lambda_handler(rest_event(), {})
        assert response["statusCode"] == 201
        assert json.loads(response["body"]) == {
            "loop": id(asyncio.get_running_loop()),
            "user": "42",
        }

    async def test_a_thread_without_a_running_loop_gets_the_response_dict(self) -> None:
        @api.async_handler
        async def lambda_handler(request: api.Request):
            return {"ok": True}

        response = await asyncio.to_thread(lambda_handler, http_event(), None)
        assert response["body"] == '{"ok": true}'

    def test_decorating_a_plain_function_is_a_type_error(self) -> None:
        def handler(request: api.Request) -> None: ...

        with pytest.raises(TypeError, match=r"api\.handler"):
            api.async_handler(handler)  # type: ignore[arg-type]


# --- sync and async handlers answer the same input with the same bytes ----------------

Behaviour = Callable[[api.Request], Any]


def _echo(request: api.Request) -> Any:
    return {
        "method": request.method,
        "path": dict(request.path),
        "query": dict(request.query),
        "body": request.body,
        "price": Decimal("19.99"),
    }


def _raise(exc: Exception) -> Behaviour:
    def behaviour(request: api.Request) -> Any:
        raise exc

    return behaviour


BEHAVIOURS: dict[str, Behaviour] = {
    "echo": _echo,
    "pair": lambda r: (201, Person("Mike", 18)),
    "triple": lambda r: (202, [1, 2], {"Location": "/x"}),
    "response": lambda r: api.Response(204),
    "text": lambda r: "plain",
    "bytes": lambda r: b"\x00\x01",
    "schema": lambda r: Person.load(r.body),
    "not-found": _raise(NotFoundError("User id=42")),
    "http-error": _raise(api.HTTPError(403, "Forbidden", code="forbidden")),
    "crash": _raise(RuntimeError("boom")),
    "bad-body": lambda r: {"x": object()},
}

EVENTS: dict[str, dict[str, Any]] = {
    "rest": rest_event(),
    "rest-invalid": rest_event(body='{"name": 3}'),
    "rest-malformed": rest_event(body="{oops"),
    "http": http_event(),
    "http-b64": http_event(body='{"name": "Ana", "age": 30}', base64_body=True),
    "alb": alb_event(),
    "alb-multi": alb_event(multi_value=True),
    "preflight": rest_event(
        method="OPTIONS",
        body=None,
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"},
    ),
}


def _twins(behaviour: Callable[[api.Request], Any]) -> tuple[Any, Any]:
    """A sync and an async Lambda handler running *behaviour*."""

    @api.handler
    def sync_handler(request: api.Request) -> Any:
        return behaviour(request)

    @api.async_handler
    async def async_handler(request: api.Request) -> Any:
        return behaviour(request)

    return sync_handler, async_handler


@pytest.mark.parametrize("event_name", EVENTS)
@pytest.mark.parametrize("behaviour_name", BEHAVIOURS)
def test_sync_and_async_handlers_give_byte_identical_responses(
    event_name: str, behaviour_name: str
) -> None:
    sync_handler, async_handler = _twins(BEHAVIOURS[behaviour_name])
    event = EVENTS[event_name]
    sync_response = sync_handler(event, None)
    async_response = async_handler(event, None)
    assert json.dumps(sync_response) == json.dumps(async_response)
    assert sync_response["statusCode"] >= 200


@pytest.mark.parametrize("event_name", EVENTS)
@pytest.mark.parametrize("behaviour_name", BEHAVIOURS)
async def test_awaiting_the_call_in_a_running_loop_gives_the_sync_response(
    event_name: str, behaviour_name: str
) -> None:
    sync_handler, async_handler = _twins(BEHAVIOURS[behaviour_name])
    event = EVENTS[event_name]
    assert json.dumps(await async_handler(event, None)) == json.dumps(sync_handler(event, None))
