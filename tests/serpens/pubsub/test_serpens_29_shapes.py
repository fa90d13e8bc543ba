"""serpens 2.9's Pub/Sub call shapes on the in-process emulator, read back with attributes."""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from google.api_core.exceptions import NotFound

from serpens.errors import NotFoundError, ValidationError
from serpens.pubsub import AsyncPublisher, publish_message, publish_message_batch
from serpens_contract import EmulatorRig

MISSING = "projects/serpens-test/topics/never-created"


class _Status(enum.Enum):
    PAID = "paid"


class TestPublishMessage:
    def test_positional_ordering_key_and_attributes(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        first = publish_message(topic, {"id": 1}, "customer-1", {"kind": "order"})
        second = publish_message(topic, "plain", "", {"kind": "note"})  # "": no key
        third = publish_message(topic=topic, data=[1, 2], ordering_key="")
        got = {m.message_id: m for m in rig.read(topic, 3)}
        assert json.loads(got[first].data) == {"id": 1}
        assert (got[first].ordering_key, got[first].attributes) == ("customer-1", {"kind": "order"})
        assert (got[second].data, got[second].ordering_key) == (b"plain", "")
        assert got[second].attributes == {"kind": "note"}
        assert json.loads(got[third].data) == [1, 2]  # any JSON value, as 2.9 sent it
        assert got[third].attributes == {}

    def test_the_endpoint_suffix_becomes_an_attribute(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        attributes = {"kind": "order"}
        message_id = publish_message(f"{topic}:webhook-v2", "x", "", attributes)
        (got,) = rig.read(topic, 1)
        assert got.message_id == message_id
        assert got.attributes == {"kind": "order", "endpoint": "webhook-v2"}
        assert attributes == {"kind": "order"}  # the caller's dict is not mutated

    def test_a_domain_scoped_project_is_not_an_endpoint(self, rig: EmulatorRig) -> None:
        topic = f"projects/example.com:serpens/topics/t{uuid.uuid4().hex[:12]}"
        rig.create_topic(topic)
        publish_message(topic, "a")
        publish_message(f"{topic}:audit", "b")
        got = sorted((m.data, m.attributes) for m in rig.read(topic, 2))
        assert got == [(b"a", {}), (b"b", {"endpoint": "audit"})]


class TestPublishMessageBatch:
    def test_each_body_goes_out_with_its_own_attributes(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        messages = [
            {"body": {"n": 1}, "attributes": {"kind": "a", "n": 1}},
            {"body": "two"},
            {"body": [3], "attributes": {"kind": "c"}},
        ]
        ids = publish_message_batch(topic, messages, "k")
        got = rig.read(topic, 3)
        assert [m.message_id for m in got] == ids
        assert [m.data for m in got] == [b'{"n":1}', b"two", b"[3]"]  # bodies, not wrappers
        assert [m.attributes for m in got] == [{"kind": "a", "n": "1"}, {}, {"kind": "c"}]
        assert {m.ordering_key for m in got} == {"k"}
        assert messages[1] == {"body": "two"}  # items are not mutated

    def test_the_endpoint_and_batch_attributes_apply_to_every_item(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        messages = [{"body": "a", "attributes": {"src": "own"}}, {"body": "b"}]
        publish_message_batch(f"{topic}:billing", messages, attributes={"src": "batch"})
        got = rig.read(topic, 2)
        assert [m.attributes for m in got] == [
            {"src": "own", "endpoint": "billing"},
            {"src": "batch", "endpoint": "billing"},
        ]
        assert {m.ordering_key for m in got} == {""}

    def test_an_item_without_body_publishes_nothing(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        with pytest.raises(ValidationError, match=r"messages\[1\].*keys \['attributes', 'n'\]"):
            publish_message_batch(topic, [{"body": 1}, {"n": 2, "attributes": {"k": "v"}}])
        with pytest.raises(ValidationError, match=r"messages\[0\]\.attributes"):
            publish_message_batch(topic, [{"body": 1, "attributes": ["k"]}])
        assert rig.read(topic, 0) == []


class TestAsyncPublisherDefaultKey:
    async def test_the_default_key_and_its_overrides(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        async with AsyncPublisher(timeout=5, ordering_key="tenant-1") as publisher:
            assert publisher.ordering_key == "tenant-1"
            await publisher.publish(topic, "default")
            await publisher.publish(topic, "other", ordering_key="tenant-2")
            await publisher.publish(topic, "none", ordering_key="")
            await publisher.publish(f"{topic}:hook", "with-endpoint")
        got = {m.data: m for m in rig.read(topic, 4)}
        assert got[b"default"].ordering_key == "tenant-1"
        assert got[b"other"].ordering_key == "tenant-2"
        assert got[b"none"].ordering_key == ""
        assert got[b"with-endpoint"].attributes == {"endpoint": "hook"}
        assert got[b"with-endpoint"].ordering_key == "tenant-1"

    async def test_the_positional_shapes_of_2_9(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        """2.9's ``AsyncPublisher(key)`` and ``publish(topic, data, ordering_key, attributes)``."""
        topic = new_topic()
        async with AsyncPublisher("tenant-1") as publisher:
            first = await publisher.publish(topic, {"n": 1}, "tenant-9", {"kind": "a"})
            second = await publisher.publish(topic, data={"n": 2})
            third = await publisher.publish(topic=topic, data="three", attributes={"kind": "c"})
        got = {m.message_id: m for m in rig.read(topic, 3)}
        assert (json.loads(got[first].data), got[first].ordering_key) == ({"n": 1}, "tenant-9")
        assert got[first].attributes == {"kind": "a"}
        assert (json.loads(got[second].data), got[second].ordering_key) == ({"n": 2}, "tenant-1")
        assert (got[third].data, got[third].attributes) == (b"three", {"kind": "c"})

    async def test_the_message_is_given_once(self) -> None:
        publisher = AsyncPublisher()
        with pytest.raises(TypeError, match="payload or data, exactly once"):
            await publisher.publish("projects/p/topics/t")
        with pytest.raises(TypeError, match="payload or data, exactly once"):
            await publisher.publish("projects/p/topics/t", "a", data="b")
        assert publisher._clients is None
        publisher.close()

    async def test_values_are_encoded_as_2_9_encoded_them(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        """2.9 sent ``json.dumps(data, cls=SchemaEncoder)``: Decimals as numbers, Enums as
        values, times as ISO 8601; serpens sends the same values, without the spaces."""
        topic = new_topic()
        data = {
            "amount": Decimal("19.90"),
            "status": _Status.PAID,
            "at": dt.time(12, 30),
            "day": dt.date(2024, 1, 2),
            "id": uuid.UUID(int=1),
        }
        async with AsyncPublisher() as publisher:
            await publisher.publish(topic, data)
        publish_message(topic, [data])
        expected = {
            "amount": 19.9,
            "status": "paid",
            "at": "12:30:00",
            "day": "2024-01-02",
            "id": "00000000-0000-0000-0000-000000000001",
        }
        bodies = sorted((m.data for m in rig.read(topic, 2)), key=len)
        assert [json.loads(body) for body in bodies] == [expected, [expected]]
        assert b", " not in bodies[0]

    def test_attributes_that_are_not_a_mapping_are_refused(self) -> None:
        topic = "projects/p/topics/orders"
        for attributes in ("kind=a", [("kind", "a")]):
            with pytest.raises(ValidationError, match="attributes") as caught:
                publish_message(topic, "x", "", attributes)  # type: ignore[arg-type]
            assert "expected a mapping" in str(caught.value.errors)
            with pytest.raises(ValidationError, match="attributes"):
                publish_message(f"{topic}:hook", "x", "", attributes)  # type: ignore[arg-type]

    def test_a_bad_default_key_fails_at_construction(self) -> None:
        with pytest.raises(ValidationError, match="ordering key"):
            AsyncPublisher(ordering_key="k" * 1025)
        assert AsyncPublisher(ordering_key="").ordering_key is None


class TestMissingTopic:
    def test_sync_helpers_raise_an_error_both_excepts_catch(self, rig: EmulatorRig) -> None:
        with pytest.raises(NotFound) as google_style:  # 2.9 let the SDK's error through
            publish_message(MISSING, "x")
        with pytest.raises(NotFoundError) as serpens_style:
            publish_message_batch(MISSING, [{"body": "x"}])
        for caught in (google_style.value, serpens_style.value):
            assert isinstance(caught, NotFoundError)
            assert isinstance(caught, NotFound)
            assert "never-created does not exist" in str(caught)
            assert caught.code == 404  # the SDK's attributes work too

    async def test_async_publisher_raises_it_too(self, rig: EmulatorRig) -> None:
        async with AsyncPublisher(timeout=5) as publisher:
            with pytest.raises(NotFound) as caught:
                await publisher.publish(MISSING, "x")
        assert isinstance(caught.value, NotFoundError)
