"""The shared JSON encoder's promises outside the schema's dumps.

``SchemaEncoder`` built by hand or by ``json.dumps(cls=...)`` honours every option of
``json.JSONEncoder`` (only ``allow_nan`` is ignored); ``to_jsonable`` writes ``True``,
``False`` and ``None`` keys as JSON writes them and other keys as their JSON text;
subclasses of the supported types and the byte buffers convert as their bases; and an
integer too long for Python to print is a ``SerializationError`` that says why.
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from serpens._json import SchemaEncoder, dumps, to_jsonable
from serpens.errors import SerializationError


class _Day(date):
    """A subclass of ``date`` (as ``pendulum`` and ``arrow`` make)."""


class _Amount(Decimal):
    """A subclass of ``Decimal``."""


def _loop() -> list[Any]:
    items: list[Any] = [1]
    items.append(items)
    return items


# --- SchemaEncoder built by hand: json.JSONEncoder's defaults ---------------------------


def test_a_hand_built_encoder_is_ascii_only_and_keeps_key_order() -> None:
    assert SchemaEncoder().encode({"b": 1, "a": "é"}) == '{"b": 1, "a": "\\u00e9"}'


def test_a_hand_built_encoder_refuses_a_key_json_cannot_write() -> None:
    with pytest.raises(TypeError):
        SchemaEncoder().encode({(1, 2): "pair", "a": 1})


def test_a_hand_built_encoder_refuses_a_value_that_contains_itself() -> None:
    with pytest.raises(SerializationError, match=r"[Cc]ircular"):
        SchemaEncoder().encode(_loop())


def test_a_hand_built_encoder_passes_indent_and_separators_on() -> None:
    assert SchemaEncoder(indent=2).encode({"a": [1]}) == '{\n  "a": [\n    1\n  ]\n}'
    assert SchemaEncoder(separators=(",", ":")).encode({"a": [1, 2]}) == '{"a":[1,2]}'


def test_a_default_given_to_the_encoder_replaces_its_own_conversions() -> None:
    encoder = SchemaEncoder(default=lambda _value: "custom")
    assert encoder.encode({"when": date(2024, 1, 2)}) == '{"when": "custom"}'


# --- json.dumps(cls=SchemaEncoder): each option reaches the encoder ------------------------


def test_json_dumps_options_reach_the_schema_encoder() -> None:
    value = {"b": "é", "a": Decimal("1.5")}
    text = json.dumps(
        value,
        cls=SchemaEncoder,
        ensure_ascii=False,
        sort_keys=True,
        indent=1,
        separators=(",", ": "),
    )
    assert text == '{\n "a": 1.5,\n "b": "é"\n}'


def test_json_dumps_skipkeys_reaches_the_schema_encoder() -> None:
    text = json.dumps({(1, 2): "skipped", "a": 1}, cls=SchemaEncoder, skipkeys=True)
    assert text == '{"a": 1}'


def test_json_dumps_default_reaches_the_schema_encoder() -> None:
    text = json.dumps([object()], cls=SchemaEncoder, default=lambda _value: "custom")
    assert text == '["custom"]'


def test_json_dumps_without_the_circular_check_recurses_as_json_does() -> None:
    with pytest.raises(RecursionError):
        json.dumps(_loop(), cls=SchemaEncoder, check_circular=False)


# --- to_jsonable and dumps: keys and converted types --------------------------------------


def test_to_jsonable_writes_true_false_and_none_keys_as_json_does() -> None:
    value = {True: 1, False: 2, None: 3}
    assert to_jsonable(value) == {"true": 1, "false": 2, "null": 3}
    assert to_jsonable(value) == json.loads(json.dumps(value))


def test_a_uuid_key_is_its_text_without_quotes() -> None:
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert to_jsonable({key: 1}) == {str(key): 1}
    assert dumps({key: 1}) == f'{{"{key}": 1}}'


def test_a_non_string_key_that_converts_to_a_number_is_its_json_text() -> None:
    assert to_jsonable({Decimal(2): "two", date(2024, 1, 2): "day"}) == {
        "2": "two",
        "2024-01-02": "day",
    }


def test_subclasses_of_supported_types_convert_as_their_base() -> None:
    assert to_jsonable(_Day(2024, 1, 2)) == "2024-01-02"
    assert to_jsonable({"amount": _Amount("19.99")}) == {"amount": 19.99}
    assert dumps([_Day(2024, 1, 2)]) == '["2024-01-02"]'
    assert dumps([datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)]) == '["2024-01-02T03:04:05+00:00"]'


def test_byte_buffers_are_base64_text() -> None:
    assert to_jsonable(bytearray(b"\x00\xffab")) == "AP9hYg=="
    assert to_jsonable(memoryview(b"hi")) == "aGk="
    out = io.StringIO()
    json.dump({"raw": bytearray(b"hi")}, out, cls=SchemaEncoder)
    assert out.getvalue() == '{"raw": "aGk="}'


def test_an_integer_too_long_to_print_is_a_serialization_error_that_says_why() -> None:
    with pytest.raises(SerializationError, match=r"cannot encode value as JSON: .*digits"):
        dumps({"n": 10**5000})
