"""Queue cases about SQS's limits: the arguments, names and characters it refuses or takes.

One theme of :class:`~serpens_contract.queue.QueueContract`: every queue refuses, before
any I/O, what SQS would refuse, and accepts SQS's maximums.
"""

from __future__ import annotations

from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens.ports import Queue


class _QueueLimitCases:
    """Invalid arguments, attribute names and characters; the 256 KB size and maximums."""

    @pytest.mark.parametrize(
        ("method", "kwargs"),
        [
            pytest.param("send", {"body": ""}, id="empty-body"),
            pytest.param("send", {"body": "x", "delay_seconds": -1}, id="negative-delay"),
            pytest.param("send", {"body": "x", "delay_seconds": 901}, id="delay-over-max"),
            pytest.param("send", {"body": "x" * 262_145}, id="body-over-256k"),
            pytest.param("send", {"body": "x", "group_id": "g"}, id="group-on-standard"),
            pytest.param("send", {"body": "x", "attributes": {"": "v"}}, id="empty-attr-name"),
            pytest.param(
                "send", {"body": "x", "attributes": {"n" * 257: "v"}}, id="attr-name-over-256"
            ),
            pytest.param(
                "send",
                {"body": "x", "attributes": {f"a{i}": "v" for i in range(11)}},
                id="eleven-attributes",
            ),
            pytest.param(
                "send",
                {"body": "x" * 262_100, "attributes": {"big": "v" * 2048}},
                id="body-and-attributes-over-256k",
            ),
            pytest.param(
                "send",
                {"body": "é" * 131_072 + "x"},
                id="body-over-256k-in-utf8-bytes",
            ),
            pytest.param("receive", {"max_messages": 0}, id="zero-messages"),
            pytest.param("receive", {"max_messages": 11}, id="over-ten-messages"),
            pytest.param("receive", {"visibility_timeout": -1}, id="negative-visibility"),
            pytest.param("receive", {"visibility_timeout": 43_201}, id="visibility-over-max"),
            pytest.param("receive", {"visibility_timeout": True}, id="bool-visibility"),
            pytest.param("receive", {"wait_seconds": 21}, id="wait-over-max"),
            pytest.param("send", {"body": "x", "delay_seconds": 1.5}, id="float-delay"),
            pytest.param("send", {"body": "x", "delay_seconds": 0.0}, id="integral-float-delay"),
            pytest.param("send", {"body": "x", "delay_seconds": True}, id="bool-delay"),
            pytest.param("receive", {"max_messages": 10.0}, id="integral-float-messages"),
            pytest.param("receive", {"max_messages": 2.5}, id="float-messages"),
            pytest.param("receive", {"max_messages": True}, id="bool-messages"),
            # a list of pairs raised AttributeError (no .items()) on every implementation
            pytest.param(
                "send", {"body": "x", "attributes": [("a", "b")]}, id="attributes-as-pairs"
            ),
            pytest.param("send", {"body": "x", "attributes": "a=b"}, id="attributes-as-str"),
            pytest.param("send", {"body": "x", "attributes": []}, id="attributes-as-empty-list"),
        ],
    )
    def test_invalid_arguments_are_validation_errors(
        self, queue: Queue, method: str, kwargs: dict[str, Any]
    ) -> None:
        with pytest.raises(ValidationError):
            getattr(queue, method)(**kwargs)

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("a b", id="a-space"),
            pytest.param("ação", id="not-ascii"),
            pytest.param("a:b", id="a-colon"),
            pytest.param("AWS.trace", id="aws-prefix"),
            pytest.param("amazon.x", id="amazon-prefix-in-any-case"),
            pytest.param(".a", id="leading-period"),
            pytest.param("a.", id="trailing-period"),
            pytest.param("a..b", id="two-periods"),
        ],
    )
    def test_attribute_names_sqs_refuses_are_validation_errors(
        self, queue: Queue, name: str
    ) -> None:
        """Names are ASCII letters, digits, ``_``, ``-`` and ``.``, with no reserved prefix.

        SQS answers ``InvalidParameterValue`` for these (moto accepts them): every queue
        refuses them before any I/O, so a send the fake accepts is one SQS accepts.
        """
        with pytest.raises(ValidationError):
            queue.send("x", attributes={name: "v"})
        assert list(queue.receive(max_messages=10)) == []

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("a\x00b", id="nul"),
            pytest.param("a\x1fb", id="control-character"),
            pytest.param("a\ud800b", id="lone-surrogate"),
            pytest.param("a\ufffeb", id="u-fffe"),
            pytest.param("\uffff", id="u-ffff"),
        ],
    )
    def test_characters_sqs_refuses_are_validation_errors(self, queue: Queue, text: str) -> None:
        """A body or attribute value holds only characters SQS takes, or it is refused.

        SQS takes tab, newline, carriage return and Unicode from U+0020, without the
        surrogates, U+FFFE and U+FFFF. It answers ``InvalidMessageContents`` otherwise
        (moto accepts them, PostgreSQL's text holds no NUL, a lone surrogate has no UTF-8
        form): every queue refuses them before any I/O.
        """
        with pytest.raises(ValidationError, match="message body"):
            queue.send(text)
        with pytest.raises(ValidationError, match="'k'"):
            queue.send("x", attributes={"k": text})
        assert list(queue.receive(max_messages=10)) == []

    def test_every_character_sqs_takes_round_trips(self, queue: Queue) -> None:
        """The edges of SQS's character ranges, in a body and in an attribute's value."""
        text = "\t\n\r \x7f\ud7ff\ue000\ufffd\U00010000\U0010ffff é"
        queue.send(text, attributes={"k": text})
        (message,) = queue.receive(visibility_timeout=30)
        assert (message.body, dict(message.attributes)) == (text, {"k": text})

    def test_a_message_of_exactly_256k_counting_its_attributes_is_accepted_one_byte_more_not(
        self, queue: Queue
    ) -> None:
        """SQS counts the body and each attribute's name, data type (``String``) and value."""
        # 262,144 bytes = body + ("a" + "String" + "v") + ("n" + "String" + "7")
        body = "x" * (262_144 - len("aStringv") - len("nString7"))
        with pytest.raises(ValidationError):
            queue.send(body + "x", attributes={"a": "v", "n": "7"})
        queue.send(body, attributes={"a": "v", "n": "7"})
        (message,) = queue.receive(visibility_timeout=30)
        assert (len(message.body), dict(message.attributes)) == (len(body), {"a": "v", "n": "7"})

    def test_the_largest_arguments_sqs_takes_are_accepted(self, queue: Queue) -> None:
        """SQS's maximums are inclusive: each is accepted at its value.

        A 900-second delay; ten attributes, one with a 256-character name and one using
        every kind of character a name may hold; a 20-second long poll (answered at once:
        a message is visible); a 12-hour visibility timeout.
        """
        attributes = {f"a{i}": str(i) for i in range(7)} | {
            "n" * 256: "v",
            "Aws-trace_id.v2": "every allowed character kind, and AWS without its period",
            "a.b": "a period inside",
        }
        queue.send("later", delay_seconds=900)
        queue.send("now", attributes=attributes)
        (message,) = queue.receive(max_messages=10, wait_seconds=20, visibility_timeout=43_200)
        assert (message.body, dict(message.attributes)) == ("now", attributes)
        assert list(queue.receive(max_messages=10)) == []
