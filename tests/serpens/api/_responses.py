"""What the ``test_handler_*`` modules share: one decorated call, and the default headers.

``respond(result)`` is the response ``api.handler`` makes of a handler returning
*result*, ``fail(exc)`` the one it makes of a handler raising *exc*; ``CORS_JSON`` is
the headers of a plain JSON answer and ``Person`` a schema handlers return and load.
"""

from __future__ import annotations

from dataclasses import dataclass

from serpens import api
from serpens.schema import Schema
from tests.serpens.api.events import rest_event

CORS_JSON = {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}


@dataclass
class Person(Schema):
    name: str
    age: int


def respond(result, event=None):
    @api.handler
    def lambda_handler(request: api.Request):
        return result

    return lambda_handler(rest_event() if event is None else event, None)


def fail(exc: Exception, event=None):
    @api.handler
    def lambda_handler(request: api.Request):
        raise exc

    return lambda_handler(rest_event() if event is None else event, None)
