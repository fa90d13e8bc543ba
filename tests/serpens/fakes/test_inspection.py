"""The fakes' inspection helpers: what a user's unit test reads back after the code ran.

These helpers have no production counterpart (no contract suite can pin them), so their
exact behaviour is pinned here: order, copies, filtering, and what ``clear`` keeps.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from serpens.errors import BackendUnavailableError, NotFoundError, ValidationError
from serpens.fakes import (
    InMemoryCache,
    InMemoryHttpClient,
    InMemoryPublisher,
    InMemoryQueue,
    InMemoryResponse,
    PublishedMessage,
    RecordedRequest,
)

ORDERS = "projects/demo/topics/orders"
BILLING = "projects/demo/topics/billing"


class TestInMemoryPublisherHelpers:
    """``published``, ``messages``, ``clear``, ``fail_next``, ``create_topic``, the message type."""

    async def test_published_lists_every_message_in_order_as_a_copy(self) -> None:
        publisher = InMemoryPublisher()
        first = await publisher.publish(ORDERS, {"n": 1})
        second = await publisher.publish(BILLING, "two", attributes={"k": "v"})
        published = publisher.published
        assert [m.message_id for m in published] == [first, second] == ["1", "2"]
        assert [m.topic for m in published] == [ORDERS, BILLING]
        published.clear()
        assert len(publisher.published) == 2  # the caller's list is a copy

    async def test_messages_filters_by_topic_and_clear_forgets_the_messages_only(self) -> None:
        publisher = InMemoryPublisher(topics=[ORDERS, BILLING])
        await publisher.publish(ORDERS, "a")
        await publisher.publish(BILLING, "b")
        await publisher.publish(ORDERS, "c")
        assert [m.text for m in publisher.messages(ORDERS)] == ["a", "c"]
        assert [m.text for m in publisher.messages(BILLING)] == ["b"]
        assert publisher.messages("projects/demo/topics/other") == []
        publisher.clear()
        assert publisher.published == []
        await publisher.publish(BILLING, "still there")  # the topics are kept
        with pytest.raises(NotFoundError):
            await publisher.publish("projects/demo/topics/other", "x")

    async def test_a_published_message_decodes_its_payload(self) -> None:
        publisher = InMemoryPublisher()
        await publisher.publish(ORDERS, {"total": 3, "sku": "é"})
        await publisher.publish(ORDERS, b"\xc3\xa9t\xc3\xa9")
        as_json, as_bytes = publisher.published
        assert as_json.json() == {"total": 3, "sku": "é"}
        assert as_bytes.text == "été"
        assert as_bytes.data == "été".encode()

    async def test_ids_and_times_come_from_the_given_factories(self) -> None:
        ids = iter(["a", "b"])
        at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        publisher = InMemoryPublisher(id_factory=lambda: next(ids), clock=lambda: at)
        assert await publisher.publish(ORDERS, "x", ordering_key="k") == "a"
        assert await publisher.publish(ORDERS, "y") == "b"
        first, second = publisher.published
        assert (first.published_at, first.ordering_key) == (at, "k")
        assert second.ordering_key is None  # no key given: None, not ""

    async def test_the_default_ids_count_up_and_the_default_clock_is_utc_now(self) -> None:
        publisher = InMemoryPublisher()
        before = datetime.now(UTC)
        ids = [await publisher.publish(ORDERS, str(n)) for n in range(3)]
        assert ids == ["1", "2", "3"]
        stamp = publisher.published[0].published_at
        assert stamp.tzinfo is UTC
        assert before <= stamp <= datetime.now(UTC)

    def test_a_message_built_by_hand_has_no_attributes_or_key_and_a_utc_time(self) -> None:
        message = PublishedMessage(topic=ORDERS, data=b"{}", message_id="7")
        assert message.attributes == {}
        assert message.ordering_key is None
        assert message.published_at.tzinfo is UTC

    async def test_fail_next_fails_the_given_number_of_valid_publishes_then_recovers(self) -> None:
        publisher = InMemoryPublisher()
        error = BackendUnavailableError("broker down")
        publisher.fail_next(error, times=2)
        with pytest.raises(ValidationError):  # invalid input fails as always, using no failure
            await publisher.publish("not a topic", "x")
        for _ in range(2):
            with pytest.raises(BackendUnavailableError) as caught:
                await publisher.publish(ORDERS, "x")
            assert caught.value is error
        assert await publisher.publish(ORDERS, "x") == "1"  # the failed ones published nothing
        assert len(publisher.published) == 1

    async def test_fail_next_fails_one_publish_by_default(self) -> None:
        publisher = InMemoryPublisher()
        publisher.fail_next(BackendUnavailableError("once"))
        with pytest.raises(BackendUnavailableError):
            await publisher.publish(ORDERS, "x")
        await publisher.publish(ORDERS, "x")

    async def test_create_topic_makes_a_listed_publisher_accept_the_topic(self) -> None:
        publisher = InMemoryPublisher(topics=[ORDERS])
        with pytest.raises(NotFoundError):
            await publisher.publish(BILLING, "x")
        publisher.create_topic(BILLING)
        await publisher.publish(BILLING, "x")
        with pytest.raises(ValidationError):
            publisher.create_topic("orders")  # not a topic path
        InMemoryPublisher().create_topic(BILLING)  # every topic exists already: a no-op

    async def test_an_outage_publishes_nothing(self) -> None:
        publisher = InMemoryPublisher()
        with publisher.outage(), pytest.raises(BackendUnavailableError):
            await publisher.publish(ORDERS, "x")
        assert publisher.published == []


class TestInMemoryQueueHelpers:
    """``pending_bodies`` and ``fifo``."""

    def test_pending_bodies_lists_unacknowledged_messages_in_send_order(self) -> None:
        queue = InMemoryQueue()
        for body in ["a", "b", "c"]:
            queue.send(body)
        assert queue.pending_bodies() == ["a", "b", "c"]
        (message,) = queue.receive(max_messages=1)
        assert queue.pending_bodies() == ["a", "b", "c"]  # in flight is still pending
        queue.ack(message)
        assert queue.pending_bodies() == ["b", "c"]
        assert queue.fifo is False
        assert InMemoryQueue(fifo=True).fifo is True


class TestInMemoryCacheHelpers:
    """``keys`` and ``fail_open``."""

    def test_cache_keys_are_the_live_keys_sorted(self) -> None:
        now = [1000.0]
        cache = InMemoryCache(clock=lambda: now[0])
        cache.set("b", 1, ttl=10)
        cache.set("a", 2, ttl=20)
        cache.set("c", 3, ttl=5)
        assert cache.keys() == ["a", "b", "c"]
        now[0] += 5  # "c" expires at exactly 1005: gone
        assert cache.keys() == ["a", "b"]
        now[0] += 10
        assert cache.keys() == ["a"]
        now[0] += 5
        assert cache.keys() == []
        assert InMemoryCache().fail_open is False
        assert InMemoryCache(fail_open=True).fail_open is True


class TestInMemoryHttpClientHelpers:
    """``requests``."""

    async def test_requests_records_each_request_oldest_first_as_a_copy(self) -> None:
        async def handler(request: RecordedRequest) -> InMemoryResponse:
            return InMemoryResponse(200, text=request.method)

        client = InMemoryHttpClient(handler)
        await client.get("/one")
        await client.post("/two", json={"n": 1})
        requests = client.requests
        assert [(r.method, r.url) for r in requests] == [
            ("GET", "http://testserver/one"),
            ("POST", "http://testserver/two"),
        ]
        requests.clear()
        assert len(client.requests) == 2  # the caller's list is a copy
