"""Unit-test code that publishes: hand it the in-memory fake instead of Pub/Sub."""

import asyncio

from serpens.fakes import InMemoryPublisher
from serpens.ports import Publisher

ORDERS_TOPIC = "projects/my-project/topics/orders"


async def place_order(publisher: Publisher, order_id: int) -> str:
    """Application code depends on the port, not on google-cloud-pubsub."""
    return await publisher.publish(
        ORDERS_TOPIC,
        {"order_id": order_id, "status": "created"},
        attributes={"event": "order.created"},
        ordering_key=f"order-{order_id}",
    )


async def main() -> None:
    fake = InMemoryPublisher()
    message_id = await place_order(fake, 42)

    (message,) = fake.published
    assert message.message_id == message_id
    assert message.data == b'{"order_id":42,"status":"created"}'  # compact JSON
    assert message.json() == {"order_id": 42, "status": "created"}
    assert message.attributes == {"event": "order.created"}
    assert message.ordering_key == "order-42"


asyncio.run(main())
