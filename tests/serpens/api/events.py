"""Lambda proxy events shaped like the real ones (API Gateway REST v1, HTTP API v2, ALB)."""

from __future__ import annotations

import base64
from typing import Any

ORIGIN = "https://app.example.com"


def rest_event(
    *,
    method: str = "POST",
    path: str = "/users/42",
    body: Any = '{"name": "Mike", "age": 18}',
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    path_params: dict[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    headers = (
        {"Content-Type": "application/json", "Origin": ORIGIN, "X-Api-Key": "k1"}
        if headers is None
        else headers
    )
    query = {"page": ["1", "2"], "q": ["a b"]} if query is None else query
    if base64_body and isinstance(body, str | bytes):
        raw = body.encode() if isinstance(body, str) else body
        body = base64.b64encode(raw).decode()
    return {
        "resource": "/users/{user_id}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"user_id": "42"} if path_params is None else path_params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/users/{user_id}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.0", "accountId": None},
            "authorizer": {"claims": {"sub": "user-1", "email": "mike@example.com"}},
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def http_event(
    *,
    method: str = "POST",
    path: str = "/users/42",
    body: Any = '{"name": "Mike", "age": 18}',
    headers: dict[str, str] | None = None,
    raw_query: str = "page=1&page=2&q=a+b",
    path_params: dict[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    headers = (
        {"content-type": "application/json", "origin": ORIGIN, "x-api-key": "k1"}
        if headers is None
        else headers
    )
    if base64_body and isinstance(body, str | bytes):
        raw = body.encode() if isinstance(body, str) else body
        body = base64.b64encode(raw).decode()
    return {
        "version": "2.0",
        "routeKey": f"{method} /users/{{user_id}}",
        "rawPath": path,
        "rawQueryString": raw_query,
        "cookies": ["session=abc"],
        "headers": headers,
        "queryStringParameters": {"page": "1,2", "q": "a b"} if raw_query else None,
        "pathParameters": {"user_id": "42"} if path_params is None else path_params,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "authorizer": {"jwt": {"claims": {"sub": "user-1"}, "scopes": None}},
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": f"{method} /users/{{user_id}}",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def alb_event(
    *,
    method: str = "POST",
    path: str = "/users/42",
    body: Any = '{"name": "Mike", "age": 18}',
    headers: dict[str, str] | None = None,
    multi_value: bool = False,
    base64_body: bool = False,
) -> dict[str, Any]:
    headers = (
        {"content-type": "application/json", "origin": ORIGIN, "x-api-key": "k1"}
        if headers is None
        else headers
    )
    if base64_body and isinstance(body, str | bytes):
        raw = body.encode() if isinstance(body, str) else body
        body = base64.b64encode(raw).decode()
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1"}
        },
        "httpMethod": method,
        "path": path,
        "body": body,
        "isBase64Encoded": base64_body,
    }
    if multi_value:
        event["multiValueQueryStringParameters"] = {"page": ["1", "2"], "q": ["a%20b"]}
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    else:
        event["queryStringParameters"] = {"page": "2", "q": "a%20b"}
        event["headers"] = headers
    return event
