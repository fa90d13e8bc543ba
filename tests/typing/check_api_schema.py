"""Static types users see from serpens.api and serpens.schema (checked by mypy --strict)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, assert_type

from serpens import api
from serpens.schema import Schema


@dataclass
class Person(Schema):
    name: str
    age: int


assert_type(Person.load({"name": "a", "age": 1}), Person)
assert_type(Person.load([], many=True), list[Person])
assert_type(Person.loads("{}"), Person)
assert_type(Person.loads("[]", many=True), list[Person])


@api.handler
def sync_entry(request: api.Request) -> dict[str, Any]:
    assert_type(request.path, api.AttrDict)
    assert_type(request.headers, api.Headers)
    return {"user": request.path.user_id}


@api.async_handler
async def async_entry(request: api.Request) -> tuple[int, dict[str, Any]]:
    return 201, {"body": request.body}


@api.handler(cors_origins=["https://app.example.com"])
def with_cors(request: api.Request) -> api.Response:
    return api.Response(204)


assert_type(sync_entry, api.LambdaHandler)
assert_type(async_entry, api.AsyncLambdaHandler)
assert_type(with_cors, api.LambdaHandler)
assert_type(sync_entry({}, None), dict[str, Any])
assert_type(async_entry({}, None), dict[str, Any])
