"""What the orders service tells others: order-created events and fulfilment requests."""

from __future__ import annotations

import json

from orders_service.models import Order
from serpens.ports import AsyncQueue, Outbox

__all__ = ["FulfilmentRequests", "OrderEvents"]

ORDER_CREATED = "order.created"
EVENT_ID = "event-id"
"""The attribute the relay adds to each event: its outbox key, the same on every publish."""


class OrderEvents:
    """Order events for one Pub/Sub topic, staged in the outbox of the order's unit of work.

    The relay (:func:`serpens.outbox.run_relay`, started by the composition root)
    publishes them once their unit of work committed, at least once, with the
    ``event-id`` attribute subscribers drop repeats by.

    Args:
        topic: the full topic id, ``projects/<project>/topics/<name>``.
    """

    def __init__(self, topic: str) -> None:
        self._topic = topic

    def order_created(self, outbox: Outbox, order: Order) -> str:
        """Stage the order-created event of *order* (flushed: it has its id); return its id.

        The order id is the ordering key, so later events of one order follow this one.
        """
        return outbox.put(
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
