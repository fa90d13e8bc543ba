"""The in-process emulator answers as Google's does, case by case, side by side.

Each case runs on the in-process emulator and on the session's Pub/Sub emulator, which is
Google's where gcloud's emulator is installed (this project's CI machines): a case that
passes on both shows the in-process emulator a fresh machine runs answers as Google's.
Where the session's emulator is the in-process one too, the second run is skipped and says
so. Where Google's emulator is laxer than the service (an ack deadline past 600 s, a
stream from a missing subscription), the in-process one follows the service and the case
says so.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator

import pytest
from google.api_core import exceptions as gexc
from google.cloud.pubsub_v1.types import StreamingPullRequest
from google.pubsub_v1.services.publisher.client import PublisherClient as GeneratedPublisher

from serpens.testing import PubSubEmulator
from serpens.testing.pubsub_emulator import InProcessPubSubEmulator
from tests.serpens.pubsub._clients import PROJECT, Clients

pytestmark = pytest.mark.pubsub


@pytest.fixture(name="emulator_host", scope="module")
def _emulator_host() -> Iterator[str]:
    with InProcessPubSubEmulator() as host:
        yield host


@pytest.fixture(name="clients", params=["in-process", "session"])
def _clients(
    request: pytest.FixtureRequest, emulator_host: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Clients]:
    host = emulator_host
    if request.param == "session":
        session: PubSubEmulator = request.getfixturevalue("pubsub_emulator")
        if session.tier == "inproc":
            pytest.skip("the session's emulator is the in-process one: gcloud's is not here")
        host = session.host
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", host)
    clients = Clients()
    yield clients
    clients.subscriber.close()
    clients.publisher.transport.close()


def test_a_deleted_topic_leaves_its_subscriptions_detached(clients: Clients) -> None:
    topic, subscription = clients.topic_and_subscription()
    other_topic, other_subscription = clients.topic_and_subscription()
    clients.publisher.delete_topic(topic=topic)
    got = clients.subscriber.get_subscription(subscription=subscription)
    assert got.topic == "_deleted-topic_"
    assert list(clients.pull(subscription, timeout=0.5)) == []  # still there, fed by nothing
    kept = clients.subscriber.get_subscription(subscription=other_subscription)
    assert kept.topic == other_topic  # another topic's subscription is untouched
    with pytest.raises(gexc.NotFound):
        clients.publisher.get_topic(topic=topic)
    with pytest.raises(gexc.NotFound):
        clients.publisher.delete_topic(topic=topic)


def test_missing_subscriptions_are_not_found(clients: Clients) -> None:
    missing = f"{PROJECT}/subscriptions/missing-subscription"
    with pytest.raises(gexc.NotFound):
        clients.subscriber.get_subscription(subscription=missing)
    with pytest.raises(gexc.NotFound):
        clients.subscriber.delete_subscription(subscription=missing)
    with pytest.raises(gexc.NotFound):
        clients.subscriber.acknowledge(subscription=missing, ack_ids=["x"])


def test_deleting_a_subscription_ends_its_open_stream_as_not_found(clients: Clients) -> None:
    topic, subscription = clients.topic_and_subscription()
    clients.publisher.publish(topic, b"first").result(timeout=5)
    outbox: queue.Queue[StreamingPullRequest | None] = queue.Queue()
    outbox.put(StreamingPullRequest(subscription=subscription, stream_ack_deadline_seconds=30))
    responses = clients.subscriber.streaming_pull(requests=iter(outbox.get, None))
    assert [m.message.data for m in next(responses).received_messages] == [b"first"]
    clients.subscriber.delete_subscription(subscription=subscription)
    with pytest.raises(gexc.NotFound):
        next(responses)
    outbox.put(None)


def test_a_subscriptions_ack_deadline_is_10_s_unless_given_and_at_most_600(
    clients: Clients,
) -> None:
    topic, subscription = clients.topic_and_subscription()
    create = clients.subscriber.create_subscription
    for seconds, expected in ((0, 10), (10, 10), (600, 600)):
        name = f"{subscription}-{seconds}"
        made = create(request={"name": name, "topic": topic, "ack_deadline_seconds": seconds})
        assert made.ack_deadline_seconds == expected
    with pytest.raises(gexc.InvalidArgument):
        create(request={"name": f"{subscription}-601", "topic": topic, "ack_deadline_seconds": 601})


def test_a_pull_returning_immediately_answers_at_once(clients: Clients) -> None:
    _, subscription = clients.topic_and_subscription()
    started = time.monotonic()
    with pytest.warns(DeprecationWarning, match="return_immediately"):  # the client's warning
        answer = clients.subscriber.pull(
            request={"subscription": subscription, "max_messages": 1, "return_immediately": True},
            timeout=10,
            retry=None,
        )
    assert list(answer.received_messages) == []
    assert time.monotonic() - started < 2  # not the 10 s a waiting pull may take


def test_a_publish_of_no_messages_is_an_invalid_argument(clients: Clients) -> None:
    topic, _ = clients.topic_and_subscription()
    with pytest.raises(gexc.InvalidArgument):  # the generated client's call: no batching
        GeneratedPublisher.publish(clients.publisher, topic=topic, messages=[])


def test_acknowledging_twice_is_not_an_error(clients: Clients) -> None:
    topic, subscription = clients.topic_and_subscription()
    clients.publisher.publish(topic, b"once").result(timeout=5)
    (got,) = clients.pull(subscription)
    clients.subscriber.acknowledge(subscription=subscription, ack_ids=[got.ack_id, got.ack_id])
    clients.subscriber.acknowledge(subscription=subscription, ack_ids=[got.ack_id])
    assert list(clients.pull(subscription, timeout=0.5)) == []


def test_ack_deadlines_are_checked_and_a_done_ack_id_skipped(clients: Clients) -> None:
    topic, subscription = clients.topic_and_subscription()
    for data in (b"acked", b"nacked"):
        clients.publisher.publish(topic, data).result(timeout=5)
    got = {m.message.data: m.ack_id for m in clients.pull(subscription)}
    assert set(got) == {b"acked", b"nacked"}
    modify = clients.subscriber.modify_ack_deadline
    modify(subscription=subscription, ack_ids=[got[b"nacked"]], ack_deadline_seconds=600)
    with pytest.raises(gexc.InvalidArgument):
        modify(subscription=subscription, ack_ids=[got[b"nacked"]], ack_deadline_seconds=-1)
    with pytest.raises(gexc.InvalidArgument, match="Invalid ack id"):
        modify(subscription=subscription, ack_ids=["not-an-ack-id"], ack_deadline_seconds=10)
    clients.subscriber.acknowledge(subscription=subscription, ack_ids=[got[b"acked"]])
    # the acknowledged id first: skipped, and the one after it is still nacked
    modify(subscription=subscription, ack_ids=list(got.values()), ack_deadline_seconds=0)
    assert [m.message.data for m in clients.pull(subscription)] == [b"nacked"]


def test_ack_deadlines_past_the_services_bounds_are_refused_as_it_refuses_them(
    emulator_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Google's emulator accepts a modify of 601 s and a subscription of 9 s; the service
    # answers INVALID_ARGUMENT (at most 600 s, at least 10 s), and so does the in-process one
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator_host)
    clients = Clients()
    topic, subscription = clients.topic_and_subscription()
    clients.publisher.publish(topic, b"x").result(timeout=5)
    (got,) = clients.pull(subscription)
    with pytest.raises(gexc.InvalidArgument, match="601"):
        clients.subscriber.modify_ack_deadline(
            subscription=subscription, ack_ids=[got.ack_id], ack_deadline_seconds=601
        )
    with pytest.raises(gexc.InvalidArgument):  # the service's least is 10 s; Google's takes 9
        clients.subscriber.create_subscription(
            request={"name": f"{subscription}-9", "topic": topic, "ack_deadline_seconds": 9}
        )
    clients.subscriber.close()
    clients.publisher.transport.close()


def test_a_stream_from_a_missing_subscription_is_not_found_as_the_service_answers(
    emulator_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Google's emulator ends such a stream without a status; the service answers NOT_FOUND,
    # and so does the in-process emulator
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator_host)
    clients = Clients()
    missing = f"{PROJECT}/subscriptions/missing-subscription"
    request = StreamingPullRequest(subscription=missing, stream_ack_deadline_seconds=10)
    with pytest.raises(gexc.NotFound):
        next(clients.subscriber.streaming_pull(requests=iter([request])))
    clients.subscriber.close()
    clients.publisher.transport.close()
