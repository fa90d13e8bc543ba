"""Number attributes count toward a fake queue's size limit as SQS counts them.

The Queue port lets an implementation accept numbers as attribute values (they read back
in decimal form) without requiring it, so the contract suite sends strings only. Every
serpens queue takes numbers, through the shared rules; SQS counts a number's data type,
``Number``, like ``String``: six bytes.
"""

from __future__ import annotations

import asyncio

import pytest

from serpens.errors import ValidationError
from serpens.fakes import AsyncInMemoryQueue, InMemoryQueue

# 262,144 bytes = body + ("n" + "Number" + "7")
_BODY = "x" * (262_144 - len("nNumber7"))


def test_a_message_with_a_number_attribute_is_measured_as_sqs_measures_it() -> None:
    queue = InMemoryQueue()
    with pytest.raises(ValidationError):
        queue.send(_BODY + "x", attributes={"n": 7})
    queue.send(_BODY, attributes={"n": 7})
    (message,) = queue.receive()
    assert (len(message.body), dict(message.attributes)) == (len(_BODY), {"n": "7"})


def test_the_async_fake_measures_number_attributes_the_same_way() -> None:
    async def scenario() -> dict[str, str]:
        queue = AsyncInMemoryQueue()
        with pytest.raises(ValidationError):
            await queue.send(_BODY + "x", attributes={"n": 7})
        await queue.send(_BODY, attributes={"n": 7})
        (message,) = await queue.receive()
        return dict(message.attributes)

    assert asyncio.run(scenario()) == {"n": "7"}
