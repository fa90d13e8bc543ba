"""Unit tests of the use cases, on serpens' in-memory fakes (no server, no network)."""

from __future__ import annotations

import asyncio
import json

import pytest

from orders_service.container import Memory, open_container
from orders_service.messaging import OrderEvents
from orders_service.models import Order, OrderStatus
from orders_service.service import AwaitingPaymentError, fulfil
from orders_service.settings import Settings
from serpens.errors import BackendUnavailableError, NotFoundError, ValidationError
from serpens.fakes import InMemoryRepository


async def _published(memory: Memory, count: int) -> None:
    """Return once *count* events were published (the container's relay task runs apart)."""
    while len(memory.publisher.published) < count:  # noqa: ASYNC110 - the fake has no event
        await asyncio.sleep(0.01)


class TestPlace:
    async def test_prices_stores_announces_and_requests_fulfilment(self, memory: Memory) -> None:
        async with open_container(Settings(), memory=memory) as container:
            placed = await container.service.place(
                customer="ana", sku="tea", quantity=2, pay_now=True
            )
            stored = await container.service.get(placed.order.id)
            await _published(memory, 1)

        assert (stored.total_cents, stored.status) == (900, OrderStatus.PAID)
        assert memory.queue.pending_bodies() == [json.dumps({"order_id": stored.id})]
        (event,) = memory.publisher.published  # relayed from the outbox
        assert event.json() == stored.to_dict()
        assert event.attributes == {"event": "order.created", "event-id": placed.event_id}
        assert event.ordering_key == f"order-{stored.id}"
        assert await memory.outbox.pending() == 0

    async def test_the_commit_wakes_the_relay(self, memory: Memory) -> None:
        async with open_container(Settings(outbox_poll_seconds=60), memory=memory) as container:
            await asyncio.sleep(0.05)  # the relay's first round: nothing yet, a minute's wait
            await container.service.place(customer="ana", sku="tea", quantity=1, pay_now=True)
            async with asyncio.timeout(5):  # woken: it does not wait out its minute
                await _published(memory, 1)
            await container.service.pay(1)  # a unit of work that staged nothing
            await asyncio.sleep(0.05)

        assert len(memory.publisher.published) == 1

    async def test_the_relay_finds_what_another_process_committed(self, memory: Memory) -> None:
        events = OrderEvents(Settings().orders_topic)
        order = Order(customer="a", sku="tea", quantity=1, unit_price_cents=1, total_cents=1)
        async with open_container(Settings(outbox_poll_seconds=0.01), memory=memory):
            async with memory.work()() as work:  # not the container's: nobody wakes the relay
                await work.orders.add(order)
                event_id = events.order_created(work.outbox, order)
            async with asyncio.timeout(5):
                await _published(memory, 1)  # its next poll

        assert memory.publisher.published[0].attributes["event-id"] == event_id

    async def test_a_unit_of_work_rolled_back_drops_its_event(self, memory: Memory) -> None:
        events = OrderEvents(Settings().orders_topic)
        order = Order(customer="a", sku="tea", quantity=1, unit_price_cents=1, total_cents=1)

        async def place_then_fail() -> None:
            async with memory.work()() as work:
                await work.orders.add(order)
                events.order_created(work.outbox, order)
                raise RuntimeError("after staging")

        with pytest.raises(RuntimeError, match="after staging"):
            await place_then_fail()

        assert await memory.outbox.pending() == 0
        assert InMemoryRepository(Order, database=memory.database).count() == 0

    async def test_the_database_down_fails_the_order_and_stages_nothing(
        self, memory: Memory
    ) -> None:
        async with open_container(Settings(), memory=memory) as container:
            with memory.database.outage(), pytest.raises(BackendUnavailableError):
                await container.service.place(customer="ana", sku="tea", quantity=1, pay_now=True)

        assert await memory.outbox.pending() == 0
        assert memory.queue.pending_bodies() == []

    async def test_second_order_of_a_product_is_priced_from_the_cache(self, memory: Memory) -> None:
        async with open_container(Settings(), memory=memory) as container:
            place = container.service.place
            first = await place(customer="a", sku="mug", quantity=1, pay_now=True)
            second = await place(customer="b", sku="mug", quantity=1, pay_now=True)

        assert (first.price_cached, second.price_cached) == (False, True)
        assert memory.pricing_app.state.lookups == ["mug"]
        assert memory.cache.keys() == ["product:mug"]

    async def test_bad_input_names_every_field_and_stores_nothing(self, memory: Memory) -> None:
        async with open_container(Settings(), memory=memory) as container:
            with pytest.raises(ValidationError) as caught:
                await container.service.place(customer=" ", sku="tea", quantity=0, pay_now=True)

        assert [e.path for e in caught.value.errors] == ["quantity", "customer"]
        assert await memory.outbox.pending() == 0
        assert memory.queue.pending_bodies() == []

    async def test_unknown_product_is_not_found_and_not_cached(self, memory: Memory) -> None:
        async with open_container(Settings(), memory=memory) as container:
            with pytest.raises(NotFoundError, match="sku='nope'"):
                await container.service.place(customer="a", sku="nope", quantity=1, pay_now=True)

        assert memory.cache.keys() == []
        assert await memory.outbox.pending() == 0


class TestPay:
    async def test_pay_moves_an_unpaid_order_to_paid_once(self, memory: Memory) -> None:
        async with open_container(Settings(), memory=memory) as container:
            placed = await container.service.place(
                customer="c", sku="tea", quantity=1, pay_now=False
            )
            assert placed.order.status == OrderStatus.AWAITING_PAYMENT
            paid = await container.service.pay(placed.order.id)
            again = await container.service.pay(placed.order.id)

        assert paid.status == again.status == OrderStatus.PAID

    async def test_paying_a_missing_order_is_not_found(self, memory: Memory) -> None:
        async with open_container(Settings(), memory=memory) as container:
            with pytest.raises(NotFoundError):
                await container.service.pay(404)


class TestFulfil:
    async def test_unpaid_order_waits_and_paid_order_is_fulfilled_once(
        self, memory: Memory
    ) -> None:
        async with open_container(Settings(), memory=memory) as container:
            unpaid = await container.service.place(
                customer="c", sku="tea", quantity=1, pay_now=False
            )
        order_id = unpaid.order.id

        with pytest.raises(AwaitingPaymentError):
            fulfil(InMemoryRepository(Order, database=memory.database), order_id)
        async with open_container(Settings(), memory=memory) as container:
            await container.service.pay(order_id)
        with memory.sync_orders()() as orders:
            assert fulfil(orders, order_id).status == OrderStatus.FULFILLED
        with memory.sync_orders()() as orders:
            assert fulfil(orders, order_id).status == OrderStatus.FULFILLED  # redelivery: no-op
