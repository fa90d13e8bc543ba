"""Lambda API handlers: ``@api.handler`` and ``@api.async_handler`` share one contract.

::

    from serpens import api

    @api.handler
    def lambda_handler(request: api.Request):
        return {"user": request.path.user_id}

Events from API Gateway REST (v1), HTTP API (v2) and ALB are accepted. A handler returns
a body, ``(status, body)``, ``(status, body, headers)`` or :class:`Response`; bodies are
JSON-encoded with :class:`SchemaEncoder` (pydantic models with ``model_dump(mode="json")``).
Errors map to responses: ``HTTPError`` -> its status and message, malformed JSON or a
header that is not text -> 400, ``ValidationError`` (serpens' or pydantic's) -> 422 with
field paths, ``NotFoundError`` -> 404, ``ConflictError`` -> 409 (a generic message: its
text names database constraints), an upstream ``HTTPStatusError`` ->
502, anything else -> 500 with a generic ``{"message": ...}`` body. Every response has
CORS and ``Content-Type: application/json`` headers; every error is logged and captured in
elastic-apm when the application configured a client.

``api._build_response(result)`` and ``api._error_response(ex)``, the helpers serpens 2.9
shared between its handlers, are kept: each returns the response dict the handlers send
(``*`` CORS, REST shape).
"""

from serpens._json import SchemaEncoder
from serpens.api._errors import HTTPError
from serpens.api._handler import AsyncLambdaHandler, LambdaHandler, async_handler, handler
from serpens.api._handler import _build_response as _build_response
from serpens.api._handler import _error_response as _error_response
from serpens.api._request import AttrDict, Headers, Request
from serpens.api._response import Response

__all__ = [
    "AsyncLambdaHandler",
    "AttrDict",
    "HTTPError",
    "Headers",
    "LambdaHandler",
    "Request",
    "Response",
    "SchemaEncoder",
    "async_handler",
    "handler",
]
