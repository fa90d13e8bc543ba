"""What :class:`~serpens.api.Request` checks of a Lambda event before reading it.

Which integration sent it (REST v1, HTTP API v2 or ALB), whether its maps are objects
and its headers strings (else a 400, never a failure inside an accessor), and the
multi-value maps as lists. Kept apart from the lazy accessors of the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import unquote_plus

from serpens.api._errors import HTTPError

__all__ = ["Source"]

Source = Literal["rest", "http", "alb"]


def _detect(event: Mapping[str, Any]) -> Source:
    if event.get("version") == "2.0":
        return "http"
    context = event.get("requestContext")
    if (type(context) is dict or isinstance(context, Mapping)) and "elb" in context:
        return "alb"
    return "rest"


def _multi(values: Mapping[str, Any] | None, *, unquote: bool = False) -> dict[str, list[str]]:
    if not values:
        return {}
    if unquote:
        return {unquote_plus(k): [unquote_plus(v) for v in vs] for k, vs in values.items()}
    return {k: list(vs) for k, vs in values.items()}


# Event keys whose value, when present, must be an object: anything else is not an
# API Gateway/ALB event and is answered 400 instead of failing inside an accessor.
_OBJECT_KEYS = (
    "requestContext",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
)


def _check_shape(event: Mapping[str, Any]) -> None:
    for key in _OBJECT_KEYS:
        value = event.get(key)
        if value is not None and type(value) is not dict and not isinstance(value, Mapping):
            raise HTTPError(400, "Unsupported event")


_MALFORMED_HEADERS = "Unsupported event: header names and values must be strings"


def _text_headers(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """*values* when every name and value is a string, else a 400.

    API Gateway and ALB always send header values as strings; anything else (a number, a
    list) is not their event, and guessing a string for it could change what a check
    (an allow-listed Origin, a cookie) decides.
    """
    for name, value in values.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise HTTPError(400, _MALFORMED_HEADERS)
    return values


def _text_multi_headers(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """*values* when every name is a string and every value a list of strings, else a 400."""
    for name, value in values.items():
        if not isinstance(name, str) or type(value) is not list:
            raise HTTPError(400, _MALFORMED_HEADERS)
        for item in value:
            if not isinstance(item, str):
                raise HTTPError(400, _MALFORMED_HEADERS)
    return values
