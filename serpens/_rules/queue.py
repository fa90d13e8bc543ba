"""Sans-I/O argument rules shared by every Queue (fake, SQS and PostgreSQL adapters).

The limits are Amazon SQS's, so code tested against the fake does not fail on SQS.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Mapping
from decimal import Decimal

from serpens.errors import ValidationError

__all__ = [
    "DEDUP_WINDOW_SECONDS",
    "DEFAULT_VISIBILITY_TIMEOUT",
    "MAX_ATTRIBUTES",
    "MAX_BODY_BYTES",
    "MAX_DELAY_SECONDS",
    "MAX_MESSAGES",
    "MAX_MESSAGE_BYTES",
    "MAX_VISIBILITY_TIMEOUT",
    "MAX_WAIT_SECONDS",
    "AttributeValue",
    "check_receive",
    "check_send",
    "check_visibility",
    "check_visibility_change",
    "dedup_key",
    "exact_decimal",
    "message_size",
    "number_text",
    "string_attributes",
    "visibility_change_error",
]

MAX_MESSAGES = 10
MAX_DELAY_SECONDS = 900
MAX_VISIBILITY_TIMEOUT = 43_200
MAX_WAIT_SECONDS = 20
MAX_MESSAGE_BYTES = 262_144
MAX_BODY_BYTES = MAX_MESSAGE_BYTES
MAX_ATTRIBUTES = 10
DEFAULT_VISIBILITY_TIMEOUT = 30
DEDUP_WINDOW_SECONDS = 300

AttributeValue = str | int | float | Decimal
"""An attribute value a Queue accepts: strings, and numbers that read back as strings."""


_NOT_SQS_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""A character SQS refuses in a body or a string attribute value (``InvalidMessageContents``):
it takes ``#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`` only, so no
NUL or other control character, no lone surrogate, no U+FFFE or U+FFFF."""


def _check_text(what: str, text: str) -> None:
    """Raise ValidationError when *text* holds a character SQS refuses (moto takes them)."""
    found = _NOT_SQS_TEXT.search(text)
    if found is not None:
        raise ValidationError(
            f"{what} holds a character SQS refuses ({ord(found.group()):#06x} at index "
            f"{found.start()}): only tab, newline, carriage return and Unicode from U+0020 "
            "(no surrogates, U+FFFE or U+FFFF)"
        )


_NAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_-.")
_MAX_NAME_LENGTH = 256
_RESERVED_PREFIXES = ("aws.", "amazon.")


def _check_attribute_name(name: object) -> None:
    """SQS's rules for a message attribute's name (it answers InvalidParameterValue).

    1 to 256 ASCII letters, digits, ``_``, ``-`` and ``.``; no ``.`` first, last or twice
    in a row; and not ``AWS.`` or ``Amazon.`` first, in any case (reserved by AWS).
    """
    if (
        not isinstance(name, str)
        or not 1 <= len(name) <= _MAX_NAME_LENGTH
        or not _NAME_CHARACTERS.issuperset(name)
        or name[0] == "."
        or name[-1] == "."
        or ".." in name
        or name.lower().startswith(_RESERVED_PREFIXES)
    ):
        raise ValidationError(
            f"attribute name {name!r} must be 1 to 256 ASCII letters, digits, '_', '-' or"
            " '.', with no '.' first, last or twice in a row, and not start with 'AWS.' or"
            " 'Amazon.'"
        )


_MAX_NUMBER_DIGITS = 38
_SMALLEST_NUMBER = Decimal("1E-128")
_LARGEST_NUMBER = Decimal("1E+126")


def exact_decimal(value: float | Decimal) -> Decimal:
    """*value* as the Decimal its text shows; a float is its shortest ``repr``, exactly.

    ``Decimal(1e-7)`` would be the float's binary value (``9.99999999999999954748...E-8``);
    this is ``Decimal("1E-7")``, whose decimal form is ``0.0000001``. Shared with the
    publisher's rules, which spell number attributes the same way.
    """
    return Decimal(float.__repr__(value)) if isinstance(value, float) else Decimal(value)


