"""Contract suite of the Publisher port (``serpens.ports.Publisher``).

What a publisher sent is read back the way a consumer sees it: through a
subscription (:class:`EmulatorRig` pulls from a Pub/Sub emulator), or through the
fake's record (:class:`FakeRig`). An implementation's author overrides one fixture,
``open_publisher``, returning a callable ``namespace -> rig``.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

import pytest

try:
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        RuleBasedStateMachine,
        precondition,
        rule,
        run_state_machine_as_test,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens.errors import (
    ConfigurationError,
    NotFoundError,
    SerializationError,
    SerpensError,
    ValidationError,
)
from serpens.fakes import InMemoryPublisher
from serpens.ports import Payload, Publisher
from serpens_contract._suite import ContractSuite
from serpens_contract.differential import observe
from serpens_contract.outage import PublisherOutageCases
from serpens_contract.runner import SyncDriver
from serpens_contract.settings import hypothesis_settings

__all__ = [
    "EmulatorRig",
    "FakeRig",
    "PublisherCapabilities",
    "PublisherContract",
    "PublisherRig",
    "Received",
]

PROJECT = "serpens-contract"


@dataclass(frozen=True, slots=True)
class Received:
    """A message as a subscriber received it."""

    message_id: str
    data: bytes
    attributes: Mapping[str, str]
    ordering_key: str


class PublisherRig(Protocol):
    """What the suite drives: the publisher under test plus a way to see what it sent."""

    publisher: Publisher

    def create_topic(self, topic: str) -> None:
        """Create *topic* (and whatever the rig needs to read it back, e.g. a subscription)."""
        ...

    def read(self, topic: str, expected: int) -> list[Received]:
        """Everything published to *topic* since it was created and not read yet.

        Waits until at least *expected* messages arrived (up to a few seconds), then
        returns all of them, duplicates included, in delivery order.
        """
        ...

    def close(self) -> None:
        """Release what the rig created."""
        ...


RigFactory = Callable[[str], PublisherRig]


@dataclass(frozen=True)
class PublisherCapabilities:
    """Honest differences between publishers (none are known today)."""


class FakeRig:
    """A rig over :class:`~serpens.fakes.InMemoryPublisher` (or a subclass of it)."""

    def __init__(self, publisher: InMemoryPublisher | None = None) -> None:
        self.fake = InMemoryPublisher(topics=()) if publisher is None else publisher
        self.publisher: Publisher = self.fake
        self._seen: dict[str, int] = {}

    def create_topic(self, topic: str) -> None:
        self.fake.create_topic(topic)
        self._seen[topic] = 0

    def read(self, topic: str, expected: int) -> list[Received]:
        messages = self.fake.messages(topic)[self._seen.get(topic, 0) :]
        self._seen[topic] = self._seen.get(topic, 0) + len(messages)
        return [
            Received(m.message_id, m.data, dict(m.attributes), m.ordering_key or "")
            for m in messages
        ]

    def close(self) -> None:
        """Nothing to release."""


class EmulatorRig:
    """A rig that reads back through ordered subscriptions on a Pub/Sub emulator.

    Works with gcloud's emulator and ``serpens.testing.pubsub_emulator`` alike;
    ``PUBSUB_EMULATOR_HOST`` must point at the emulator while the rig is used.
    """

    def __init__(self, publisher: Publisher, *, wait: float = 5.0) -> None:
        from google.cloud import pubsub_v1  # noqa: PLC0415 - suites import SDKs lazily

        self.publisher = publisher
        self._admin = pubsub_v1.PublisherClient()
        self._subscriber = pubsub_v1.SubscriberClient()
        self._subscriptions: dict[str, str] = {}
        self._wait = wait

    def create_topic(self, topic: str) -> None:
        self._admin.create_topic(name=topic)
        project, name = topic.split("/")[1], topic.split("/")[3]
        subscription = f"projects/{project}/subscriptions/{name}-contract"
        self._subscriber.create_subscription(
            request={"name": subscription, "topic": topic, "enable_message_ordering": True}
        )
        self._subscriptions[topic] = subscription

    def _pull(self, subscription: str) -> list[Received]:
        with warnings.catch_warnings():
            # Deprecated for consumers, but the right tool for a read-back that must not
            # block: both emulators honour it.
            warnings.filterwarnings("ignore", "The return_immediately flag", DeprecationWarning)
            response = self._subscriber.pull(
                request={
                    "subscription": subscription,
                    "max_messages": 100,
                    "return_immediately": True,
                }
            )
        received = response.received_messages
        if received:
            self._subscriber.acknowledge(
                subscription=subscription, ack_ids=[r.ack_id for r in received]
            )
        return [
            Received(
                r.message.message_id,
                bytes(r.message.data),
                dict(r.message.attributes),
                r.message.ordering_key,
            )
            for r in received
        ]

    def read(self, topic: str, expected: int) -> list[Received]:
        subscription = self._subscriptions[topic]
        messages: list[Received] = []
        deadline = time.monotonic() + self._wait
        while len(messages) < expected and time.monotonic() < deadline:
            batch = self._pull(subscription)
            messages.extend(batch)
            if not batch:
                time.sleep(0.02)
        messages.extend(self._pull(subscription))  # a duplicate would show up here
        return messages

    def close(self) -> None:
        for topic, subscription in self._subscriptions.items():
            self._subscriber.delete_subscription(subscription=subscription)
            self._admin.delete_topic(topic=topic)
        self._subscriptions.clear()
        self._subscriber.close()
        self._admin.transport.close()


class _Session:
    """One test's view: the rig, a loop driving the async publisher, topic names."""

    def __init__(self, rig: PublisherRig, runner: asyncio.Runner, namespace: str) -> None:
        self.rig = rig
        self.runner = runner
        self.namespace = namespace
        self.publisher: Any = SyncDriver(rig.publisher, runner)

    def topic(self, name: str = "main", *, create: bool = True) -> str:
        topic = f"projects/{PROJECT}/topics/{self.namespace}-{name}"
        if create:
            self.rig.create_topic(topic)
        return topic

    def publish_all(self, topic: str, payloads: list[Payload], **options: Any) -> list[str]:
        """Issue every publish before awaiting any (concurrent publishes)."""

        async def gather() -> list[str]:
            calls = [self.rig.publisher.publish(topic, p, **options) for p in payloads]
            return list(await asyncio.gather(*calls))

        result: list[str] = self.runner.run(gather())
        return result


