"""Unit tests of the use cases, on serpens' in-memory fakes (no server, no network)."""

from __future__ import annotations

import json

import pytest

from orders_service.container import Memory, open_container
from orders_service.models import Order, OrderStatus
from orders_service.service import AwaitingPaymentError, fulfil
from orders_service.settings import Settings
from serpens.errors import NotFoundError, ValidationError
from serpens.fakes import InMemoryRepository


class TestPlace:
    async def test_prices_stores_announces_and_requests_fulfilment(self, memory: Memory) -> None:
        async with open_container(Settings(), memory=memory) as container:
            placed = await container.service.place(
                customer="ana", sku="tea", quantity=2, pay_now=True
            )
            stored = await container.service.get(placed.order.id)

        assert (stored.total_cents, stored.status) == (900, OrderStatus.PAID)
        (event,) = memory.publisher.published
        assert event.message_id == placed.event_id
        assert event.json() == stored.to_dict()
        assert event.attributes == {"event": "order.created"}
        assert event.ordering_key == f"order-{stored.id}"
        assert memory.queue.pending_bodies() == [json.dumps({"order_id": stored.id})]

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
        assert memory.publisher.published == []
        assert memory.queue.pending_bodies() == []

    async def test_unknown_product_is_not_found_and_not_cached(self, memory: Memory) -> None:
        async with open_container(Settings(), memory=memory) as container:
            with pytest.raises(NotFoundError, match="sku='nope'"):
                await container.service.place(customer="a", sku="nope", quantity=1, pay_now=True)

        assert memory.cache.keys() == []
        assert memory.publisher.published == []


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
