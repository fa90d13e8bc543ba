"""Sans-I/O rules of Pub/Sub publishing, shared by ``serpens.pubsub``, the fake and the adapter.

Everything here runs before any network call, so a malformed topic, payload or
attribute is a :class:`~serpens.errors.ValidationError` (or, for a payload that
cannot be encoded, a :class:`~serpens.errors.SerializationError`) raised in the
caller's frame, identically by every :class:`~serpens.ports.Publisher`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from serpens._config import env_float
from serpens._rules.queue import exact_decimal
from serpens._rules.text import has_utf8
from serpens.errors import ConfigurationError, FieldError, SerializationError, ValidationError
from serpens.ports import Payload

__all__ = [
    "DEFAULT_PUBLISH_TIMEOUT",
    "MAX_ATTRIBUTES",
    "MAX_REQUEST_BYTES",
    "AttributeValue",
    "OutgoingMessage",
    "encode_attributes",
    "encode_json",
    "encode_payload",
    "prepare",
    "publish_timeout",
    "request_size",
    "validate_topic",
]

AttributeValue = str | int | float | bool
"""Attribute values accepted on publish; non-str values are converted (see encode_attributes)."""

DEFAULT_PUBLISH_TIMEOUT = 60.0
"""Seconds a publish may take, retries included (``PUBSUB_PUBLISH_TIMEOUT`` overrides)."""

MAX_ATTRIBUTES = 100
"""Pub/Sub's limit on attributes per message."""
_MAX_KEY_BYTES = 256
_MAX_VALUE_BYTES = 1024
_MAX_ORDERING_KEY_BYTES = 1024
MAX_REQUEST_BYTES = 10_000_000
"""Pub/Sub's limit on a publish request (topic, data, attributes and ordering key, serialized).

google-cloud-pubsub refuses a message whose one-message ``PublishRequest`` is larger
(``MessageTooLargeError``, its ``_SERVER_PUBLISH_MAX_BYTES``); :func:`request_size`
computes the same number without the SDK, so the fake refuses exactly what the adapter does.
"""
# google-cloud-pubsub's Client.publish(topic, data, ordering_key, retry, timeout, **attrs)
# cannot carry attributes named like its own parameters.
_RESERVED_KEYS = frozenset({"data", "ordering_key", "retry", "self", "timeout", "topic"})

# Google's resource-name rules: the topic starts with a letter, is 3-255 characters of
# letters, digits and ``-_.~+%``, and does not start with ``goog``.
_TOPIC = re.compile(r"projects/([^/]+)/topics/([A-Za-z][A-Za-z0-9\-_.~+%]{2,254})")
# A project is a project id (lowercase ASCII letters, digits and hyphens), a
# domain-scoped id (``example.com:my-project``: dots and a colon too) or a project
# number (digits): nothing else names a Google Cloud project. The 6-30 length of a real
# id is not enforced, since emulators and local tests use short names such as ``demo``.
_PROJECT = re.compile(r"[a-z0-9][a-z0-9.:\-]*")