_BAD_TOPICS = [
    pytest.param("orders", id="short-name"),
    pytest.param("projects/p/topics/", id="empty-name"),
    pytest.param("projects/p/topics/ab", id="name-too-short"),
    pytest.param("projects/p/topics/1orders", id="starts-with-digit"),
    pytest.param("projects/p/topics/goog-orders", id="goog-prefix"),
    pytest.param("projects/p/subscriptions/orders", id="subscription-id"),
    pytest.param("projects/p/topics/orders/extra", id="trailing-segment"),
    pytest.param("projects//topics/orders", id="empty-project"),
    pytest.param("projects/p/topics/or ders", id="space"),
]


class PublisherContract(PublisherOutageCases, ContractSuite):
    """Every Publisher must pass these tests.

    Override ``open_publisher`` to return a callable ``namespace -> PublisherRig``; the
    suite names its topics ``projects/serpens-contract/topics/<namespace>-<name>`` and
    creates them through the rig before publishing.
    """

    contract = "publisher"
    capabilities: ClassVar[PublisherCapabilities] = PublisherCapabilities()

    @pytest.fixture
    def open_publisher(self) -> RigFactory:
        pytest.fail("override `open_publisher`: return a callable namespace -> PublisherRig")

    @pytest.fixture
    def session(self, open_publisher: RigFactory) -> Iterator[_Session]:
        namespace = f"c{uuid.uuid4().hex[:12]}"
        with asyncio.Runner() as runner:
            rig = open_publisher(namespace)
            try:
                yield _Session(rig, runner, namespace)
            finally:
                runner.run(rig.publisher.close())
                rig.close()

    def test_a_mapping_payload_is_sent_as_compact_utf8_json(self, session: _Session) -> None:
        """'a mapping as compact JSON': no spaces, non-ASCII kept as UTF-8, key order kept."""
        topic = session.topic()
        payload = {"b": 1, "a": "São Paulo", "nested": {"list": [1, 2.5, None, True]}}
        session.publisher.publish(topic, payload)
        (got,) = session.rig.read(topic, 1)
        assert got.data == json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        assert got.data.startswith(b'{"b":1,"a":"S\xc3\xa3o Paulo"')

    def test_tuples_and_sets_in_a_payload_are_arrays_and_nan_is_refused(
        self, session: _Session
    ) -> None:
        """JSON payloads: tuples and sets become arrays; NaN is a SerializationError."""
        topic = session.topic()
        session.publisher.publish(topic, {"t": (1, "ü"), "s": frozenset({3})})
        (got,) = session.rig.read(topic, 1)
        assert got.data == '{"t":[1,"ü"],"s":[3]}'.encode()
        for bad in ({"x": float("nan")}, {"x": object()}):
            with pytest.raises(SerializationError):
                session.publisher.publish(topic, bad)
        with pytest.raises(ValidationError) as raised:
            session.publisher.publish(topic, "x", attributes={"GOOGkey": "v"})
        assert [error.path for error in raised.value.errors] == ["attributes['GOOGkey']"]
        with pytest.raises(ValidationError) as raised:
            session.publisher.publish(topic, "x", attributes="kind=a")
        assert [error.path for error in raised.value.errors] == ["attributes"]

    def test_text_with_no_utf8_form_is_refused_before_any_network_call(
        self, session: _Session
    ) -> None:
        """Text with a lone surrogate, which has no UTF-8 form, is refused before I/O.

        A payload holding one is a ``SerializationError``, an attribute key or value or an
        ordering key a ``ValidationError`` naming it (every implementation leaked
        ``UnicodeEncodeError``).
        """
        topic = session.topic()
        for payload in ("a\ud800", {"a": "\udfff"}):
            with pytest.raises(SerializationError):
                session.publisher.publish(topic, payload)
        for attributes, path in (({"k": "\ud800"}, "attributes['k']"), ({"\ud800": "v"}, None)):
            with pytest.raises(ValidationError) as raised:
                session.publisher.publish(topic, "x", attributes=attributes)
            assert len(raised.value.errors) == 1
            assert path is None or raised.value.errors[0].path == path
        with pytest.raises(ValidationError) as raised:
            session.publisher.publish(topic, "x", ordering_key="\ud800")
        assert [error.path for error in raised.value.errors] == ["ordering_key"]
        session.publisher.publish(topic, "still usable")
        (got,) = session.rig.read(topic, 1)
        assert got.data == b"still usable"

    def test_str_is_sent_as_utf8_and_bytes_unchanged(self, session: _Session) -> None:
        topic = session.topic()
        session.publisher.publish(topic, "ação")
        session.publisher.publish(topic, b"\x00\xff raw")
        got = session.rig.read(topic, 2)
        assert sorted(m.data for m in got) == sorted(["ação".encode(), b"\x00\xff raw"])

    def test_attributes_round_trip_as_strings(self, session: _Session) -> None:
        """Pins: Attributes are strings; the caller's mappings are never mutated."""
        topic = session.topic()
        attributes = {"event": "order.created", "ç": "ü", "empty-ish": " "}
        snapshot = dict(attributes)
        session.publisher.publish(topic, {"id": 1}, attributes=attributes)
        (got,) = session.rig.read(topic, 1)
        assert got.attributes == snapshot
        assert attributes == snapshot

    def test_non_string_attributes_have_fixed_wire_spellings(self, session: _Session) -> None:
        """Golden wire strings, written out here rather than computed by the shared codec.

        Booleans are spelled as the JSON literals ``true``/``false`` (what a JSON payload,
        an HTTP query parameter and a Pub/Sub subscription filter such as
        ``attributes.flag = "true"`` all use), not Python's ``True``; numbers in decimal
        form, Decimals with their digits kept, UUIDs in canonical lower-case form.
        """
        topic = session.topic()
        attributes: dict[str, Any] = {
            "flag": True,
            "off": False,
            "n": 7,
            "neg": -3,
            "big": 10**20,
            "x": 2.5,
            "amount": Decimal("1.10"),
            "id": uuid.UUID("12345678-1234-5678-1234-56781234abcd"),
        }
        session.publisher.publish(topic, b"", attributes=attributes)
        (got,) = session.rig.read(topic, 1)
        assert got.attributes == {
            "flag": "true",
            "off": "false",
            "n": "7",
            "neg": "-3",
            "big": "100000000000000000000",
            "x": "2.5",
            "amount": "1.10",
            "id": "12345678-1234-5678-1234-56781234abcd",
        }

    def test_a_mapping_payload_has_fixed_wire_bytes(self, session: _Session) -> None:
        """Golden bytes for the JSON extensions: ISO 8601, UUIDs and Decimals as strings."""
        topic = session.topic()
        payload = {
            "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            "day": date(2024, 1, 2),
            "id": uuid.UUID("12345678-1234-5678-1234-56781234abcd"),
            "amount": Decimal("1.10"),
            "tags": ("a", "b"),
            "ok": True,
            "none": None,
        }
        session.publisher.publish(topic, payload)
        (got,) = session.rig.read(topic, 1)
        assert got.data == (
            b'{"at":"2024-01-02T03:04:05+00:00","day":"2024-01-02",'
            b'"id":"12345678-1234-5678-1234-56781234abcd","amount":"1.10",'
            b'"tags":["a","b"],"ok":true,"none":null}'
        )

    def test_attributes_at_pub_sub_limits_are_accepted(self, session: _Session) -> None:
        """100 attributes, a 256-byte key and a 1024-byte value: Pub/Sub's own limits."""
        topic = session.topic()
        attributes = {f"k{i:02}": "v" for i in range(99)} | {"k" * 256: "é" * 512}
        session.publisher.publish(topic, "at the limits", attributes=attributes)
        (got,) = session.rig.read(topic, 1)
        assert got.attributes == attributes

    def test_an_empty_payload_with_attributes_is_a_message(self, session: _Session) -> None:
        topic = session.topic()
        session.publisher.publish(topic, b"", attributes={"only": "attributes"})
        (got,) = session.rig.read(topic, 1)
        assert (got.data, got.attributes) == (b"", {"only": "attributes"})

    def test_returned_ids_are_unique_and_are_the_delivered_ids(self, session: _Session) -> None:
        """Pins: the returned id is unique per published message."""
        topic = session.topic()
        ids = [session.publisher.publish(topic, f"m{i}") for i in range(5)]
        ids += session.publish_all(topic, [f"c{i}" for i in range(5)])
        got = session.rig.read(topic, 10)
        assert len(set(ids)) == 10
        assert sorted(m.message_id for m in got) == sorted(ids)

    def test_each_publish_is_delivered_once(self, session: _Session) -> None:
        """At-least-once, and a successful publish is not duplicated by the publisher."""
        topic = session.topic()
        sent = session.publish_all(topic, [f"m{i}" for i in range(20)])
        got = session.rig.read(topic, 20)
        assert sorted(m.message_id for m in got) == sorted(sent)

    def test_same_ordering_key_is_delivered_in_publish_order(self, session: _Session) -> None:
        """Pins: Messages with the same ordering_key are delivered in publish order."""
        topic = session.topic()
        for i in range(5):
            session.publisher.publish(topic, f"a{i}", ordering_key="alpha")
        session.publish_all(topic, [f"b{i}" for i in range(10)], ordering_key="beta")
        session.publisher.publish(topic, "unordered")
        got = session.rig.read(topic, 16)
        for key, prefix, count in [("alpha", "a", 5), ("beta", "b", 10)]:
            keyed = [m.data.decode() for m in got if m.ordering_key == key]
            assert keyed == [f"{prefix}{i}" for i in range(count)]
        assert [m.ordering_key for m in got if m.data == b"unordered"] == [""]

    @pytest.mark.parametrize("topic", _BAD_TOPICS)
    def test_a_malformed_topic_is_a_validation_error(self, session: _Session, topic: str) -> None:
        """Pins: a malformed id raises ValidationError before any network call."""
        with pytest.raises(ValidationError, match="topic") as raised:
            session.publisher.publish(topic, "payload")
        assert [error.path for error in raised.value.errors] == ["topic"]

    @pytest.mark.parametrize(
        "topic",
        [
            pytest.param(None, id="none"),
            pytest.param(b"projects/p/topics/orders", id="bytes"),
            pytest.param(42, id="int"),
        ],
    )
    def test_a_topic_that_is_not_a_str_is_a_validation_error(
        self, session: _Session, topic: object
    ) -> None:
        """Pins: a non-str topic (bytes included) is a ValidationError on the ``topic`` field."""
        with pytest.raises(ValidationError) as raised:
            session.publisher.publish(topic, "payload")
        assert [error.path for error in raised.value.errors] == ["topic"]

    def test_an_ordering_key_of_exactly_1024_bytes_is_accepted(self, session: _Session) -> None:
        """Pins: the ordering key is at most 1024 bytes, counted in UTF-8, the limit included."""
        topic = session.topic()
        ascii_key, accented_key = "o" * 1024, "é" * 512
        session.publisher.publish(topic, "ascii", ordering_key=ascii_key)
        session.publisher.publish(topic, "accented", ordering_key=accented_key)
        with pytest.raises(ValidationError) as raised:
            session.publisher.publish(topic, "over", ordering_key="é" * 512 + "o")
        assert [error.path for error in raised.value.errors] == ["ordering_key"]
        got = session.rig.read(topic, 2)
        assert sorted((m.data, m.ordering_key) for m in got) == sorted(
            [(b"ascii", ascii_key), (b"accented", accented_key)]
        )

    def test_a_missing_topic_is_not_found(self, session: _Session) -> None:
        """Pins: a missing topic raises NotFoundError."""
        missing = session.topic("missing", create=False)
        with pytest.raises(NotFoundError):
            session.publisher.publish(missing, "payload")
        with pytest.raises(NotFoundError):
            session.publisher.publish(missing, "payload", ordering_key="k")

    def test_an_ordering_key_still_works_after_a_failed_ordered_publish(
        self, session: _Session
    ) -> None:
        topic = session.topic()
        with pytest.raises(NotFoundError):
            session.publisher.publish(session.topic("gone", create=False), "x", ordering_key="k")
        session.publisher.publish(topic, "after", ordering_key="k")
        assert [m.data for m in session.rig.read(topic, 1)] == [b"after"]

    @pytest.mark.parametrize(
        ("payload", "options", "path"),
        [
            pytest.param(b"", {}, "payload", id="empty-message"),
            pytest.param("x", {"attributes": {"k": None}}, "attributes['k']", id="none-attribute"),
            pytest.param(
                "x", {"attributes": {"k": b"bytes"}}, "attributes['k']", id="bytes-attribute"
            ),
            pytest.param(
                "x", {"attributes": {"": "v"}}, "attributes['']", id="empty-attribute-key"
            ),
            pytest.param(
                "x",
                {"attributes": {"googkey": "v"}},
                "attributes['googkey']",
                id="goog-attribute-key",
            ),
            pytest.param(
                "x",
                {"attributes": {"timeout": "5"}},
                "attributes['timeout']",
                id="sdk-reserved-key",
            ),
            pytest.param("x", {"ordering_key": ""}, "ordering_key", id="empty-ordering-key"),
            pytest.param(
                "x", {"ordering_key": "o" * 1025}, "ordering_key", id="ordering-key-over-1024-bytes"
            ),
            pytest.param(
                "x",
                {"attributes": {"k": "v" * 1025}},
                "attributes['k']",
                id="value-over-1024-bytes",
            ),
            pytest.param(
                "x",
                {"attributes": {"k" * 257: "v"}},
                "attributes['" + "k" * 257 + "']",
                id="key-over-256-bytes",
            ),
            pytest.param(
                "x",
                {"attributes": {f"k{i}": "v" for i in range(101)}},
                "attributes",
                id="101-attributes",
            ),
        ],
    )
    def test_invalid_messages_are_validation_errors(
        self, session: _Session, payload: Payload, options: dict[str, Any], path: str
    ) -> None:
        """Pins: a ValidationError naming the offending field; the publisher stays usable."""
        topic = session.topic()
        with pytest.raises(ValidationError) as raised:
            session.publisher.publish(topic, payload, **options)
        assert [error.path for error in raised.value.errors] == [path]
        session.publisher.publish(topic, "valid")
        assert [m.data for m in session.rig.read(topic, 1)] == [b"valid"]

    def test_publishing_after_close_is_a_configuration_error(self, session: _Session) -> None:
        """Pins: close(): later publishes raise."""
        topic = session.topic()
        session.publisher.publish(topic, "before")
        session.publisher.close()
        with pytest.raises(ConfigurationError) as raised:
            session.publisher.publish(topic, "after")
        assert isinstance(raised.value, RuntimeError)  # as the Google SDK's was
        assert [m.data for m in session.rig.read(topic, 1)] == [b"before"]

    def test_differential_against_fake(self, open_publisher: RigFactory) -> None:
        """Random publish sequences succeed, fail and deliver like the reference model.

        The model is the suite's own (not the fake), so the fake's cell tests the fake
        and a shared-codec bug is blamed on every cell.
        """

        class Machine(_PublisherMachine):
            def __init__(self) -> None:
                super().__init__(open_publisher)

        run_state_machine_as_test(Machine, settings=hypothesis_settings())


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
_PAYLOADS = st.one_of(
    st.binary(max_size=16),
    _TEXT,
    st.dictionaries(
        _TEXT, st.one_of(st.integers(-(2**40), 2**40), _TEXT, st.booleans()), max_size=3
    ),
)
_ATTRIBUTES = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["a", "kind", "ç", "", "goog", "topic"]),
        st.one_of(_TEXT, st.integers(-9, 9), st.booleans()),
        max_size=3,
    ),
)


