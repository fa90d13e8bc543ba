"""publish_message_batch splits its calls at SQS's 256 KiB of bodies per batch, on moto.

``SendMessageBatch`` takes at most ten entries and 262,144 bytes of bodies; serpens 2.9's
``publish_message_batch`` returns one answer per call, so how the messages are split is
part of what the caller sees. Pinned here: bodies adding up to exactly the limit go in
one call (the limit is inclusive), one byte more starts a second call, and the running
total restarts with each call (three large bodies make two calls, not one or three).
Also the other inclusive maximums of a message: one body of exactly the limit, and ten
attributes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from serpens import sqs
from serpens.errors import ValidationError

LIMIT = 262_144  # SQS's bytes of bodies per SendMessageBatch call


@pytest.fixture(name="queue_url")
def _queue_url(moto_endpoint: str) -> Iterator[str]:
    client = boto3.client("sqs", endpoint_url=moto_endpoint)
    url = str(client.create_queue(QueueName=f"bytes-{uuid.uuid4().hex[:12]}")["QueueUrl"])
    yield url
    client.delete_queue(QueueUrl=url)


def _calls(answers: list[dict[str, Any]]) -> list[list[str]]:
    """The entry ids each call sent, in order."""
    return [[entry["Id"] for entry in answer["Successful"]] for answer in answers]


def test_bodies_adding_up_to_exactly_the_limit_go_in_one_call(queue_url: str) -> None:
    half = LIMIT // 2
    answers = sqs.publish_message_batch(queue_url, [{"body": "a" * half}, {"body": "b" * half}])
    assert _calls(answers) == [["0", "1"]]


def test_one_byte_past_the_limit_starts_a_second_call(queue_url: str) -> None:
    half = LIMIT // 2
    messages = [{"body": "a" * half}, {"body": "b" * (half + 1)}]
    assert _calls(sqs.publish_message_batch(queue_url, messages)) == [["0"], ["1"]]


def test_the_byte_count_is_utf8_bytes_not_characters(queue_url: str) -> None:
    """``é`` is two bytes: 65,536 of them fill half the limit, not a quarter."""
    quarter = LIMIT // 4
    messages = [{"body": "é" * quarter}, {"body": "é" * quarter}, {"body": "x"}]
    assert _calls(sqs.publish_message_batch(queue_url, messages)) == [["0", "1"], ["2"]]


def test_each_call_counts_its_own_bodies_from_zero(queue_url: str) -> None:
    """Three 100,000-byte bodies: two fit in a call, the third starts the next one."""
    messages = [{"body": letter * 100_000} for letter in "abc"]
    assert _calls(sqs.publish_message_batch(queue_url, messages)) == [["0", "1"], ["2"]]


def test_a_full_call_of_large_bodies_is_followed_by_an_exactly_full_one(queue_url: str) -> None:
    """After a split the next call starts at zero bytes: it too holds exactly the limit."""
    half = LIMIT // 2
    messages = [{"body": letter * half} for letter in "abcd"]
    assert _calls(sqs.publish_message_batch(queue_url, messages)) == [["0", "1"], ["2", "3"]]


def test_a_single_body_of_exactly_the_limit_is_sent(queue_url: str) -> None:
    """The body limit is inclusive for one message too (``publish_message``)."""
    answer = sqs.publish_message(queue_url, "a" * LIMIT)
    assert answer["MessageId"]


def test_ten_message_attributes_are_allowed_and_an_eleventh_is_refused() -> None:
    """SQS's maximum of ten attributes a message is inclusive."""
    ten = {f"a{i}": i for i in range(10)}
    assert len(sqs.build_message_attributes(ten)) == 10
    with pytest.raises(ValidationError, match="at most 10"):
        sqs.build_message_attributes({**ten, "a10": 10})
