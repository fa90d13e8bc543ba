"""serpens 2.9's sync call shapes: bodies with attributes, endpoint suffix, missing topic."""

import os

from google.api_core.exceptions import NotFound
from google.cloud import pubsub_v1

from serpens import pubsub
from serpens.errors import NotFoundError
from serpens.testing.pubsub_emulator import InProcessPubSubEmulator

TOPIC = "projects/my-project/topics/orders"
SUBSCRIPTION = "projects/my-project/subscriptions/orders-audit"

with InProcessPubSubEmulator() as host:
    os.environ["PUBSUB_EMULATOR_HOST"] = host
    pubsub_v1.PublisherClient().create_topic(name=TOPIC)
    subscriber = pubsub_v1.SubscriberClient()
    subscriber.create_subscription(name=SUBSCRIPTION, topic=TOPIC)

    pubsub.publish_message(TOPIC, {"order_id": 1}, "customer-1")  # positional ordering key
    pubsub.publish_message_batch(
        f"{TOPIC}:billing",  # sent to TOPIC with the attribute endpoint=billing
        [{"body": {"order_id": 2}, "attributes": {"event": "paid"}}, {"body": "plain text"}],
    )
    try:
        pubsub.publish_message("projects/my-project/topics/missing", "x")
    except NotFound as exc:  # 2.9-style; `except NotFoundError` catches it as well
        missing = exc
    assert isinstance(missing, NotFoundError)

    received = []
    while len(received) < 3:
        received += subscriber.pull(subscription=SUBSCRIPTION, max_messages=10).received_messages
    got = sorted((m.message.data, dict(m.message.attributes)) for m in received)
    assert got == [
        (b"plain text", {"endpoint": "billing"}),
        (b'{"order_id":1}', {}),
        (b'{"order_id":2}', {"event": "paid", "endpoint": "billing"}),
    ]
    subscriber.close()
