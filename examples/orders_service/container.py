"""The composition root: the one place that picks in-memory fakes or production adapters.

Everything else in the service is typed against ports (``serpens.ports``) and receives
its implementations from here. ``Settings.adapters`` decides which:

=========== ======================================= =========================================
port        ``memory`` (serpens.fakes)              ``production``
=========== ======================================= =========================================
orders      ``AsyncInMemoryRepository``             ``serpens.database.AsyncRepository``
                                                    (``async_bind``, ``async_db_session``)
outbox      ``InMemoryOutbox`` (the unit of work's  ``SQLAlchemyOutbox`` (the unit of work's
            session), ``InMemoryOutboxStore``       session), ``AsyncPostgresOutboxStore``
idempotency ``InMemoryIdempotencyStore``            ``AsyncPostgresIdempotencyStore``
HTTP        ``InMemoryHttpClient`` + pricing app    ``HttpxHttpClient`` over ``init_client()``
cache       ``AsyncInMemoryCache``                  ``AsyncRedisCache.from_url(REDIS_URL)``
publisher   ``InMemoryPublisher``                   ``PubSubPublisher`` over ``AsyncPublisher``
queue       ``AsyncInMemoryQueue``                  ``AsyncSQSQueue``
=========== ======================================= =========================================

While a container is open, a task relays the outbox to the publisher
(:func:`serpens.outbox.run_relay`), woken as soon as a unit of work that staged a message
commits; closing the container stops it first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI

from orders_service.messaging import EVENT_ID, FulfilmentRequests, OrderEvents
from orders_service.models import Order
from orders_service.pricing import Catalog, PricingClient
from orders_service.service import AsyncUnitOfWork, OrderService, UnitOfWork, Work
from orders_service.settings import Settings
from orders_service.upstream import create_pricing_app
from serpens.fakes import (
    AsyncInMemoryCache,
    AsyncInMemoryQueue,
    AsyncInMemoryRepository,
    InMemoryDatabase,
    InMemoryHttpClient,
    InMemoryIdempotencyStore,
    InMemoryOutbox,
    InMemoryOutboxStore,
    InMemoryPublisher,
    InMemoryRepository,
    InMemorySession,
)
from serpens.outbox import run_relay
from serpens.ports import (
    AsyncCache,
    AsyncQueue,
    HttpClient,
    IdempotencyStore,
    Outbox,
    OutboxStore,
    Payload,
    Publisher,
    Repository,
)

__all__ = ["Container", "Memory", "bind_worker", "open_container"]


@dataclass(frozen=True, slots=True)
class Container:
    """The service's ports, wired, and the use cases built on them."""

    settings: Settings
    work: AsyncUnitOfWork
    http: HttpClient
    cache: AsyncCache
    publisher: Publisher
    queue: AsyncQueue
    outbox: OutboxStore
    idempotency: IdempotencyStore
    service: OrderService = field(init=False)

    def __post_init__(self) -> None:
        pricing = PricingClient(self.http, self.settings.pricing_url)
        service = OrderService(
            work=self.work,
            catalog=Catalog(pricing, self.cache, ttl=self.settings.product_cache_ttl),
            events=OrderEvents(self.settings.orders_topic),
            fulfilment=FulfilmentRequests(self.queue),
        )
        object.__setattr__(self, "service", service)


@dataclass(slots=True)
class Memory:
    """The in-memory fakes behind ``adapters="memory"``; tests look inside them."""

    database: InMemoryDatabase = field(default_factory=InMemoryDatabase)
    cache: AsyncInMemoryCache = field(default_factory=AsyncInMemoryCache)
    publisher: InMemoryPublisher = field(default_factory=InMemoryPublisher)
    queue: AsyncInMemoryQueue = field(default_factory=AsyncInMemoryQueue)
    idempotency: InMemoryIdempotencyStore = field(default_factory=InMemoryIdempotencyStore)
    pricing_app: FastAPI = field(default_factory=create_pricing_app)
    pricing_origin: str = "http://pricing.local"  # where the fake serves the pricing app
    outbox: InMemoryOutboxStore = field(init=False)  # the relay's side of the database's outbox

    def __post_init__(self) -> None:
        self.outbox = InMemoryOutboxStore(self.database)

    def work(self) -> AsyncUnitOfWork:
        """A unit of work on the shared in-memory database, as ``async_db_session``:
        committed on success, rolled back on error, always closed."""

        @asynccontextmanager
        async def unit_of_work() -> AsyncIterator[Work]:
            session = InMemorySession(self.database)
            orders = AsyncInMemoryRepository(Order, session=session)
            try:
                yield Work(orders, InMemoryOutbox(session))
                await orders.commit()  # the session's: the orders and the outbox's rows
            finally:
                await orders.close()  # after a commit: nothing left to discard

        return unit_of_work

    def sync_orders(self) -> UnitOfWork:
        """The synchronous orders repository for one unit of work, for the consumer."""

        @contextmanager
        def unit_of_work() -> Iterator[Repository[Order]]:
            orders = InMemoryRepository(Order, database=self.database)
            try:
                yield orders
                orders.commit()
            finally:
                orders.close()

        return unit_of_work


