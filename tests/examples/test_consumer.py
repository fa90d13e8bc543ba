"""Unit tests of the Lambda SQS consumer, on the in-memory queue and repository."""

from __future__ import annotations

import json

from orders_service.consumer import make_handler
from orders_service.container import Memory, open_container
from orders_service.models import OrderStatus
from orders_service.settings import Settings
from tests.examples.delivery import deliver


async def test_paid_orders_are_fulfilled_and_their_messages_deleted(memory: Memory) -> None:
    async with open_container(Settings(), memory=memory) as container:
        for customer in ("ana", "ben"):
            await container.service.place(customer=customer, sku="tea", quantity=1, pay_now=True)
    handler = make_handler(memory.sync_orders(), retry_seconds=60)

    failed = await deliver(memory.queue, handler)

    assert failed == []
    assert memory.queue.pending_bodies() == []
    async with open_container(Settings(), memory=memory) as container:
        statuses = [(await container.service.get(i)).status for i in (1, 2)]
    assert statuses == [OrderStatus.FULFILLED, OrderStatus.FULFILLED]


async def test_a_bad_record_fails_alone(memory: Memory) -> None:
    async with open_container(Settings(), memory=memory) as container:
        await container.service.place(customer="ana", sku="tea", quantity=1, pay_now=True)
    await memory.queue.send(json.dumps({"order_id": 404}))  # no such order
    await memory.queue.send("not json")
    handler = make_handler(memory.sync_orders(), retry_seconds=60)

    failed = await deliver(memory.queue, handler)

    assert len(failed) == 2
    assert memory.queue.pending_bodies() == ['{"order_id": 404}', "not json"]
