"""The outbox suite's limits: what ``put`` and the store refuse, and claims never issued."""

from __future__ import annotations

import collections
import math
from typing import Any

import pytest

from serpens.errors import LeaseLostError, SerializationError, ValidationError
from serpens.ports import OutboxMessage, OutboxStore
from serpens_contract.outbox._support import TOPIC, UnitMaker, commit_messages, settle

_YEAR = 366 * 86_400


class _OutboxLimitCases:
    """The cases of ``OutboxContract`` on bad input (fixtures from its example cases)."""

    async def test_put_checks_the_message_as_a_publish_does(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        """A bad message raises before anything is staged; the unit of work stays usable."""
        async with open_outbox_unit() as work:
            put = work.outbox.put
            bad: list[tuple[str, object, dict[str, Any]]] = [
                ("orders", "no project", {}),
                ("projects/p/topics/x", "topic name too short", {}),
                (TOPIC, b"", {}),
                (TOPIC, "x", {"ordering_key": ""}),
                (TOPIC, "x", {"ordering_key": "a\x00b"}),  # no text column holds a NUL
                (TOPIC, "x", {"attributes": {"": "empty name"}}),
                (TOPIC, "x", {"attributes": {"a": "v" * 1025}}),
                (TOPIC, "x", {"attributes": {f"k{i}": "v" for i in range(101)}}),
            ]
            for topic, payload, options in bad:
                with pytest.raises(ValidationError):
                    put(topic, payload, **options)  # type: ignore[arg-type]
            with pytest.raises(SerializationError):
                put(TOPIC, {"not json": object()})
            put(TOPIC, "the one good message")
            await settle(work.commit())
        assert [m.payload for m in await store.claim()] == [b"the one good message"]

    async def test_put_refuses_text_no_topic_or_database_holds_before_staging(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        """Text no topic or database holds is refused by ``put`` itself, before staging.

        A NUL, control character or lone surrogate in a topic's project, a lone surrogate
        in an attribute, and a number with no decimal form. PostgreSQL took the NUL topic
        at ``put`` and failed the whole unit at its commit with a bare ``ValueError``; a
        lone surrogate leaked ``UnicodeEncodeError``.
        """
        async with open_outbox_unit() as work:
            put = work.outbox.put
            bad: list[tuple[str, dict[str, Any]]] = [
                ("projects/a\x00b/topics/orders", {}),
                ("projects/a\x07b/topics/orders", {}),
                ("projects/a\ud800b/topics/orders", {}),
                (TOPIC, {"attributes": {"k": "\udfff"}}),
                (TOPIC, {"attributes": {"\ud800": "v"}}),
                (TOPIC, {"attributes": {"n": math.nan}}),
                (TOPIC, {"attributes": {"n": math.inf}}),
            ]
            for topic, options in bad:
                with pytest.raises(ValidationError):
                    put(topic, "x", **options)
            numbers: Any = {"n": 1e20, "m": 1e-7}  # sent in decimal form, as a publish does
            put(TOPIC, "good", attributes=numbers)
            await settle(work.commit())
        [message] = await store.claim()
        assert (message.payload, message.attributes) == (
            b"good",
            {"n": "100000000000000000000", "m": "0.0000001"},
        )

    async def test_store_arguments_are_checked(self, store: OutboxStore) -> None:
        """Limits and durations outside their ranges, or a foreign message, are refused."""
        for limit in (0, 1001, 1.0, True, "1", None):
            with pytest.raises(ValidationError) as raised:
                await store.claim(limit=limit)  # type: ignore[arg-type]
            assert "limit" in str(raised.value)
        for lease in (0, -1, math.nan, math.inf, _YEAR + 1, 10**400, "1", True, None):
            with pytest.raises(ValidationError) as raised:
                await store.claim(lease=lease)  # type: ignore[arg-type]
            assert "lease" in str(raised.value)
        assert await store.claim(limit=1000, lease=_YEAR) == []  # the bounds themselves
        message = OutboxMessage(1, "0" * 32, TOPIC, b"x")
        for after in (-0.001, math.nan, math.inf, _YEAR + 1, 10**400, "0", None, False):
            with pytest.raises(ValidationError) as raised:
                await store.retry(message, after=after)  # type: ignore[arg-type]
            assert "after" in str(raised.value)
        bad_messages = (None, iter([message]), message, "m", [message] * 1001, [message, "m"])
        for not_messages in bad_messages:
            with pytest.raises(ValidationError) as raised:
                await store.delivered_many(not_messages)  # type: ignore[arg-type]
            assert "message" in str(raised.value)
        assert len(await store.delivered_many([message] * 1000)) == 1000  # none holds
        # any Sequence, as the port types it
        assert list(await store.delivered_many(collections.deque([message]))) == [message]
        foreign: list[Any] = [None, "message", {"id": 1}, OutboxMessage(1.0, "k", TOPIC, b"x")]  # type: ignore[arg-type]
        for not_a_claim in foreign:
            with pytest.raises(ValidationError) as raised:
                await store.delivered(not_a_claim)
            assert "message" in str(raised.value)
            with pytest.raises(ValidationError) as raised:
                await store.retry(not_a_claim, after=0)
            assert "message" in str(raised.value)

    async def test_a_message_never_claimed_cannot_be_settled(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        """A made-up claim (an unknown id, or a token the store never issued) holds nothing."""
        await commit_messages(open_outbox_unit, {"payload": "m"})
        [message] = await store.claim()
        made_up = (
            OutboxMessage(message.id + 10_000, message.key, TOPIC, b"m", token=message.token),
            OutboxMessage(message.id, message.key, TOPIC, b"m", token=message.token + 1),
            OutboxMessage(message.id, message.key, TOPIC, b"m", token=message.token - 1),
        )
        beyond_bigint = (  # ids and tokens no bigint holds: never issued, not a bad argument
            OutboxMessage(2**63, message.key, TOPIC, b"m", token=message.token),
            OutboxMessage(-(2**63) - 1, message.key, TOPIC, b"m", token=message.token),
            OutboxMessage(message.id, message.key, TOPIC, b"m", token=2**63),
        )
        for claim in (*made_up, *beyond_bigint):
            with pytest.raises(LeaseLostError):
                await store.delivered(claim)
            with pytest.raises(LeaseLostError):
                await store.retry(claim, after=0)
        assert await store.delivered_many(beyond_bigint) == list(beyond_bigint)
        await store.delivered(message)  # the real claim still holds
        assert await store.pending() == 0
