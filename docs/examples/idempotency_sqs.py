"""An SQS processor that charges once per order, however often SQS delivers the message."""

from serpens import sqs
from serpens.fakes import InMemoryIdempotencyStore
from serpens.idempotency import idempotent
from serpens.testing.sqs_events import sqs_event, sqs_record

store = InMemoryIdempotencyStore()  # production: a Redis, PostgreSQL or DynamoDB store
charged: list[str] = []


@idempotent(store, key=lambda order: f"charge:{order['id']}", fingerprint=lambda order: order)
async def charge(order: dict) -> dict:
    charged.append(order["id"])
    return {"charged": order["amount"]}


@sqs.async_handler(max_concurrency=10)
async def lambda_handler(record: sqs.Record) -> None:
    # SQS delivers at least once: a redelivery, or the same order sent twice, replays.
    # A delivery while the first still runs raises InProgressError: the record is
    # reported as failed and SQS delivers it again after its visibility timeout.
    await charge(record.body)


order = '{"id": "o-1", "amount": 500}'
assert lambda_handler(sqs_event(sqs_record(order, message_id="m-1")), None) is None
assert lambda_handler(sqs_event(sqs_record(order, message_id="m-1")), None) is None  # redelivered
assert lambda_handler(sqs_event(sqs_record(order, message_id="m-2")), None) is None  # sent twice
assert charged == ["o-1"]
