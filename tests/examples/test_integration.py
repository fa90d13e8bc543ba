"""The service on its production adapters, against real servers on 127.0.0.1.

PostgreSQL (asyncpg for the API, psycopg2 for the consumer), Redis, a Pub/Sub emulator,
moto's SQS and the pricing stand-in served by uvicorn: the same scenario as
``examples/run.py``, checked in detail.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import httpx
import pytest
import redis
import sqlalchemy as sa
from fastapi import FastAPI
from google.cloud import pubsub_v1

from orders_service.app import create_app
from orders_service.consumer import make_handler
from orders_service.container import bind_worker
from orders_service.settings import Settings
from serpens import database
from serpens.database import Base
from serpens.outbox import outbox_metadata
from serpens.testing import serve_asgi
from serpens.testing.sqs_events import poll_once

PROJECT = "orders-tests"


@pytest.fixture(name="settings")
def _settings(
    orders_db_url: str,
    redis_url: str,
    pubsub_emulator_host: str,
    moto_endpoint: str,
    pricing_app: FastAPI,
) -> Iterator[Settings]:
    """Production settings over a fresh database, topic, subscription and queue."""
    run = uuid.uuid4().hex[:8]
    topic = f"projects/{PROJECT}/topics/order-events-{run}"
    pubsub_v1.PublisherClient().create_topic(name=topic)
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"fulfilment-{run}")["QueueUrl"]
    with serve_asgi(pricing_app) as pricing_url:
        yield Settings.from_env(
            {
                "DATABASE_URL": orders_db_url,
                "REDIS_URL": redis_url,
                "PRICING_URL": pricing_url,
                "ORDERS_TOPIC": topic,
                "FULFILMENT_QUEUE_URL": queue_url,
                "PAYMENT_RETRY_SECONDS": "0",
                "OUTBOX_POLL_SECONDS": "60",  # the commits wake the relay: no poll needed
            }
        )
    sqs.delete_queue(QueueUrl=queue_url)


@pytest.fixture(name="subscriber")
def _subscriber(settings: Settings) -> Iterator[tuple[Any, str]]:
    subscription = settings.orders_topic.replace("/topics/", "/subscriptions/") + "-audit"
    with pubsub_v1.SubscriberClient() as client:
        client.create_subscription(name=subscription, topic=settings.orders_topic)
        yield client, subscription
        client.delete_subscription(subscription=subscription)


@pytest.fixture(name="worker")
def _worker(settings: Settings) -> Iterator[Any]:
    """The consumer's Lambda handler; its sync engine also creates the tables."""
    orders = bind_worker(settings)
    Base.metadata.create_all(database.get_engine())
    outbox_metadata.create_all(database.get_engine())  # what the service's migration does
    yield make_handler(orders, retry_seconds=settings.payment_retry_seconds)
    database.dispose()


@pytest.fixture(name="api")
async def _api(settings: Settings, worker: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
            yield client


async def _statuses(api: httpx.AsyncClient, *ids: int) -> list[str]:
    return [(await api.get(f"/orders/{i}")).json()["status"] for i in ids]


async def _pull(subscriber: tuple[Any, str], count: int) -> list[Any]:
    """Pull *count* messages; in a thread, so the API's relay task runs meanwhile."""
    return await asyncio.to_thread(_pull_blocking, subscriber, count)


def _pull_blocking(subscriber: tuple[Any, str], count: int) -> list[Any]:
    client, subscription = subscriber
    received: list[Any] = []
    for _ in range(10):
        if len(received) >= count:
            break
        answer = client.pull(subscription=subscription, max_messages=10, timeout=5)
        received.extend(answer.received_messages)
    if received:
        client.acknowledge(subscription=subscription, ack_ids=[m.ack_id for m in received])
    return [m.message for m in received]


async def test_orders_flow_through_every_production_adapter(
    api: httpx.AsyncClient,
    worker: Any,
    settings: Settings,
    subscriber: tuple[Any, str],
    pricing_app: FastAPI,
) -> None:
    paid = await api.post("/orders", json={"customer": "ana", "sku": "tea", "quantity": 2})
    later = await api.post(
        "/orders", json={"customer": "cleo", "sku": "tea", "quantity": 1, "pay_now": False}
    )
    assert (paid.status_code, later.status_code) == (201, 201)
    assert [paid.json()["price_cached"], later.json()["price_cached"]] == [False, True]
    assert pricing_app.state.lookups == ["tea"]  # the second price came from Redis

    events = await _pull(subscriber, 2)  # relayed from the outbox by the API's relay task
    assert sorted(json.loads(m.data)["customer"] for m in events) == ["ana", "cleo"]
    assert {m.attributes["event"] for m in events} == {"order.created"}
    assert {m.attributes["event-id"] for m in events} == {
        paid.json()["event_id"],
        later.json()["event_id"],
    }
    assert {m.ordering_key for m in events} == {"order-1", "order-2"}

    sqs = boto3.client("sqs")
    failed = poll_once(worker, sqs, settings.fulfilment_queue_url)
    assert failed == [later.json()["fulfilment_id"]]  # batchItemFailures: only the unpaid one
    assert await _statuses(api, 1, 2) == ["fulfilled", "awaiting_payment"]

    assert (await api.post("/orders/2/payment")).json()["status"] == "paid"
    # RetryLater(0) made the reported message visible again at once.
    assert poll_once(worker, sqs, settings.fulfilment_queue_url) == []
    assert await _statuses(api, 1, 2) == ["fulfilled", "fulfilled"]
    assert sqs.receive_message(QueueUrl=settings.fulfilment_queue_url).get("Messages") is None


async def test_product_cache_lives_in_redis(
    api: httpx.AsyncClient, redis_url: str, pricing_app: FastAPI
) -> None:
    first = (await api.get("/products/kettle")).json()
    second = (await api.get("/products/kettle")).json()

    assert (first["cached"], second["cached"]) == (False, True)
    with redis.Redis.from_url(redis_url) as client:
        stored = client.get("orders:product:kettle")
        assert stored is not None
        assert json.loads(stored) == first["product"]
        client.delete("orders:product:kettle")
    assert pricing_app.state.lookups == ["kettle"]


async def test_a_retried_post_places_one_order(
    api: httpx.AsyncClient, settings: Settings, subscriber: tuple[Any, str]
) -> None:
    new = {"customer": "ana", "sku": "mug", "quantity": 1}
    headers = {"Idempotency-Key": "checkout-1"}

    first = await api.post("/orders", json=new, headers=headers)
    retry = await api.post("/orders", json=new, headers=headers)
    changed = await api.post("/orders", json={**new, "quantity": 2}, headers=headers)

    assert (first.status_code, retry.status_code, changed.status_code) == (201, 201, 422)
    assert retry.json() == first.json()
    assert (await api.get("/orders/2")).status_code == 404
    assert [m.attributes["event-id"] for m in await _pull(subscriber, 1)] == [
        first.json()["event_id"]
    ]
    with database.db_session() as session:  # the key's record, in the service's database
        stored = session.execute(sa.text("SELECT namespace, key FROM serpens_idempotency")).all()
    assert [tuple(row) for row in stored] == [("orders", "checkout-1")]
