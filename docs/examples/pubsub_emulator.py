"""Publish through the real Google client to serpens' in-process emulator, and read back."""

import asyncio
import os

from google.cloud import pubsub_v1

from serpens.pubsub import AsyncPublisher, publish_message
from serpens.testing.pubsub_emulator import InProcessPubSubEmulator

TOPIC = "projects/my-project/topics/orders"
SUBSCRIPTION = "projects/my-project/subscriptions/orders-audit"


async def emit(publisher: AsyncPublisher) -> list[str]:
    """Many publishes in flight at once; the event loop never blocks."""
    return await asyncio.gather(
        *(publisher.publish(TOPIC, {"order_id": n}, attributes={"n": n}) for n in range(3))
    )


with InProcessPubSubEmulator() as host:
    os.environ["PUBSUB_EMULATOR_HOST"] = host  # read when a client is created

    pubsub_v1.PublisherClient().create_topic(name=TOPIC)
    subscriber = pubsub_v1.SubscriberClient()
    subscriber.create_subscription(name=SUBSCRIPTION, topic=TOPIC)

    publisher = AsyncPublisher(timeout=10)  # one per process, e.g. in a FastAPI lifespan
    ids = asyncio.run(emit(publisher))
    publisher.close()  # flushes what is still queued
    ids.append(publish_message(TOPIC, "a one-shot from sync code"))

    received = subscriber.pull(subscription=SUBSCRIPTION, max_messages=10).received_messages
    assert sorted(m.message.message_id for m in received) == sorted(ids)
    subscriber.acknowledge(subscription=SUBSCRIPTION, ack_ids=[m.ack_id for m in received])
    subscriber.close()