def publish_timeout(timeout: float | None) -> float:
    """Seconds one publish may take: *timeout*, else ``PUBSUB_PUBLISH_TIMEOUT``, else 60.

    Raises:
        ConfigurationError: *timeout* or the variable is not a positive number.
    """
    if timeout is not None:
        if not timeout > 0:
            raise ConfigurationError("timeout must be a positive number of seconds")
        return float(timeout)
    return env_float("PUBSUB_PUBLISH_TIMEOUT", DEFAULT_PUBLISH_TIMEOUT, minimum=0.001)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A validated message ready for the wire: bytes, string attributes, ordering key."""

    topic: str
    data: bytes
    attributes: Mapping[str, str]
    ordering_key: str


def _invalid(summary: str, path: str, reason: str) -> ValidationError:
    return ValidationError(summary, [FieldError(path, reason)])


def _invalid_attribute(key: object, reason: str) -> ValidationError:
    return _invalid("invalid attributes", f"attributes[{key!r}]", reason)


def validate_topic(topic: object) -> str:
    """Return *topic* if it is a full id ``projects/<project>/topics/<name>``.

    The name follows Pub/Sub's rules (3-255 ASCII letters, digits and ``-_.~+%``,
    starting with a letter, not with ``goog``); the project is spelt as Google Cloud
    spells one: lowercase ASCII letters, digits and ``-``, with ``.`` and ``:`` for a
    domain-scoped project (``example.com:my-project``). So no NUL, control character,
    lone surrogate, space or other non-ASCII character reaches a database or the SDK.

    Raises:
        ValidationError: the id is not a string, is a short name, or breaks Google's
            naming rules; the message shows the expected shape.
    """
    if not isinstance(topic, str):
        raise _invalid("invalid topic", "topic", f"expected a str, got {type(topic).__name__}")
    match = _TOPIC.fullmatch(topic)
    if match is None or match[2].lower().startswith("goog"):
        raise _invalid(
            "invalid topic",
            "topic",
            f"{topic!r} is not a full topic id 'projects/<project>/topics/<name>' "
            "(name: 3-255 of letters, digits, -_.~+%, starting with a letter, not 'goog')",
        )
    if _PROJECT.fullmatch(match[1]) is None:
        # a NUL, control character, lone surrogate or space reached a driver or the SDK
        # as a bare ValueError or UnicodeEncodeError: no project is spelt with one
        raise _invalid(
            "invalid topic",
            "topic",
            f"{topic!r}: the project {match[1]!r} is not a Google Cloud project (lowercase "
            "ASCII letters, digits and '-', with '.' and ':' for a domain-scoped project)",
        )
    return topic


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_json(value: object) -> bytes:
    """Return *value* as compact UTF-8 JSON, with the value rules of :func:`encode_payload`.

    Raises:
        SerializationError: *value* holds something JSON cannot encode.
    """
    try:
        text = json.dumps(
            value,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
            default=_json_default,
        )
    except (TypeError, ValueError) as exc:
        raise SerializationError(f"payload cannot be encoded as JSON: {exc}") from exc
    return _utf8_payload(text)


def _utf8_payload(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 form
        detail = f"{exc.reason} at {exc.start}"
        raise SerializationError(f"payload has no UTF-8 form: {detail}") from None


def encode_payload(payload: Payload) -> bytes:
    """Return the wire bytes of *payload*.

    ``bytes`` are sent as is, ``str`` as UTF-8 and a mapping as compact JSON
    (``separators=(",", ":")``, non-ASCII kept as UTF-8, NaN and infinities refused;
    datetimes and dates as ISO 8601, UUIDs and Decimals as strings, sets and tuples as
    lists).

    Raises:
        SerializationError: the payload is another type or holds a value JSON cannot encode.
    """
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return _utf8_payload(payload)
    if isinstance(payload, Mapping):
        return encode_json(payload)
    raise SerializationError(
        f"payload must be bytes, str or a mapping, got {type(payload).__name__}"
    )


def _number_text(key: str, value: float | Decimal) -> str:
    """A number attribute in decimal form, never with an exponent (as a Queue sends one)."""
    number = exact_decimal(value)
    if not number.is_finite():
        raise _invalid_attribute(key, "NaN and infinity have no decimal form")
    # the form's length bounds, before building it: Decimal("1E+99999999") is 100 MB of 0s
    exponent = int(number.as_tuple().exponent)
    if number.adjusted() >= _MAX_VALUE_BYTES or exponent < -_MAX_VALUE_BYTES:
        raise _invalid_attribute(key, f"longer than {_MAX_VALUE_BYTES} bytes in decimal form")
    return format(number, "f")


def _attribute_value(key: str, value: object) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float | Decimal):
        text = _number_text(key, value)
    elif isinstance(value, uuid.UUID):
        text = str(value)
    elif isinstance(value, bytes):  # the SDK decodes bytes as UTF-8; serpens 2.9 passed them
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid_attribute(key, "bytes that are not UTF-8 text") from None
    else:
        raise _invalid_attribute(
            key,
            f"expected str, bytes, int, float, bool, Decimal or UUID, got {type(value).__name__}",
        )
    if not has_utf8(text):
        raise _invalid_attribute(key, "the value has no UTF-8 form (a lone surrogate)")
    if len(text.encode("utf-8")) > _MAX_VALUE_BYTES:
        raise _invalid_attribute(key, f"longer than {_MAX_VALUE_BYTES} bytes")
    return text


def encode_attributes(attributes: Mapping[str, object] | None) -> dict[str, str]:
    """Return a new dict of string attributes; the caller's mapping is never mutated.

    ``str`` values are kept, ``bytes`` decoded as UTF-8 (as the SDK decodes them),
    ``bool`` becomes ``"true"``/``"false"``, ``int``, ``float`` and ``Decimal`` their
    decimal form, never with an exponent (``1e20`` is
    ``"100000000000000000000"``, ``1e-7`` is ``"0.0000001"``, ``Decimal("1E+2")`` is
    ``"100"``, a float its shortest ``repr`` exactly, a Decimal's digits kept:
    ``Decimal("1.10")`` is ``"1.10"``), and ``UUID`` its canonical form. NaN and
    infinities, which have no decimal form, bytes that are not UTF-8 and any other value
    (``None``, containers) is a :class:`ValidationError` naming the attribute, as are empty
    keys, keys starting with ``goog``, keys the SDK's ``publish()`` reserves (``data``,
    ``ordering_key``, ``retry``, ``self``, ``timeout``, ``topic``), over-long keys or
    values and more than 100 attributes.
    """
    if attributes is None:
        return {}
    if not isinstance(attributes, Mapping):
        raise _invalid(
            "invalid attributes",
            "attributes",
            f"expected a mapping, got {type(attributes).__name__}",
        )
    if not attributes:
        return {}
    if len(attributes) > MAX_ATTRIBUTES:
        raise _invalid(
            "invalid attributes", "attributes", f"at most {MAX_ATTRIBUTES} attributes per message"
        )
    encoded: dict[str, str] = {}
    for key, value in attributes.items():
        if not isinstance(key, str) or not key or key.lower().startswith("goog"):
            raise _invalid_attribute(key, "keys are non-empty str not starting 'goog'")
        if key in _RESERVED_KEYS:
            raise _invalid_attribute(
                key, f"reserved by google-cloud-pubsub's publish(): {sorted(_RESERVED_KEYS)}"
            )
        if not has_utf8(key):
            raise _invalid_attribute(key, "the key has no UTF-8 form (a lone surrogate)")
        if len(key.encode("utf-8")) > _MAX_KEY_BYTES:
            raise _invalid_attribute(key, f"key longer than {_MAX_KEY_BYTES} bytes")
        encoded[key] = _attribute_value(key, value)
    return encoded


def _varint_len(value: int) -> int:
    """Bytes of *value* as a protobuf varint."""
    return max(1, (value.bit_length() + 6) // 7)


def _field_len(size: int) -> int:
    """Bytes of one length-delimited protobuf field of *size* bytes (1-byte tag)."""
    return 1 + _varint_len(size) + size


def request_size(topic: str, data: bytes, attributes: Mapping[str, str], ordering_key: str) -> int:
    """Serialized bytes of the ``PublishRequest`` carrying this one message.

    Mirrors protobuf's encoding of ``PublishRequest{topic, messages: [PubsubMessage{data,
    attributes, ordering_key}]}``: empty ``data``/``ordering_key`` are omitted, and every
    map entry carries its key and value, even an empty value.
    """
    message = _field_len(len(data)) if data else 0
    for key, value in attributes.items():
        entry = _field_len(len(key.encode())) + _field_len(len(value.encode()))
        message += _field_len(entry)
    if ordering_key:
        message += _field_len(len(ordering_key.encode()))
    return _field_len(len(topic.encode())) + _field_len(message)


def prepare(
    topic: str,
    payload: Payload,
    attributes: Mapping[str, object] | None = None,
    ordering_key: str | None = None,
) -> OutgoingMessage:
    """Validate and encode one message, or raise before any network call.

    A message needs a non-empty payload or at least one attribute (Pub/Sub rejects
    empty messages); the ordering key, when given, is a non-empty str of at most 1024 bytes;
    the serialized publish request may not exceed :data:`MAX_REQUEST_BYTES` (10 MB, data,
    attributes and ordering key together), which Pub/Sub and its SDK refuse.
    """
    validate_topic(topic)
    data = encode_payload(payload)
    attrs = encode_attributes(attributes)
    if not data and not attrs:
        raise _invalid("invalid message", "payload", "empty payload needs at least one attribute")
    if ordering_key is not None and (
        not isinstance(ordering_key, str)
        or not ordering_key
        or not has_utf8(ordering_key)
        or len(ordering_key.encode("utf-8")) > _MAX_ORDERING_KEY_BYTES
    ):
        raise _invalid(
            "invalid ordering key",
            "ordering_key",
            "a non-empty str of at most 1024 UTF-8 bytes (no lone surrogate), or None",
        )
    size = request_size(topic, data, attrs, ordering_key or "")
    if size > MAX_REQUEST_BYTES:
        raise _invalid(
            "message too large",
            "payload",
            f"the publish request would be {size} bytes; Pub/Sub accepts at most "
            f"{MAX_REQUEST_BYTES} (data, attributes and ordering key together)",
        )
    return OutgoingMessage(topic, data, attrs, ordering_key or "")
