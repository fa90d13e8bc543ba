import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serpens._rules.publisher import encode_attributes, encode_payload, prepare, validate_topic
from serpens.errors import SerializationError, ValidationError

TOPIC = "projects/my-project/topics/orders"


class TestValidateTopic:
    @pytest.mark.parametrize(
        "topic",
        [
            TOPIC,
            "projects/example.com:my-project/topics/orders.v1",
            "projects/p/topics/A-b_c.d~e+f%20",
            f"projects/p/topics/a{'b' * 254}",
        ],
    )
    def test_full_topic_ids_are_accepted(self, topic: str) -> None:
        assert validate_topic(topic) == topic

    @pytest.mark.parametrize(
        "topic",
        [
            "orders",
            "projects/p/topics",
            "projects/p/topics/ab",
            f"projects/p/topics/a{'b' * 255}",
            "projects/p/topics/Goog-x",
            "projects/a:b:c/topics/x y",
            "//projects/p/topics/orders",
            b"projects/p/topics/orders",
            None,
        ],
    )
    def test_anything_else_names_the_expected_shape(self, topic: object) -> None:
        with pytest.raises(ValidationError, match="topic"):
            validate_topic(topic)

    def test_a_project_with_several_colons_is_not_a_crash(self) -> None:
        assert validate_topic("projects/a:b:c/topics/orders")

    @pytest.mark.parametrize(
        "project",
        ["a\x00b", "a\x01b", "a\tb", "a\ud800b", "\u00e9", "My-Project", "a_b", "a b"],
    )
    def test_a_project_google_cloud_cannot_spell_is_refused(self, project: str) -> None:
        """NUL and lone surrogates reached psycopg2 and the SDK as bare errors."""
        with pytest.raises(ValidationError, match="project") as raised:
            validate_topic(f"projects/{project}/topics/orders")
        assert [error.path for error in raised.value.errors] == ["topic"]

    @pytest.mark.parametrize("project", ["demo", "123456789012", "p-1", "example.com:my-proj"])
    def test_project_ids_numbers_and_domain_scoped_projects_are_accepted(
        self, project: str
    ) -> None:
        assert validate_topic(f"projects/{project}/topics/orders")


class TestEncodePayload:
    def test_a_mapping_is_compact_json_with_utf8_kept(self) -> None:
        assert encode_payload({"a": 1, "b": ["ç", None]}) == '{"a":1,"b":["ç",null]}'.encode()

    def test_common_non_json_values_are_encoded_as_strings(self) -> None:
        ident = uuid.UUID(int=1)
        payload = {
            "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            "day": date(2024, 1, 2),
            "id": ident,
            "price": Decimal("10.50"),
            "tags": ("a",),
        }
        assert json.loads(encode_payload(payload)) == {
            "at": "2024-01-02T03:04:05+00:00",
            "day": "2024-01-02",
            "id": str(ident),
            "price": "10.50",
            "tags": ["a"],
        }

    def test_str_and_bytes_pass_through(self) -> None:
        assert encode_payload("ação") == "ação".encode()
        assert encode_payload(b"\xff") == b"\xff"

    @pytest.mark.parametrize("payload", [42, ["list"], None, {"x": object()}, {"x": float("nan")}])
    def test_unencodable_payloads_are_serialization_errors(self, payload: object) -> None:
        with pytest.raises(SerializationError):
            encode_payload(payload)  # type: ignore[arg-type]

    @settings(max_examples=50)
    @given(
        st.dictionaries(
            st.text(),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(),
                lambda c: st.lists(c, max_size=3),
                max_leaves=5,
            ),
            max_size=4,
        )
    )
    def test_a_mapping_round_trips_through_json(self, payload: dict[str, object]) -> None:
        assert json.loads(encode_payload(payload)) == payload


class TestEncodeAttributes:
    def test_values_become_strings_and_the_input_is_not_mutated(self) -> None:
        attributes = {"s": "x", "i": 1, "f": 1.5, "t": True, "n": False, "d": Decimal("2.0")}
        snapshot = dict(attributes)
        assert encode_attributes(attributes) == {
            "s": "x",
            "i": "1",
            "f": "1.5",
            "t": "true",
            "n": "false",
            "d": "2.0",
        }
        assert attributes == snapshot

    def test_numbers_are_in_decimal_form_never_with_an_exponent(self) -> None:
        """As the Queue port sends a number: ``str()`` gave ``1e+20`` and ``1E+2``."""
        attributes = {
            "big": 1e20,
            "small": 1e-7,
            "huge-int": 10**30,
            "exp": Decimal("1E+2"),
            "neg-exp": Decimal("-2.5E-3"),
            "kept": Decimal("1.10"),
            "float": 0.1,
        }
        assert encode_attributes(attributes) == {
            "big": "100000000000000000000",
            "small": "0.0000001",
            "huge-int": "1" + "0" * 30,
            "exp": "100",
            "neg-exp": "-0.0025",
            "kept": "1.10",
            "float": "0.1",
        }

    @pytest.mark.parametrize(
        "number",
        [
            float("nan"),
            float("inf"),
            -float("inf"),
            Decimal("NaN"),
            Decimal("sNaN"),
            Decimal("-Infinity"),
            Decimal("1E+99999999"),  # refused before a 100 MB string is built
            Decimal("1E-1025"),
            pytest.param(10**5000, id="int-of-5001-digits"),  # str() raises past 4300
        ],
    )
    def test_a_number_with_no_decimal_form_in_1024_bytes_is_refused(self, number: object) -> None:
        with pytest.raises(ValidationError) as raised:
            encode_attributes({"n": number})
        assert [error.path for error in raised.value.errors] == ["attributes['n']"]

    @pytest.mark.parametrize(
        "attributes",
        [
            {"k": None},
            {"k": b"\xff not utf-8"},
            {"k": ["list"]},
            {"": "v"},
            {"goog-x": "v"},
            {"k" * 257: "v"},
            {"topic": "v"},
            {"timeout": "v"},
            {"k": "v" * 1025},
            {f"k{i}": "v" for i in range(101)},
        ],
    )
    def test_invalid_attributes_name_the_attribute(self, attributes: dict[str, object]) -> None:
        with pytest.raises(ValidationError, match="attributes"):
            encode_attributes(attributes)


class TestPrepare:
    def test_an_empty_message_needs_an_attribute(self) -> None:
        with pytest.raises(ValidationError, match="payload"):
            prepare(TOPIC, b"")
        assert prepare(TOPIC, b"", {"k": "v"}).attributes == {"k": "v"}

    @pytest.mark.parametrize("key", ["", "k" * 1025, 7])
    def test_a_bad_ordering_key_is_a_validation_error(self, key: object) -> None:
        with pytest.raises(ValidationError, match="ordering_key"):
            prepare(TOPIC, "x", ordering_key=key)  # type: ignore[arg-type]

    def test_no_ordering_key_is_the_empty_wire_value(self) -> None:
        assert prepare(TOPIC, "x").ordering_key == ""
        assert prepare(TOPIC, "x", ordering_key="k").ordering_key == "k"


def test_bytes_attribute_values_are_their_utf8_text_as_the_sdk_sends_them() -> None:
    """serpens 2.9 handed bytes to google-cloud-pubsub, which decodes them as UTF-8."""
    assert encode_attributes({"k": "ação".encode(), "e": b""}) == {"k": "ação", "e": ""}
