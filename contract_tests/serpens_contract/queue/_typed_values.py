"""Queue cases about typed attribute values: numbers in SQS's form, enums as plain values.

One theme of :class:`~serpens_contract.queue.QueueContract`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens.ports import Queue
from serpens_contract.queue._support import _Count, _Kind, _OldKind


class _QueueTypedValueCases:
    """Numbers are sent as SQS's ``Number`` text within its range; enums by their value."""

    def test_number_attributes_read_back_in_decimal_form(self, queue: Queue) -> None:
        """A number is sent as its decimal text, never in exponent form, as SQS wants it.

        SQS's ``Number`` limits are accepted at their edges: 38 significant digits (trailing
        zeros do not count), magnitudes 1E-128 and 1E+126. An ``(int, Enum)`` member, whose
        ``str()`` is ``"_Count.TWO"``, is sent by its value.
        """
        attributes: Any = {
            "big": 1e20,
            "hundred": Decimal("1E+2"),
            "small": 1e-7,
            "price": Decimal("-9.90"),
            "count": _Count.TWO,
            "digits": Decimal("1." + "2" * 37),
            "zeros": Decimal("5" + "0" * 50),
            "largest": Decimal("1E+126"),
            "smallest": Decimal("-1E-128"),
            "zero": Decimal("0E+5"),
        }
        queue.send("numbers", attributes=attributes)
        (message,) = queue.receive(visibility_timeout=30)
        assert dict(message.attributes) == {
            "big": "100000000000000000000",
            "hundred": "100",
            "small": "0.0000001",
            "price": "-9.90",
            "count": "2",
            "digits": "1." + "2" * 37,
            "zeros": "5" + "0" * 50,
            "largest": "1" + "0" * 126,
            "smallest": "-0." + "0" * 127 + "1",
            "zero": "0",
        }

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(float("nan"), id="float-nan"),
            pytest.param(float("inf"), id="float-infinity"),
            pytest.param(float("-inf"), id="float-minus-infinity"),
            pytest.param(Decimal("NaN"), id="decimal-nan"),
            pytest.param(Decimal("-Infinity"), id="decimal-minus-infinity"),
            pytest.param(Decimal("1." + "2" * 38), id="39-significant-digits"),
            pytest.param(10**38 + 1, id="int-of-39-digits"),
            pytest.param(Decimal("1.1E+126"), id="over-1e126"),
            pytest.param(1e200, id="float-1e200"),
            pytest.param(Decimal("9E-129"), id="under-1e-128"),
            pytest.param(5e-324, id="smallest-float"),
        ],
    )
    def test_numbers_sqs_cannot_hold_are_validation_errors(
        self, queue: Queue, value: object
    ) -> None:
        """SQS's ``Number``: finite, 38 significant digits, 0 or 1E-128 to 1E+126.

        The SQS adapter always refused NaN and infinity; the fake and the PostgreSQL
        queue stored them, and moto stores numbers out of SQS's documented range.
        """
        attributes: Any = {"n": value}
        with pytest.raises(ValidationError):
            queue.send("x", attributes=attributes)
        assert list(queue.receive(max_messages=10)) == []

    def test_a_number_counts_toward_256k_as_the_text_sent(self, queue: Queue) -> None:
        """``Decimal("1E+2")`` is sent as ``100`` (3 bytes), ``1e-7`` as ``0.0000001`` (9)."""
        attributes: Any = {"n": Decimal("1E+2"), "s": 1e-7}
        body = "x" * (262_144 - len("nNumber100") - len("sNumber0.0000001"))
        with pytest.raises(ValidationError):
            queue.send(body + "x", attributes=attributes)
        queue.send(body, attributes=attributes)
        (message,) = queue.receive(visibility_timeout=30)
        assert (len(message.body), dict(message.attributes)) == (
            len(body),
            {"n": "100", "s": "0.0000001"},
        )

    def test_enum_members_are_sent_as_their_plain_values(self, queue: Queue) -> None:
        """A ``StrEnum`` body or attribute reads back as the plain ``str`` SQS returns."""
        attributes: Any = {"kind": _Kind.ORDER, "old": _OldKind.PAID}
        queue.send(_Kind.ORDER, attributes=attributes)
        (message,) = queue.receive(visibility_timeout=30)
        assert (message.body, dict(message.attributes)) == (
            "order",
            {"kind": "order", "old": "paid"},
        )
        assert type(message.body) is str
        assert all(type(value) is str for value in message.attributes.values())
