"""The use cases of the orders service. Everything here is typed against ports."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass

from orders_service.messaging import FulfilmentRequests, OrderEvents
from orders_service.models import Order, OrderStatus
from orders_service.pricing import Catalog
from serpens.errors import FieldError, ValidationError
from serpens.ports import AsyncRepository, Outbox, Repository

__all__ = [
    "AsyncUnitOfWork",
    "AwaitingPaymentError",
    "OrderService",
    "PlacedOrder",
    "UnitOfWork",
    "Work",
    "fulfil",
]


@dataclass(frozen=True, slots=True)
class Work:
    """One unit of work: the orders and the outbox, in one transaction."""

    orders: AsyncRepository[Order]
    outbox: Outbox


AsyncUnitOfWork = Callable[[], AbstractAsyncContextManager[Work]]
"""Opens one unit of work: committed on success, else rolled back."""

UnitOfWork = Callable[[], AbstractContextManager[Repository[Order]]]
"""The synchronous twin of :data:`AsyncUnitOfWork`, for the Lambda consumer."""


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """What placing an order did: the stored order and the messages it sent."""

    order: Order
    price_cached: bool
    event_id: str
    fulfilment_id: str


class OrderService:
    """Places, pays and reads orders.

    Args:
        work: opens one unit of work (orders and outbox).
        catalog: product lookups (cached pricing service).
        events: stages order events in the outbox.
        fulfilment: asks the warehouse to fulfil orders.
    """

    def __init__(
        self,
        *,
        work: AsyncUnitOfWork,
        catalog: Catalog,
        events: OrderEvents,
        fulfilment: FulfilmentRequests,
    ) -> None:
        self._work = work
        self.catalog = catalog
        self._events = events
        self._fulfilment = fulfilment

    async def place(self, *, customer: str, sku: str, quantity: int, pay_now: bool) -> PlacedOrder:
        """Price and store a new order, announce it, and request its fulfilment.

        Raises:
            ValidationError: *quantity* is not positive or *customer* is empty.
            NotFoundError: the pricing service does not know *sku*.
        """
        problems: list[FieldError] = []
        if quantity < 1:
            problems.append(FieldError("quantity", "must be at least 1"))
        if not customer.strip():
            problems.append(FieldError("customer", "must not be empty"))
        if problems:
            raise ValidationError("invalid order", problems)
        lookup = await self.catalog.lookup(sku)
        price = lookup.product.unit_price_cents
        order = Order(
            customer=customer,
            sku=sku,
            quantity=quantity,
            unit_price_cents=price,
            total_cents=price * quantity,
            status=OrderStatus.PAID if pay_now else OrderStatus.AWAITING_PAYMENT,
        )
        async with self._work() as work:
            await work.orders.add(order)
            # In the order's transaction: the event commits with the order or not at all,
            # and the relay publishes it once committed, even after a crash right here.
            event_id = self._events.order_created(work.outbox, order)
        # After the commit, so the warehouse never hears of an order that was rolled back.
        # A crash right here loses the request: a sweep of paid orders not yet fulfilled
        # (or the warehouse reading the order events) is what would make up for it.
        fulfilment_id = await self._fulfilment.request(order)
        return PlacedOrder(order, lookup.cached, event_id, fulfilment_id)

    async def pay(self, order_id: int) -> Order:
        """Record the payment of an order (paying twice changes nothing).

        Raises:
            NotFoundError: there is no order *order_id*.
        """
        async with self._work() as work:
            order = await work.orders.get_or_raise(order_id)
            if order.status == OrderStatus.AWAITING_PAYMENT:
                order.status = OrderStatus.PAID
                await work.orders.flush()
            return order

    async def get(self, order_id: int) -> Order:
        """Return order *order_id*; ``NotFoundError`` when there is none."""
        async with self._work() as work:
            return await work.orders.get_or_raise(order_id)


class AwaitingPaymentError(Exception):
    """The order cannot be fulfilled before it is paid; try again later."""


def fulfil(orders: Repository[Order], order_id: int) -> Order:
    """Mark order *order_id* fulfilled; idempotent, since queues deliver at least once.

    Raises:
        NotFoundError: there is no order *order_id*.
        AwaitingPaymentError: the order is not paid yet.
    """
    order = orders.get_or_raise(order_id)
    if order.status == OrderStatus.AWAITING_PAYMENT:
        raise AwaitingPaymentError(f"order {order_id} is awaiting payment")
    if order.status != OrderStatus.FULFILLED:
        order.status = OrderStatus.FULFILLED
        orders.flush()
    return order