def number_text(name: str, value: float | Decimal) -> str:
    """Return the text a Number attribute *value* is sent as: decimal form, no exponent.

    ``1e20`` is ``"100000000000000000000"``, ``Decimal("1E+2")`` is ``"100"`` and ``1e-7``
    is ``"0.0000001"`` (a float is its shortest ``repr``, exactly). SQS's documented
    limits hold: finite, at most 38 significant digits (leading and trailing zeros do not
    count) and 0 or of magnitude 1E-128 to 1E+126; anything else is a ValidationError.
    """
    number = exact_decimal(value)
    if not number.is_finite():
        raise ValidationError(f"attribute {name!r}: NaN and infinity are not numbers SQS takes")
    if number:
        significant = len(bytes(number.as_tuple().digits).rstrip(b"\0"))  # no trailing 0s
        if significant > _MAX_NUMBER_DIGITS:
            raise ValidationError(
                f"attribute {name!r}: a Number has at most {_MAX_NUMBER_DIGITS}"
                f" significant digits, got {significant}"
            )
        if not _SMALLEST_NUMBER <= number.copy_abs() <= _LARGEST_NUMBER:
            raise ValidationError(
                f"attribute {name!r}: a Number must be 0 or of magnitude 1E-128 to 1E+126"
            )
    return format(number, "f")