@asynccontextmanager
async def open_container(
    settings: Settings, *, memory: Memory | None = None
) -> AsyncIterator[Container]:
    """Wire the service for *settings* and release everything on exit.

    Production wiring is the FastAPI lifespan of the serpens docs: ``async_bind``,
    ``init_client``, one ``AsyncRedisCache`` and one ``AsyncPublisher`` per process, each closed
    on shutdown. *memory* lets a test share fakes between the app and the consumer.
    """
    wake = asyncio.Event()  # set once a unit of work that staged a message committed
    if settings.adapters == "memory":
        fakes = memory or Memory()
        container = Container(
            settings=settings,
            work=_waking(fakes.work(), wake),
            http=InMemoryHttpClient(app=fakes.pricing_app, base_url=fakes.pricing_origin),
            cache=fakes.cache,
            publisher=fakes.publisher,
            queue=fakes.queue,
            outbox=fakes.outbox,
            idempotency=fakes.idempotency,
        )
        async with _relaying(container, wake):
            yield container
        return
    async with _production(settings, wake) as container, _relaying(container, wake):
        yield container


class _Staging:
    """An :class:`~serpens.ports.Outbox` that notes whether a message was staged."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self.staged = False

    def put(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        key = self._outbox.put(topic, payload, attributes=attributes, ordering_key=ordering_key)
        self.staged = True
        return key


def _waking(open_work: AsyncUnitOfWork, wake: asyncio.Event) -> AsyncUnitOfWork:
    """*open_work*, setting *wake* after a unit of work that staged a message committed."""

    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[Work]:
        async with open_work() as work:
            outbox = _Staging(work.outbox)
            yield Work(work.orders, outbox)
        if outbox.staged:  # committed: the relay publishes it now, not at its next poll
            wake.set()

    return unit_of_work


@asynccontextmanager
async def _relaying(container: Container, wake: asyncio.Event) -> AsyncIterator[None]:
    """Relay the outbox to the publisher in a task until the block ends.

    Any number of processes may relay one outbox (claims never overlap), so every
    replica of the API runs one: each publishes its own commits at once (*wake*) and
    looks for the others' every ``outbox_poll_seconds``. A message staged when the
    block ends waits in the outbox for the next relay.
    """
    stop = asyncio.Event()
    relay = asyncio.create_task(
        run_relay(
            container.outbox,
            container.publisher,
            poll=container.settings.outbox_poll_seconds,
            stop=stop,
            wake=wake,
            key_attribute=EVENT_ID,
        ),
        name="orders outbox relay",
    )
    try:
        yield
    finally:
        stop.set()
        await relay


@asynccontextmanager
async def _production(settings: Settings, wake: asyncio.Event) -> AsyncIterator[Container]:
    # Imported here: the memory wiring (unit tests) never loads an SDK client library.
    from serpens import database  # noqa: PLC0415
    from serpens.http_client import close_client, init_client  # noqa: PLC0415
    from serpens.pubsub import AsyncPublisher  # noqa: PLC0415
    from serpens_aws import AsyncSQSQueue  # noqa: PLC0415
    from serpens_httpx import HttpxHttpClient  # noqa: PLC0415
    from serpens_pubsub import PubSubPublisher  # noqa: PLC0415
    from serpens_redis import AsyncRedisCache  # noqa: PLC0415
    from serpens_sqlalchemy import (  # noqa: PLC0415
        AsyncPostgresIdempotencyStore,
        AsyncPostgresOutboxStore,
        SQLAlchemyOutbox,
    )

    engine = database.async_bind(settings.database_url)
    shared_http = await init_client()
    cache = AsyncRedisCache.from_url(settings.redis_url, prefix="orders")  # fails open
    publisher = AsyncPublisher()

    @asynccontextmanager
    async def work() -> AsyncIterator[Work]:
        async with database.async_db_session() as session:
            yield Work(database.AsyncRepository(session, Order), SQLAlchemyOutbox(session))

    try:
        yield Container(
            settings=settings,
            work=_waking(work, wake),
            http=HttpxHttpClient(shared_http),  # serpens errors; leaves the shared client open
            cache=cache,
            publisher=PubSubPublisher(publisher),  # shares the process's publisher
            queue=AsyncSQSQueue(settings.fulfilment_queue_url),
            outbox=AsyncPostgresOutboxStore(engine),  # the outbox table: a migration's
            idempotency=AsyncPostgresIdempotencyStore(engine, "orders"),  # table made on use
        )
    finally:
        await publisher.aclose()
        await cache.aclose()
        await close_client()
        await database.async_dispose()


def bind_worker(settings: Settings, *, memory: Memory | None = None) -> UnitOfWork:
    """The consumer's unit of work; in production binds ``serpens.database`` (sync).

    The consumer runs on Lambda, where handlers are synchronous: it uses ``bind()`` and
    ``db_session()``. Call ``serpens.database.dispose()`` when a long-lived process is done.
    """
    if settings.adapters == "memory":
        return (memory or Memory()).sync_orders()

    from serpens import database  # noqa: PLC0415 - SQLAlchemy only for production wiring

    database.bind(settings.database_url)

    @contextmanager
    def orders() -> Iterator[Repository[Order]]:
        with database.db_session() as session:
            yield database.Repository(session, Order)

    return orders
