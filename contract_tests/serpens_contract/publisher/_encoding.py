"""Publisher cases about encoding: payloads and attributes as a subscriber receives them.

One theme of :class:`~serpens_contract.publisher.PublisherContract`: golden wire bytes
for JSON payloads and attribute spellings, text with no UTF-8 form refused before I/O,
and Pub/Sub's attribute limits accepted.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from serpens.errors import SerializationError, ValidationError
from serpens_contract.publisher._session import _Session


class _PublisherEncodingCases:
    """What a publish puts on the wire: payload bytes and attribute strings."""

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
        for attributes, path in (
            ({"k": "\ud800"}, "attributes['k']"),
            ({"\ud800": "v"}, "attributes['\\ud800']"),  # the key's repr
        ):
            with pytest.raises(ValidationError) as raised:
                session.publisher.publish(topic, "x", attributes=attributes)
            assert [error.path for error in raised.value.errors] == [path]
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
        form (never with an exponent: ``str(1e20)`` would be ``"1e+20"``), Decimals with
        their digits kept, UUIDs in canonical lower-case form.
        """
        topic = session.topic()
        attributes: dict[str, Any] = {
            "flag": True,
            "off": False,
            "n": 7,
            "neg": -3,
            "big": 10**20,
            "x": 2.5,
            "big-float": 1e20,
            "small-float": 1e-7,
            "exponent": Decimal("1E+2"),
            "negative-exponent": Decimal("-2.5E-3"),
            "amount": Decimal("1.10"),
            "id": uuid.UUID("12345678-1234-5678-1234-56781234abcd"),
            "raw": "ação".encode(),
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
            "big-float": "100000000000000000000",
            "small-float": "0.0000001",
            "exponent": "100",
            "negative-exponent": "-0.0025",
            "amount": "1.10",
            "id": "12345678-1234-5678-1234-56781234abcd",
            "raw": "ação",
        }

    @pytest.mark.parametrize(
        "number",
        [
            pytest.param(float("nan"), id="nan"),
            pytest.param(float("-inf"), id="infinity"),
            pytest.param(Decimal("NaN"), id="decimal-nan"),
            pytest.param(Decimal("Infinity"), id="decimal-infinity"),
            pytest.param(Decimal("1E+2000"), id="decimal-form-over-1024-bytes"),
        ],
    )
    def test_a_number_with_no_decimal_form_is_a_validation_error(
        self, session: _Session, number: float | Decimal
    ) -> None:
        """Pins: numbers in decimal form; NaN and infinities are a ValidationError.

        They were sent as ``"nan"`` and ``"inf"``, though a payload holding them is refused.
        """
        topic = session.topic()
        with pytest.raises(ValidationError) as raised:
            session.publisher.publish(topic, "x", attributes={"n": number})
        assert [error.path for error in raised.value.errors] == ["attributes['n']"]
        assert session.rig.read(topic, 0) == []

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
