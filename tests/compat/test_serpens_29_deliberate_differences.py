"""What changed on purpose since serpens 2.9.0, pinned so it stays changed.

Each difference is listed, with its reason, in docs/migrating-from-2.9.md; the other
modules here pin what stays as 2.9.0 had it.
"""

from __future__ import annotations

import uuid

from serpens import api
from tests.compat._lambda_events import _event


class TestDeliberateDifferences:
    """Changed on purpose (docs/migrating-from-2.9.md); pinned so they stay changed."""

    def test_responses_default_to_a_json_content_type(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            return {"ok": True}

        assert lambda_handler(_event(), None)["headers"]["Content-Type"] == "application/json"

    async def test_acached_keeps_the_first_argument_of_plain_functions(self) -> None:
        from serpens.cache import acached, clear_acache  # noqa: PLC0415

        bucket = f"compat-{uuid.uuid4().hex[:6]}"

        @acached(bucket, ttl_seconds=60)
        async def price(sku: str) -> str:
            return f"price of {sku}"

        try:
            assert await price("a") == "price of a"
            assert await price("b") == "price of b"  # 2.9.0 answered "price of a"
        finally:
            clear_acache(bucket)
