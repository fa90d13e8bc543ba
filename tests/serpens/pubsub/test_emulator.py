"""The in-process emulator speaks google.pubsub.v1 to the real client, codes included."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1

from serpens.testing.pubsub_emulator import InProcessPubSubEmulator
from tests.serpens.pubsub._clients import PROJECT, Clients


@pytest.fixture(name="clients")
def _clients(
    emulator: InProcessPubSubEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Clients]:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator.host)
    clients = Clients()
    yield clients
    clients.subscriber.close()
    clients.publisher.transport.close()


def _open_stream(
    clients: Clients, subscription: str, *, max_outstanding_messages: int
) -> tuple[Any, queue.Queue[Any]]:
    """A streaming pull whose requests stay open until ``None`` is put on the queue.

    A stream whose request iterator ends is half-closed by the client, and the emulator
    then ends it, sometimes before its first response (with older grpcio): a test
    reading responses keeps its requests open.
    """
    outbox: queue.Queue[Any] = queue.Queue()
    outbox.put(
        pubsub_v1.types.StreamingPullRequest(
            subscription=subscription,
            stream_ack_deadline_seconds=30,
            max_outstanding_messages=max_outstanding_messages,
        )
    )
    responses = clients.subscriber.streaming_pull(requests=iter(outbox.get, None), timeout=10)
    return responses, outbox


class TestStatusCodes:
    def test_topics_exist_once(self, clients: Clients) -> None:
        topic, _ = clients.topic_and_subscription()
        assert clients.publisher.get_topic(topic=topic).name == topic
        with pytest.raises(gexc.AlreadyExists):
            clients.publisher.create_topic(name=topic)
        with pytest.raises(gexc.NotFound):
            clients.publisher.get_topic(topic=f"{PROJECT}/topics/missing-topic")

    def test_subscriptions_exist_once_and_need_their_topic(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription()
        got = clients.subscriber.get_subscription(subscription=subscription)
        assert (got.topic, got.ack_deadline_seconds) == (topic, 10)
        with pytest.raises(gexc.AlreadyExists):
            clients.subscriber.create_subscription(name=subscription, topic=topic)
        with pytest.raises(gexc.NotFound):
            clients.subscriber.create_subscription(
                name=f"{PROJECT}/subscriptions/orphan", topic=f"{PROJECT}/topics/missing-topic"
            )
        with pytest.raises(gexc.NotFound):
            clients.pull(f"{PROJECT}/subscriptions/missing-sub")

    @pytest.mark.parametrize("name", ["ab", "1abc", "goog-abc", "a b c"])
    def test_malformed_names_are_invalid_arguments(self, clients: Clients, name: str) -> None:
        with pytest.raises(gexc.InvalidArgument, match="Invalid"):
            clients.publisher.create_topic(name=f"{PROJECT}/topics/{name}")

    def test_empty_messages_and_pulls_are_invalid_arguments(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription()
        with pytest.raises(gexc.InvalidArgument, match="empty"):
            clients.publisher.publish(topic, b"").result(timeout=5)
        with pytest.raises(gexc.InvalidArgument):
            clients.subscriber.pull(subscription=subscription, max_messages=0)
        with pytest.raises(gexc.NotFound):
            clients.publisher.publish(f"{PROJECT}/topics/missing-topic", b"x").result(timeout=5)


class TestDelivery:
    def test_pull_waits_for_a_message_published_meanwhile(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription()
        futures: list[Any] = []
        threading.Timer(
            0.2, lambda: futures.append(clients.publisher.publish(topic, b"late"))
        ).start()
        (got,) = clients.pull(subscription)
        assert got.message.data == b"late"
        assert got.message.publish_time.year >= 2024
        # the publisher's commit thread may still be answering (or retrying) the publish:
        # it must be done before the fixture closes its channel
        assert futures[0].result(timeout=5)

    def test_only_messages_published_after_the_subscription_are_delivered(
        self, clients: Clients
    ) -> None:
        topic, subscription = clients.topic_and_subscription()
        clients.publisher.publish(topic, b"one").result(timeout=5)
        late = f"{subscription}-late"
        clients.subscriber.create_subscription(name=late, topic=topic)
        clients.publisher.publish(topic, b"two").result(timeout=5)
        assert [m.message.data for m in clients.pull(subscription)] == [b"one", b"two"]
        assert [m.message.data for m in clients.pull(late)] == [b"two"]

    def test_acknowledged_messages_are_gone_and_nacked_ones_come_back(
        self, clients: Clients
    ) -> None:
        topic, subscription = clients.topic_and_subscription()
        for data in (b"keep", b"retry"):
            clients.publisher.publish(topic, data).result(timeout=5)
        first = {m.message.data: m for m in clients.pull(subscription)}
        clients.subscriber.acknowledge(subscription=subscription, ack_ids=[first[b"keep"].ack_id])
        clients.subscriber.modify_ack_deadline(
            subscription=subscription, ack_ids=[first[b"retry"].ack_id], ack_deadline_seconds=0
        )
        (again,) = clients.pull(subscription)
        assert again.message.data == b"retry"
        assert again.message.message_id == first[b"retry"].message.message_id
        assert again.ack_id != first[b"retry"].ack_id

    def test_an_expired_ack_deadline_redelivers(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription()
        clients.publisher.publish(topic, b"slow").result(timeout=5)
        (first,) = clients.pull(subscription)
        clients.subscriber.modify_ack_deadline(
            subscription=subscription, ack_ids=[first.ack_id], ack_deadline_seconds=1
        )
        started = time.monotonic()
        (again,) = clients.pull(subscription)
        assert again.message.message_id == first.message.message_id
        assert time.monotonic() - started >= 0.9

    def test_an_ordering_key_waits_for_its_outstanding_message(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription(ordered=True)
        publisher = pubsub_v1.PublisherClient(
            publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
        )
        publisher.publish(topic, b"k1", ordering_key="k").result(timeout=5)
        (first,) = clients.pull(subscription)
        publisher.publish(topic, b"k2", ordering_key="k").result(timeout=5)
        publisher.publish(topic, b"free").result(timeout=5)
        assert [m.message.data for m in clients.pull(subscription)] == [b"free"]
        clients.subscriber.acknowledge(subscription=subscription, ack_ids=[first.ack_id])
        assert [m.message.data for m in clients.pull(subscription)] == [b"k2"]
        publisher.transport.close()

    def test_streaming_pull_serves_the_clients_subscribe(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription()
        received: list[bytes] = []
        done = threading.Event()

        def callback(message: Any) -> None:
            received.append(message.data)
            message.ack()
            if len(received) == 3:
                done.set()

        future = clients.subscriber.subscribe(subscription, callback=callback)
        for i in range(3):
            clients.publisher.publish(topic, f"s{i}".encode()).result(timeout=5)
        assert done.wait(10)
        future.cancel()
        future.result(timeout=10)
        assert sorted(received) == [b"s0", b"s1", b"s2"]
        # acknowledged over the stream: nothing is redelivered
        assert list(clients.pull(subscription, 5, timeout=0.5)) == []

    def test_streaming_pull_respects_max_outstanding_messages(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription()
        for i in range(5):
            clients.publisher.publish(topic, f"m{i}".encode()).result(timeout=5)
        outbox: queue.Queue[Any] = queue.Queue()
        outbox.put(
            pubsub_v1.types.StreamingPullRequest(
                subscription=subscription,
                stream_ack_deadline_seconds=30,
                max_outstanding_messages=2,
            )
        )
        responses = clients.subscriber.streaming_pull(requests=iter(outbox.get, None))
        first = next(responses).received_messages
        assert [m.message.data for m in first] == [b"m0", b"m1"]
        outbox.put(pubsub_v1.types.StreamingPullRequest(ack_ids=[m.ack_id for m in first]))
        second = next(responses).received_messages
        assert [m.message.data for m in second] == [b"m2", b"m3"]
        outbox.put(None)
        responses.cancel()

    def test_streaming_pull_redelivers_what_the_stream_nacks(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription()
        for data in (b"again", b"kept"):
            clients.publisher.publish(topic, data).result(timeout=5)
        outbox: queue.Queue[Any] = queue.Queue()
        outbox.put(
            pubsub_v1.types.StreamingPullRequest(
                subscription=subscription, stream_ack_deadline_seconds=60
            )
        )
        responses = clients.subscriber.streaming_pull(requests=iter(outbox.get, None))
        first = {m.message.data: m.ack_id for m in next(responses).received_messages}
        assert set(first) == {b"again", b"kept"}
        # a deadline of 0 for one, 30 s more for the other, in one request of the stream
        outbox.put(
            pubsub_v1.types.StreamingPullRequest(
                modify_deadline_ack_ids=[first[b"again"], first[b"kept"]],
                modify_deadline_seconds=[0, 30],
            )
        )
        (redelivered,) = next(responses).received_messages
        assert redelivered.message.data == b"again"
        assert redelivered.ack_id != first[b"again"]
        outbox.put(None)
        responses.cancel()

    def test_a_streams_flow_control_counts_its_own_messages_only(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription()
        for i in range(4):
            clients.publisher.publish(topic, f"m{i}".encode()).result(timeout=5)
        (held,) = clients.pull(subscription, 1)  # leased by a unary pull, not the stream
        assert held.message.data == b"m0"
        responses, outbox = _open_stream(clients, subscription, max_outstanding_messages=2)
        assert [m.message.data for m in next(responses).received_messages] == [b"m1", b"m2"]
        outbox.put(None)
        responses.cancel()

    def test_a_publish_past_grpcs_default_4_mib_is_accepted(self, clients: Clients) -> None:
        # gRPC refuses messages over 4 MiB unless told otherwise; Pub/Sub takes 10 MB (the
        # client's own 4 MiB receive limit keeps it from pulling this one back)
        topic, _ = clients.topic_and_subscription()
        message_id = clients.publisher.publish(topic, b"x" * (9 * 1024 * 1024)).result(timeout=10)
        assert message_id.isdigit()

    def test_a_stream_of_one_outstanding_message_gets_one(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription()
        for data in (b"one", b"two"):
            clients.publisher.publish(topic, data).result(timeout=5)
        responses, outbox = _open_stream(clients, subscription, max_outstanding_messages=1)
        assert [m.message.data for m in next(responses).received_messages] == [b"one"]
        outbox.put(None)
        responses.cancel()

    def test_a_cancelled_stream_takes_no_more_messages(self, clients: Clients) -> None:
        topic, subscription = clients.topic_and_subscription()
        outbox: queue.Queue[Any] = queue.Queue()
        outbox.put(
            pubsub_v1.types.StreamingPullRequest(
                subscription=subscription, stream_ack_deadline_seconds=60
            )
        )
        responses = clients.subscriber.streaming_pull(requests=iter(outbox.get, None))
        clients.publisher.publish(topic, b"taken").result(timeout=5)
        assert [m.message.data for m in next(responses).received_messages] == [b"taken"]
        responses.cancel()
        outbox.put(None)
        time.sleep(1.0)  # the stream's loop looks every 0.2 s whether its client is there
        clients.publisher.publish(topic, b"free").result(timeout=5)
        assert [m.message.data for m in clients.pull(subscription)] == [b"free"]


class TestLifecycle:
    def test_stop_and_start_keep_the_port_and_the_state(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        emulator = InProcessPubSubEmulator()
        with emulator as host:
            monkeypatch.setenv("PUBSUB_EMULATOR_HOST", host)
            clients = Clients()
            topic, subscription = clients.topic_and_subscription()
            clients.publisher.publish(topic, b"kept").result(timeout=5)
            emulator.stop()
            assert not emulator.running
            assert repr(emulator) == f"InProcessPubSubEmulator({host!r}, stopped)"
            assert emulator.start() == host
            assert repr(emulator) == f"InProcessPubSubEmulator({host!r}, running)"
            assert [m.message.data for m in clients.pull(subscription)] == [b"kept"]
            clients.subscriber.close()
            clients.publisher.transport.close()
        assert not emulator.running
