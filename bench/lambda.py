# ruff: noqa: N999 - the module name is fixed by the issue
"""Per-invocation overhead of ``api.handler`` vs a plain function and Powertools.

All three answer the same API Gateway REST (v1) event: parse the JSON body, read a path
parameter, return a JSON body with CORS and Content-Type headers. Overhead is the time
above the hand-written plain function measured in the same run.

Scaling: the same three echo a body of 10, 100, 1k, 10k and 100k items (about 4.5 MB,
under Lambda's 6 MB payload limit) back in their response; the figure is the cost per
item, against Powertools' ``APIGatewayRestResolver`` (the framework baseline of the
overhead row) and against the plain function. The plain function is the fastest raw
path known: ``json.loads`` of the body, a dict, ``json.dumps`` of the response and
nothing else, no routing, no error mapping, no header handling; at a few items it
shows each framework's fixed cost, at many items all three converge on the JSON work.

Run: ``.venv/bin/python -m bench.lambda``
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench._common import Result, best_of, print_table, quick, scaled
from serpens import _lambda_loop, api

NUMBER = scaled(20_000)
SIZES = (10, 100, 1_000) if quick() else (10, 100, 1_000, 10_000, 100_000)
ITEMS_PER_FIGURE = scaled(50_000)  # items each timed round goes through, whatever the size

EVENT: dict[str, Any] = {
    "resource": "/users/{user_id}",
    "path": "/users/42",
    "httpMethod": "POST",
    "headers": {"Content-Type": "application/json", "Origin": "https://app.example.com"},
    "multiValueHeaders": {
        "Content-Type": ["application/json"],
        "Origin": ["https://app.example.com"],
    },
    "queryStringParameters": {"page": "2"},
    "multiValueQueryStringParameters": {"page": ["2"]},
    "pathParameters": {"user_id": "42"},
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/users/{user_id}",
        "httpMethod": "POST",
        "path": "/prod/users/42",
        "stage": "prod",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.0"},
    },
    "body": '{"name": "Mike", "age": 18}',
    "isBase64Encoded": False,
}

_HEADERS = {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}


def plain(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    body = json.loads(event["body"])
    payload = {"user": event["pathParameters"]["user_id"], "name": body["name"]}
    return {"statusCode": 200, "body": json.dumps(payload), "headers": dict(_HEADERS)}


@api.handler
def serpens_handler(request: api.Request) -> Any:
    return {"user": request.path.user_id, "name": request.body["name"]}


@api.async_handler
async def serpens_async_handler(request: api.Request) -> Any:
    return {"user": request.path.user_id, "name": request.body["name"]}


@api.handler
def serpens_failing(_request: api.Request) -> Any:
    raise api.HTTPError(404, "No such user")


def _powertools() -> Any:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver  # noqa: PLC0415

    app = APIGatewayRestResolver()

    @app.post("/users/<user_id>")
    def create(user_id: str) -> dict[str, Any]:
        return {"user": user_id, "name": app.current_event.json_body["name"]}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler


def _event_with_items(n: int) -> dict[str, Any]:
    items = [{"sku": f"A-{i}", "quantity": i % 7, "price": 19.99} for i in range(n)]
    return {**EVENT, "body": json.dumps({"items": items})}


def plain_echo(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    body = json.loads(event["body"])
    payload = {"user": event["pathParameters"]["user_id"], "items": body["items"]}
    return {"statusCode": 200, "body": json.dumps(payload), "headers": dict(_HEADERS)}


@api.handler
def serpens_echo(request: api.Request) -> Any:
    return {"user": request.path.user_id, "items": request.body["items"]}


def _powertools_echo() -> Any:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver  # noqa: PLC0415

    app = APIGatewayRestResolver()

    @app.post("/users/<user_id>")
    def echo(user_id: str) -> dict[str, Any]:
        return {"user": user_id, "items": app.current_event.json_body["items"]}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler


def _scaling() -> list[Result]:
    powertools = _powertools_echo()
    rows = []
    for n in SIZES:
        event = _event_with_items(n)
        expected = json.loads(plain_echo(event, None)["body"])
        for handler in (serpens_echo, powertools):
            assert json.loads(handler(event, None)["body"]) == expected
        number = max(1, ITEMS_PER_FIGURE // n)
        best = {}
        for turn in range(3):  # interleaved rounds, the best of each (CPU-bound work)
            order = [serpens_echo, powertools, plain_echo]
            for handler in order[turn:] + order[:turn]:
                took = best_of(lambda h=handler, e=event: h(e, None), repeat=1, number=number)
                best[handler] = min(best.get(handler, float("inf")), took / n * 1e6)
        rows += [
            Result(
                f"api.handler echoing {n} items, per item",
                best[serpens_echo],
                best[powertools],
                "us/item",
                "Powertools APIGatewayRestResolver",
            ),
            Result(
                f"api.handler echoing {n} items, per item",
                best[serpens_echo],
                best[plain_echo],
                "us/item",
                "plain function (fastest raw path)",
            ),
        ]
    return rows


def _per_call_us(func: Any) -> float:
    return best_of(lambda: func(EVENT, None), repeat=7, number=NUMBER) * 1e6


def _async_per_call_us() -> float:
    async def many() -> None:
        for _ in range(NUMBER):
            await serpens_async_handler.invoke(EVENT, None)

    import time  # noqa: PLC0415

    rounds = []
    for _ in range(scaled(5)):
        start = time.perf_counter()
        _lambda_loop.run(many())
        rounds.append((time.perf_counter() - start) / NUMBER)
    return sorted(rounds)[len(rounds) // 2] * 1e6


def _import_ms(statement: str) -> float:
    def once() -> None:
        subprocess.run([sys.executable, "-c", statement], check=True)

    return best_of(once, repeat=scaled(5)) * 1e3


def main() -> list[Result]:
    powertools = _powertools()
    expected = json.loads(plain(EVENT, None)["body"])
    for handler in (serpens_handler, serpens_async_handler, powertools):
        assert json.loads(handler(EVENT, None)["body"]) == expected

    plain_us = _per_call_us(plain)
    serpens_us = _per_call_us(serpens_handler)
    powertools_us = _per_call_us(powertools)
    async_us = _per_call_us(serpens_async_handler)
    async_invoke_us = _async_per_call_us()
    error_us = _per_call_us(serpens_failing)
    stdlib_ms = _import_ms("import json, asyncio, logging, dataclasses, typing")
    import_ms = _import_ms("import serpens.api")
    return [
        Result(
            "api.handler overhead per request",
            serpens_us - plain_us,
            powertools_us - plain_us,
            "us",
            "Powertools APIGatewayRestResolver",
            target=1.0,
        ),
        Result("api.handler per request", serpens_us, plain_us, "us", "plain function"),
        Result(
            "api.async_handler per Lambda call (process loop)",
            async_us,
            serpens_us,
            "us",
            "api.handler",
        ),
        Result(
            "api.async_handler.invoke on a running loop",
            async_invoke_us,
            serpens_us,
            "us",
            "api.handler",
        ),
        Result("api.handler 404 error response", error_us, serpens_us, "us", "api.handler 200"),
        Result("python -c 'import serpens.api'", import_ms, stdlib_ms, "ms", "stdlib imports"),
        *_scaling(),
    ]


if __name__ == "__main__":
    print_table(main())
