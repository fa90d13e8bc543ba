"""The API Gateway event the 2.9.0 Lambda API call sites are run with.

Shared by ``test_serpens_29_lambda_api`` and ``test_serpens_29_deliberate_differences``.
"""

from __future__ import annotations

from typing import Any


def _event(body: str = '{"name": "Mike"}') -> dict[str, Any]:
    return {
        "httpMethod": "POST",
        "path": "/users/42",
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": {"page": "2"},
        "pathParameters": {"user_id": "42"},
        "requestContext": {
            "authorizer": {"claims": {"sub": "u1"}},
            "identity": {"sourceIp": "10.0.0.1"},
        },
        "body": body,
    }
