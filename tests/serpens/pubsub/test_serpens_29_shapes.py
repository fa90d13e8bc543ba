"""serpens 2.9's Pub/Sub call shapes on the in-process emulator, read back with attributes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest
from google.api_core.exceptions import NotFound

from serpens.errors import NotFoundError, ValidationError
from serpens.pubsub import AsyncPublisher, publish_message, publish_message_batch
from serpens_contract import EmulatorRig

MISSING = "projects/serpens-test/topics/never-created"


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