class _ModelPublisher:
    """The suite's reference model of publishing, for the inputs the machine draws.

    Written from Pub/Sub's documented rules and the port's spellings, sharing no code with
    the fake or ``serpens._rules.publisher``, so a failure blames the publisher under
    test, the fake included, and a bug in the shared codec shows up too.
    """

    def __init__(self) -> None:
        self.topics: dict[str, list[Received]] = {}

    @staticmethod
    def _wire(payload: Payload) -> bytes:
        if isinstance(payload, bytes):
            return payload
        if isinstance(payload, str):
            return payload.encode("utf-8")
        return json.dumps(dict(payload), separators=(",", ":"), ensure_ascii=False).encode()

    @staticmethod
    def _spell(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    async def publish(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, object] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        if not topic.startswith("projects/") or len(topic.rsplit("/", 1)[-1]) < 3:
            raise ValidationError("malformed topic")
        for key in attributes or {}:
            if not key or key.startswith("goog") or key == "topic":
                raise ValidationError("invalid attribute key")
        data = self._wire(payload)
        if not data and not attributes:
            raise ValidationError("empty message")
        if topic not in self.topics:
            raise NotFoundError("no such topic")
        message_id = uuid.uuid4().hex
        spelled = {k: self._spell(v) for k, v in (attributes or {}).items()}
        self.topics[topic].append(Received(message_id, data, spelled, ordering_key or ""))
        return message_id

    async def close(self) -> None:
        """Nothing to release."""


class _ModelRig:
    """A rig over :class:`_ModelPublisher`."""

    def __init__(self) -> None:
        self.model = _ModelPublisher()
        self.publisher: Any = self.model
        self._seen: dict[str, int] = {}

    def create_topic(self, topic: str) -> None:
        self.model.topics[topic] = []
        self._seen[topic] = 0

    def read(self, topic: str, expected: int) -> list[Received]:
        messages = self.model.topics[topic][self._seen[topic] :]
        self._seen[topic] += len(messages)
        return messages

    def close(self) -> None:
        """Nothing to release."""


class _PublisherMachine(RuleBasedStateMachine):
    """Publishes to the reference model and the implementation; both must agree."""

    def __init__(self, factory: RigFactory) -> None:
        super().__init__()
        namespace = f"d{uuid.uuid4().hex[:12]}"
        self.runner = asyncio.Runner()
        self.model = _ModelRig()
        self.rig = factory(namespace)
        self.topics = [f"projects/{PROJECT}/topics/{namespace}-t{i}" for i in range(2)]
        for rig in (self.model, self.rig):
            for topic in self.topics:
                rig.create_topic(topic)
        self.missing = f"projects/{PROJECT}/topics/{namespace}-missing"
        self.unread: dict[str, int] = dict.fromkeys(self.topics, 0)
        self.ids: set[str] = set()

    def _publish(self, rig: PublisherRig, *args: Any, **kwargs: Any) -> Any:
        return observe(lambda: self.runner.run(rig.publisher.publish(*args, **kwargs)))

    @rule(
        index=st.sampled_from([0, 1, "missing", "malformed"]),
        payload=_PAYLOADS,
        attributes=_ATTRIBUTES,
        ordering_key=st.sampled_from([None, "k1", "k2"]),
    )
    def publish(
        self,
        index: int | str,
        payload: Payload,
        attributes: dict[str, Any] | None,
        ordering_key: str | None,
    ) -> None:
        topic = {"missing": self.missing, "malformed": "projects/p/topics/x"}.get(
            str(index), self.topics[index] if isinstance(index, int) else ""
        )
        options = {"attributes": attributes, "ordering_key": ordering_key}
        expected = self._publish(self.model, topic, payload, **options)
        actual = self._publish(self.rig, topic, payload, **options)
        assert (actual.error, actual.value is None) == (expected.error, expected.value is None), (
            f"publish({topic!r}, {payload!r}, {options}): the publisher under test gave"
            f" {actual}, the suite's reference model {expected}"
        )
        if expected.error is None:
            self.unread[topic] += 1
            assert actual.value not in self.ids, f"id {actual.value!r} was returned twice"
            self.ids.add(actual.value)

    @precondition(lambda self: any(self.unread.values()))
    @rule()
    def read_back(self) -> None:
        for topic, count in self.unread.items():
            expected = self.model.read(topic, count)
            actual = self.rig.read(topic, count)
            assert _delivered(actual) == _delivered(expected), (
                f"{topic}: delivered {_delivered(actual)}, reference model {_delivered(expected)}"
            )
            for key in ("k1", "k2"):
                assert _keyed(actual, key) == _keyed(expected, key), (topic, key)
            self.unread[topic] = 0

    def teardown(self) -> None:
        try:
            self.runner.run(self.rig.publisher.close())
        except SerpensError:  # pragma: no cover - a failing close is reported by its own test
            pass
        finally:
            self.rig.close()
            self.runner.close()


def _delivered(messages: list[Received]) -> list[tuple[bytes, list[tuple[str, str]], str]]:
    return sorted((m.data, sorted(m.attributes.items()), m.ordering_key) for m in messages)


def _keyed(messages: list[Received], key: str) -> list[bytes]:
    return [m.data for m in messages if m.ordering_key == key]
