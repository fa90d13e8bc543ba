"""Defaults and plain bodies of ``api.Response`` and ``api.HTTPError`` (no network).

``Response()`` is a 200 with an empty body; a handler returning ``None`` or an object
encoded as JSON (a dataclass here) answers text, never flagged base64; ``HTTPError``
takes any status from 400 to 599 (both ends) and its text is its message. The lazily
parsed ``Request`` attributes keep their docstrings, which ``help()`` and the API docs
show. An event that is not a mapping answers 400 ``Unsupported event``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import pytest

from serpens import api
from tests.serpens.api.events import rest_event

CORS_JSON = {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}


@dataclass
class Order:
    id: int


def test_a_bare_response_is_an_empty_200() -> None:
    assert api.Response().to_dict() == {"statusCode": 200, "body": "", "headers": CORS_JSON}


@pytest.mark.parametrize(("result", "body"), [(None, ""), (Order(7), '{"id": 7}')])
def test_none_and_encoded_objects_answer_text_not_base64(result: Any, body: str) -> None:
    response = api.handler(lambda request: result)(rest_event(), None)
    assert response == {"statusCode": 200, "body": body, "headers": CORS_JSON}


@pytest.mark.parametrize("status", [400, 599])
def test_an_http_error_takes_both_ends_of_its_range(status: int) -> None:
    error = api.HTTPError(status, "Gone for now")
    assert error.status == status
    assert str(error) == "Gone for now"


@pytest.mark.parametrize("status", [399, 600])
def test_an_http_error_outside_its_range_is_refused(status: int) -> None:
    with pytest.raises(ValueError, match=str(status)):
        api.HTTPError(status, "nope")


@pytest.mark.parametrize(
    ("name", "words"),
    [("method", "HTTP method"), ("headers", "case-insensitive"), ("path", "Path parameters")],
)
def test_lazy_request_attributes_keep_their_docstrings(name: str, words: str) -> None:
    assert words in (getattr(api.Request, name).__doc__ or "")


def test_an_event_that_is_not_a_mapping_is_an_unsupported_event_400() -> None:
    response = api.handler(lambda request: {})(cast("Any", ["not", "an", "event"]), None)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "Unsupported event"}
