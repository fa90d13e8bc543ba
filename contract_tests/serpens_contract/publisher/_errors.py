"""Publisher cases about refused publishes: bad or missing topics, invalid messages, close.

One theme of :class:`~serpens_contract.publisher.PublisherContract`: each error is the
port's typed error naming the offending field, raised before any network call where
the input alone decides it.
"""

from __future__ import annotations

from typing import Any

import pytest

from serpens._rules.publisher import MAX_REQUEST_BYTES, request_size
from serpens.errors import ConfigurationError, NotFoundError, ValidationError
from serpens.ports import Payload
from serpens_contract.publisher._session import _BAD_TOPICS, _Session


class _PublisherErrorCases:
    """Malformed and missing topics, invalid messages and a closed publisher."""

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

    def test_a_missing_topic_is_not_found(self, session: _Session) -> None:
        """Pins: a missing topic raises NotFoundError."""
        missing = session.topic("missing", create=False)
        with pytest.raises(NotFoundError):
            session.publisher.publish(missing, "payload")
        with pytest.raises(NotFoundError):
            session.publisher.publish(missing, "payload", ordering_key="k")

    @pytest.mark.parametrize(
        ("payload", "options", "path"),
        [
            pytest.param(b"", {}, "payload", id="empty-message"),
            pytest.param("x", {"attributes": {"k": None}}, "attributes['k']", id="none-attribute"),
            pytest.param(
                "x",
                {"attributes": {"k": b"\xff"}},
                "attributes['k']",
                id="non-utf8-bytes-attribute",
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

    @pytest.mark.parametrize(
        ("size", "attributes"),
        [
            pytest.param(10_000_001, {}, id="payload-over-10-MB"),
            pytest.param(
                9_950_000, {f"k{i}": "v" * 1024 for i in range(100)}, id="payload-plus-attributes"
            ),
        ],
    )
    def test_a_message_over_pubsubs_size_limit_is_a_validation_error(
        self, session: _Session, size: int, attributes: dict[str, str]
    ) -> None:
        """Pins: Pub/Sub's 10 MB request limit (data, attributes, key) is checked before I/O.

        The SDK would raise its own ``MessageTooLargeError`` (a ValueError) and a fake
        without the rule would accept: both refuse with ValidationError on ``payload``.
        """
        topic = session.topic()
        with pytest.raises(ValidationError) as raised:
            session.publisher.publish(topic, b"x" * size, attributes=attributes)
        assert [error.path for error in raised.value.errors] == ["payload"]
        assert session.rig.read(topic, 0) == []

    def test_a_message_of_exactly_the_size_limit_is_delivered(self, session: _Session) -> None:
        """Pins: the largest request Pub/Sub accepts is published and delivered whole."""
        topic = session.topic()
        attributes, key = {"k": "v" * 1024}, "order"
        size = MAX_REQUEST_BYTES - request_size(topic, b"", attributes, key)
        while request_size(topic, b"x" * size, attributes, key) > MAX_REQUEST_BYTES:
            size -= 1  # the data field's own tag and length take a few bytes
        assert request_size(topic, b"x" * size, attributes, key) == MAX_REQUEST_BYTES
        session.publisher.publish(topic, b"x" * size, attributes=attributes, ordering_key=key)
        [got] = session.rig.read(topic, 1)
        assert (len(got.data), got.attributes, got.ordering_key) == (size, attributes, key)
        with pytest.raises(ValidationError):
            session.publisher.publish(
                topic, b"x" * (size + 1), attributes=attributes, ordering_key=key
            )

    def test_publishing_after_close_is_a_configuration_error(self, session: _Session) -> None:
        """Pins: close(): later publishes raise."""
        topic = session.topic()
        session.publisher.publish(topic, "before")
        session.publisher.close()
        with pytest.raises(ConfigurationError) as raised:
            session.publisher.publish(topic, "after")
        assert isinstance(raised.value, RuntimeError)  # as the Google SDK's was
        assert [m.data for m in session.rig.read(topic, 1)] == [b"before"]
