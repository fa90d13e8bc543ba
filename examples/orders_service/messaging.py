"""What the orders service tells others: order-created events and fulfilment requests."""

from __future__ import annotations

import json

from orders_service.models import Order
from serpens.ports import AsyncQueue, Publisher

__all__ = ["FulfilmentRequests", "OrderEvents"]

ORDER_CREATED = "order.created"


class OrderEvents:
    """Publishes order events to one Pub/Sub topic through the ``Publisher`` port.

    Args:
        publisher: the publisher port (Pub/Sub in production, in memory in unit tests).
        topic: the full topic id, ``projects/<project>/topics/<name>``.
    """

    def __init__(self, publisher: Publisher, topic: str) -> None:
        self._publisher = publisher
        self._topic = topic

    async def order_created(self, order: Order) -> str:
        """Publish the order-created event and return its message id.

        The order id is the ordering key, so later events of one order follow this one.
        """
        return await self._publisher.publish(
            self._topic,
            order.to_dict(),
            attributes={"event": ORDER_CREATED},
            ordering_key=f"order-{order.id}",
        )


class FulfilmentRequests:
    """Asks the warehouse to fulfil orders, one queue message per order.

    Args:
        queue: the queue port (SQS in production, in memory in unit tests).
    """

    def __init__(self, queue: AsyncQueue) -> None:
        self._queue = queue

    async def request(self, order: Order) -> str:
        """Enqueue the fulfilment of *order* and return the message id."""
        return await self._queue.send(
            json.dumps({"order_id": order.id}), attributes={"sku": order.sku}
        )