def _attribute_text(name: str, value: object) -> str:
    """The text an attribute value is sent as, checked (see :func:`string_attributes`)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValidationError(
            f"attribute {name!r} must be a string or a number, got {type(value).__name__}"
        )
    # str.__str__: a StrEnum member's own value, not what its class's __str__ says
    text = str.__str__(value) if isinstance(value, str) else number_text(name, value)
    if not text:
        raise ValidationError(f"attribute {name!r} must not be empty")
    _check_text(f"attribute {name!r}", text)
    return text


def string_attributes(attributes: Mapping[str, AttributeValue] | None) -> dict[str, str]:
    """Return *attributes* as the plain strings sent, validating names, types and values.

    Names follow SQS's rules (see ``_check_attribute_name``); numbers are in decimal form
    (see :func:`number_text`). ``bool`` is rejected rather than silently sent as a number
    or as ``"True"``; *attributes* that are not a mapping (a list of pairs) are refused.
    """
    if attributes is not None and not isinstance(attributes, Mapping):
        raise ValidationError(
            f"attributes must be a mapping of names to values, got {type(attributes).__name__}"
        )
    out: dict[str, str] = {}
    for name, value in (attributes or {}).items():
        _check_attribute_name(name)
        out[name] = _attribute_text(name, value)
    if len(out) > MAX_ATTRIBUTES:
        raise ValidationError(f"at most {MAX_ATTRIBUTES} attributes per message, got {len(out)}")
    return out


def message_size(body: str, attributes: Mapping[str, AttributeValue] | None) -> int:
    """Return the size of a message as SQS counts it against its 256 KiB limit.

    SQS counts the UTF-8 bytes of the body plus, for every message attribute, those of
    its name, its data type (``String`` for strings, ``Number`` for numbers) and its
    value as sent (a number's decimal text, :func:`number_text`). A 262,100-byte body
    with a 2 KB attribute is therefore too large.
    """
    size = len(body.encode("utf-8"))
    for name, value in (attributes or {}).items():
        data_type = "String" if isinstance(value, str) else "Number"
        text = _attribute_text(name, value)
        size += len(name.encode("utf-8")) + len(data_type) + len(text.encode("utf-8"))
    return size


_FIFO_ID_CHARACTERS = frozenset(chr(c) for c in range(0x21, 0x7F))  # letters, digits, punctuation
_MAX_FIFO_ID_LENGTH = 128


def _check_fifo_id(what: str, value: object) -> None:
    """SQS takes 1 to 128 alphanumeric or ASCII punctuation characters for FIFO ids."""
    if not isinstance(value, str):  # an int has no len(): a bare TypeError before
        raise ValidationError(f"{what} must be a str, got {type(value).__name__}")
    if not 1 <= len(value) <= _MAX_FIFO_ID_LENGTH or not set(value) <= _FIFO_ID_CHARACTERS:
        raise ValidationError(f"{what} must be 1 to 128 ASCII letters, digits or punctuation")


def _check_int(argument: str, value: object) -> None:
    """An ``int`` argument, as botocore takes it: ``1.5`` and ``0.0`` are refused.

    ``bool`` is refused too, rather than sent as 0 or 1.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{argument} must be an int, got {type(value).__name__}")


def check_send(
    body: str,
    attributes: Mapping[str, AttributeValue] | None,
    *,
    fifo: bool,
    delay_seconds: int,
    group_id: str | None,
    dedup_id: str | None,
) -> dict[str, str]:
    """Raise ValidationError for a send SQS would reject; return the attributes as strings."""
    if not isinstance(body, str) or not body:
        raise ValidationError("a message body must be a non-empty string")
    _check_text("a message body", body)
    _check_int("delay_seconds", delay_seconds)
    if not 0 <= delay_seconds <= MAX_DELAY_SECONDS:
        raise ValidationError(f"delay_seconds must be 0 to {MAX_DELAY_SECONDS}")
    if fifo:
        if not group_id:
            raise ValidationError("a FIFO queue needs a group_id on every message")
        if delay_seconds:
            raise ValidationError("FIFO queues take no per-message delay_seconds")
        _check_fifo_id("group_id", group_id)
        if dedup_id is not None:
            _check_fifo_id("dedup_id", dedup_id)
    elif group_id is not None or dedup_id is not None:
        raise ValidationError("group_id and dedup_id apply to FIFO queues only")
    strings = string_attributes(attributes)
    if message_size(body, attributes) > MAX_MESSAGE_BYTES:
        raise ValidationError(
            f"a message (body and attributes) must be at most {MAX_MESSAGE_BYTES} bytes"
        )
    return strings


def dedup_key(body: str, dedup_id: str | None, *, fifo: bool, content_based: bool) -> str | None:
    """Return the key a send is deduplicated by.

    That is *dedup_id*, else the body's SHA-256 on a FIFO queue that deduplicates by
    content, else ``None`` (the message is never a duplicate).
    """
    if fifo and dedup_id is None and content_based:
        return hashlib.sha256(body.encode("utf-8")).hexdigest()
    return dedup_id


def check_receive(max_messages: int, wait_seconds: float, visibility_timeout: int | None) -> None:
    """Raise ValidationError for a receive SQS would reject."""
    _check_int("max_messages", max_messages)
    if not 1 <= max_messages <= MAX_MESSAGES:
        raise ValidationError(f"max_messages must be 1 to {MAX_MESSAGES}")
    if not 0 <= wait_seconds <= MAX_WAIT_SECONDS:
        raise ValidationError(f"wait_seconds must be 0 to {MAX_WAIT_SECONDS}")
    if visibility_timeout is not None:
        check_visibility(visibility_timeout)


def check_visibility(timeout: int) -> None:
    """Raise ValidationError unless *timeout* is a whole number of seconds SQS accepts."""
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int)
        or not 0 <= timeout <= MAX_VISIBILITY_TIMEOUT
    ):
        raise ValidationError(f"a visibility timeout must be 0 to {MAX_VISIBILITY_TIMEOUT} seconds")


def check_visibility_change(timeout: int, *, received_at: float, now: float) -> None:
    """Raise ValidationError when *timeout* from *now* ends past 12 hours from the receive.

    SQS keeps a message hidden at most ``MAX_VISIBILITY_TIMEOUT`` seconds in total from
    the receive that delivered it: extending by the maximum right after a receive is
    refused, and a heartbeat that keeps extending reaches the end of that window.
    """
    if now + timeout - received_at > MAX_VISIBILITY_TIMEOUT:
        raise visibility_change_error(timeout, received_at=received_at, now=now)


def visibility_change_error(timeout: int, *, received_at: float, now: float) -> ValidationError:
    """The error of a visibility change past 12 hours from the receive (for a backend's refusal)."""
    left = max(0, int(received_at + MAX_VISIBILITY_TIMEOUT - now))
    return ValidationError(
        f"a message stays hidden at most {MAX_VISIBILITY_TIMEOUT} seconds from its receive:"
        f" {timeout} seconds more is past that ({left} seconds are left)"
    )
