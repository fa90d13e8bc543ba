"""``request_size``: the shared size rule computes what google-cloud-pubsub measures.

The SDK refuses a message whose one-message ``PublishRequest`` serializes to more than
10 MB; the fake has no protobuf, so the rule recomputes that size by hand. Checked here
against the SDK's own protobuf encoding over many shapes (empty fields, multi-byte
lengths, non-ASCII keys and values).
"""

from __future__ import annotations

import random

import pytest
from google.pubsub_v1 import types as gapic

from serpens._rules.publisher import MAX_REQUEST_BYTES, prepare, request_size
from serpens.errors import ValidationError


def _sdk_size(topic: str, data: bytes, attributes: dict[str, str], key: str) -> int:
    message = gapic.PubsubMessage(data=data, attributes=attributes, ordering_key=key)
    return int(gapic.PublishRequest(topic=topic, messages=[message])._pb.ByteSize())


@pytest.mark.parametrize("seed", range(5))
def test_request_size_is_the_serialized_publish_request(seed: int) -> None:
    """Pins: byte for byte the protobuf size, so the limit falls where the SDK's does."""
    rng = random.Random(seed)
    for _ in range(300):
        topic = "projects/p/topics/" + "t" * rng.randint(3, 255)
        data = b"x" * rng.choice([0, 1, 127, 128, 16_383, 16_384, rng.randint(0, 200_000)])
        attributes = {
            f"k{i}" + "é" * rng.randint(0, 120): "v" * rng.choice([0, 1, 127, 128, 1024])
            for i in range(rng.randint(0, 6))
        }
        key = rng.choice(["", "a", "é" * rng.randint(1, 512)])
        assert request_size(topic, data, attributes, key) == _sdk_size(topic, data, attributes, key)


def test_prepare_refuses_one_byte_over_the_limit() -> None:
    """Pins: the limit is inclusive: exactly 10 MB passes, one byte more is refused."""
    topic = "projects/p/topics/orders"
    size = MAX_REQUEST_BYTES - request_size(topic, b"", {}, "")
    while request_size(topic, b"x" * size, {}, "") > MAX_REQUEST_BYTES:
        size -= 1  # the data field's tag and length, the message's longer length
    assert _sdk_size(topic, b"x" * size, {}, "") == MAX_REQUEST_BYTES
    assert prepare(topic, b"x" * size).data == b"x" * size
    with pytest.raises(ValidationError, match="too large") as raised:
        prepare(topic, b"x" * (size + 1))
    assert [error.path for error in raised.value.errors] == ["payload"]
