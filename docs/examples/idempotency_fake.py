"""Charge a payment once per idempotency key, however often the client retries."""

import asyncio
import contextlib

from serpens.errors import InProgressError, KeyReusedError
from serpens.fakes import InMemoryIdempotencyStore
from serpens.idempotency import idempotent

store = InMemoryIdempotencyStore()  # production: RedisIdempotencyStore, PostgreSQL, DynamoDB
charges: list[int] = []


@idempotent(
    store,
    key=lambda request: request["idempotency_key"],
    fingerprint=lambda request: request["body"],  # the same key must carry the same body
    lease=30,  # longer than the slowest charge
    ttl=24 * 3600,  # retries within a day get the first answer
)
async def charge(request: dict) -> dict:
    charges.append(request["body"]["amount"])  # the side effect that must happen once
    await asyncio.sleep(0.01)
    return {"status": "charged", "amount": request["body"]["amount"]}


async def main() -> None:
    request = {"idempotency_key": "pay-123", "body": {"amount": 500}}
    first = await charge(request)
    retry = await charge(request)  # replayed from the store: nothing charged again
    assert first == retry == {"status": "charged", "amount": 500}
    assert charges == [500]

    # the same key with another body is refused, never answered with the wrong result
    with contextlib.suppress(KeyReusedError):
        await charge({"idempotency_key": "pay-123", "body": {"amount": 900}})
        raise AssertionError("a reused key must be refused")

    # two retries racing: one runs, the other is told to come back later
    racing = {"idempotency_key": "pay-456", "body": {"amount": 70}}
    results = await asyncio.gather(charge(racing), charge(racing), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["InProgressError", "dict"]
    assert any(isinstance(r, InProgressError) and r.retry_after <= 30 for r in results)
    assert charges == [500, 70]


asyncio.run(main())
