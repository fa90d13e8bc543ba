"""The exact wording of the in-memory publisher's errors.

Topics, ordering keys, attributes and payloads, a closed publisher and an outage.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from serpens.errors import (
    BackendUnavailableError,
    NotFoundError,
    NotInitializedError,
    SerializationError,
    ValidationError,
)
from serpens.fakes import InMemoryPublisher
from tests.serpens.fakes.error_messages._error_cases import (
    _down,
    _observed,
    _untyped,
)

_TOPIC = "projects/demo/topics/orders"
_LONG_KEY = "k" * 257
"""An attribute key one byte over Pub/Sub's limit."""


async def _publish_after_close() -> None:
    publisher = InMemoryPublisher()
    await publisher.close()
    await publisher.publish(_TOPIC, b"x")


PUBLISHER_CASES = [
    pytest.param(
        lambda: InMemoryPublisher().publish(_untyped(42), b"x"),
        ValidationError,
        "invalid topic: topic: expected a str, got int",
        [("topic", "expected a str, got int")],
        id="publisher-topic-not-a-str",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish("orders", b"x"),
        ValidationError,
        (
            "invalid topic: topic: "
            "'orders' is not a full topic id 'projects/<project>/topics/<name>' (name: "
            "3-255 of letters, digits, -_.~+%, starting with a letter, not 'goog')"
        ),
        [
            (
                "topic",
                (
                    "'orders' is not a full topic id 'projects/<project>/topics/<name>' (name: "
                    "3-255 of letters, digits, -_.~+%, starting with a letter, not 'goog')"
                ),
            ),
        ],
        id="publisher-topic-short-name",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish("projects/demo/topics/goog-orders", b"x"),
        ValidationError,
        (
            "invalid topic: topic: "
            "'projects/demo/topics/goog-orders' is not a full topic id "
            "'projects/<project>/topics/<name>' (name: "
            "3-255 of letters, digits, -_.~+%, starting with a letter, not 'goog')"
        ),
        [
            (
                "topic",
                (
                    "'projects/demo/topics/goog-orders' is not a full topic id "
                    "'projects/<project>/topics/<name>' (name: "
                    "3-255 of letters, digits, -_.~+%, starting with a letter, not 'goog')"
                ),
            ),
        ],
        id="publisher-topic-starting-goog",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b""),
        ValidationError,
        "invalid message: payload: empty payload needs at least one attribute",
        [("payload", "empty payload needs at least one attribute")],
        id="publisher-empty-payload-without-attributes",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", ordering_key=""),
        ValidationError,
        "invalid ordering key: ordering_key: a non-empty str of at most 1024 UTF-8 bytes"
        " (no lone surrogate), or None",
        [
            (
                "ordering_key",
                "a non-empty str of at most 1024 UTF-8 bytes (no lone surrogate), or None",
            )
        ],
        id="publisher-empty-ordering-key",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(
            _TOPIC, b"x", attributes={f"k{i}": "v" for i in range(101)}
        ),
        ValidationError,
        "invalid attributes: attributes: at most 100 attributes per message",
        [("attributes", "at most 100 attributes per message")],
        id="publisher-too-many-attributes",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", attributes={"googKey": "v"}),
        ValidationError,
        "invalid attributes: attributes['googKey']: keys are non-empty str not starting 'goog'",
        [("attributes['googKey']", "keys are non-empty str not starting 'goog'")],
        id="publisher-attribute-key-starting-goog",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", attributes={"timeout": "v"}),
        ValidationError,
        (
            "invalid attributes: attributes['timeout']: "
            "reserved by google-cloud-pubsub's publish(): "
            "['data', 'ordering_key', 'retry', 'self', 'timeout', 'topic']"
        ),
        [
            (
                "attributes['timeout']",
                (
                    "reserved by google-cloud-pubsub's publish(): "
                    "['data', 'ordering_key', 'retry', 'self', 'timeout', 'topic']"
                ),
            ),
        ],
        id="publisher-attribute-key-reserved",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", attributes={_LONG_KEY: "v"}),
        ValidationError,
        # the key is echoed whole: this one is 257 "k"s
        f"invalid attributes: attributes['{_LONG_KEY}']: key longer than 256 bytes",
        [(f"attributes['{_LONG_KEY}']", "key longer than 256 bytes")],
        id="publisher-attribute-key-too-long",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", attributes={"k": _untyped(None)}),
        ValidationError,
        (
            "invalid attributes: attributes['k']: "
            "expected str, bytes, int, float, bool, Decimal or UUID, got NoneType"
        ),
        [
            (
                "attributes['k']",
                "expected str, bytes, int, float, bool, Decimal or UUID, got NoneType",
            )
        ],
        id="publisher-attribute-value-wrong-type",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", attributes={"k": "v" * 1025}),
        ValidationError,
        "invalid attributes: attributes['k']: longer than 1024 bytes",
        [("attributes['k']", "longer than 1024 bytes")],
        id="publisher-attribute-value-too-long",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, _untyped(42)),
        SerializationError,
        "payload must be bytes, str or a mapping, got int",
        [],
        id="publisher-payload-wrong-type",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, {"at": object()}),
        SerializationError,
        "payload cannot be encoded as JSON: object is not JSON serialisable",
        [],
        id="publisher-payload-not-json",
    ),
    pytest.param(
        lambda: InMemoryPublisher(topics=[_TOPIC]).publish("projects/demo/topics/other", b"x"),
        NotFoundError,
        "topic projects/demo/topics/other does not exist",
        [],
        id="publisher-topic-does-not-exist",
    ),
    pytest.param(
        _publish_after_close,
        NotInitializedError,
        "the publisher is closed; create a new one",
        [],
        id="publisher-publish-after-close",
    ),
    pytest.param(
        lambda: _down(InMemoryPublisher()).publish(_TOPIC, b"x"),
        BackendUnavailableError,
        "InMemoryPublisher: simulated outage, the backend is unreachable",
        [],
        id="publisher-outage",
    ),
]


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), PUBLISHER_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
