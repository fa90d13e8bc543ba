"""The outbox suite's example cases: commits, rollbacks, claims, order, leases and delays."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

import pytest

from serpens.errors import LeaseLostError
from serpens.ports import OutboxMessage, OutboxStore
from serpens_contract._clock import TimedCases, Window
from serpens_contract.capabilities import requires
from serpens_contract.outbox._support import (
    TOPIC,
    ManualClock,
    OutboxCapabilities,
    StoreMaker,
    UnitMaker,
    commit_messages,
    settle,
)

_YEAR = 366 * 86_400


class _OutboxCases(TimedCases):
    """The example cases of ``OutboxContract``, with the fixtures they share."""

    capabilities: ClassVar[OutboxCapabilities]

    @pytest.fixture
    def open_outbox_unit(self) -> UnitMaker:
        pytest.fail("override `open_outbox_unit`: return a callable opening a unit of work")

    @pytest.fixture
    def open_outbox_store(self) -> StoreMaker:
        pytest.fail("override `open_outbox_store`: return a callable opening a store")

    @pytest.fixture
    def store(self, open_outbox_store: StoreMaker) -> OutboxStore:
        return open_outbox_store()

    @staticmethod
    async def _commit(open_unit: UnitMaker, *messages: dict[str, Any]) -> list[str]:
        return await commit_messages(open_unit, *messages)

    @staticmethod
    def _drain(
        store: OutboxStore, elapse: Callable[[float], Awaitable[None]]
    ) -> Callable[[Window], Awaitable[None]]:
        """After a run too slow to judge: let its leases and delays end, then deliver all."""

        async def drain(window: Window) -> None:
            await elapse(window.unit * 1.5)
            await store.delivered_many(await store.claim(limit=1000, lease=60))

        return drain

    @staticmethod
    def _payloads(messages: Sequence[OutboxMessage]) -> list[bytes]:
        return [message.payload for message in messages]

    async def test_a_committed_message_is_claimed_as_it_was_put(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        async with open_outbox_unit() as work:
            key = work.outbox.put(
                TOPIC, {"id": 7, "é": [1.5, None]}, attributes={"kind": "créé"}, ordering_key="o-7"
            )
            assert (len(key), int(key, 16) >= 0) == (32, True)
            assert await store.claim() == []  # staged, not committed
            assert await store.pending() == 0
            await settle(work.commit())
        assert await store.pending() == 1
        [message] = await store.claim(lease=2.007)  # 2.007 * 1000 is 2007.0000000000002
        assert isinstance(message, OutboxMessage)
        assert (message.key, message.topic, message.ordering_key) == (key, TOPIC, "o-7")
        assert message.payload == '{"id":7,"é":[1.5,null]}'.encode()
        assert dict(message.attributes) == {"kind": "créé"}
        assert (message.attempts, type(message.token), message.lease) == (1, int, 2.007)
        assert await store.pending() == 1  # claimed, not delivered
        await store.delivered(message)
        assert await store.pending() == 0

    async def test_payloads_are_encoded_as_a_publish_encodes_them(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        """Bytes as they are, a str as UTF-8, a mapping as compact JSON; no attributes: {}."""
        await self._commit(
            open_outbox_unit,
            {"payload": b"\x00\xff raw"},
            {"payload": "çé 😀"},
            {"payload": {"b": 1, "a": "x"}},
            {"payload": b"", "attributes": {"only": "attributes"}},
        )
        claimed = await store.claim()
        assert self._payloads(claimed) == [
            b"\x00\xff raw",
            "çé 😀".encode(),
            b'{"b":1,"a":"x"}',
            b"",
        ]
        assert [dict(m.attributes) for m in claimed] == [{}, {}, {}, {"only": "attributes"}]
        assert [m.ordering_key for m in claimed] == [None] * 4

    async def test_a_unit_that_rolls_back_or_closes_uncommitted_stages_nothing(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        async with open_outbox_unit() as work:
            work.outbox.put(TOPIC, "rolled back")
            await settle(work.rollback())
            work.outbox.put(TOPIC, "after the rollback")
            await settle(work.commit())
        async with open_outbox_unit() as work:
            work.outbox.put(TOPIC, "closed uncommitted")
        assert self._payloads(await store.claim()) == [b"after the rollback"]
        assert await store.pending() == 1

    async def test_claims_take_the_lowest_ids_first_up_to_the_limit(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        keys = await self._commit(open_outbox_unit, *({"payload": f"m{i}"} for i in range(5)))
        first = await store.claim(limit=2)
        rest = await store.claim()  # 100 for 30 s by default
        assert self._payloads(first) == [b"m0", b"m1"]
        assert self._payloads(rest) == [b"m2", b"m3", b"m4"]
        assert {m.lease for m in rest} == {30.0}
        assert [m.key for m in (*first, *rest)] == keys
        ids = [m.id for m in (*first, *rest)]
        assert ids == sorted(ids)
        assert len(set(ids)) == 5
        assert await store.claim() == []  # every one is held

    async def test_a_retried_message_keeps_its_place(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        """Lowest id first, whatever was written since: a retry does not send it to the back."""
        await self._commit(open_outbox_unit, *({"payload": f"m{i}"} for i in range(4)))
        for attempt in (1, 2, 3):
            [first] = await store.claim(limit=1)
            assert (first.payload, first.attempts) == (b"m0", attempt)
            await store.retry(first)
        assert self._payloads(await store.claim(limit=2)) == [b"m0", b"m1"]

    async def test_a_claim_takes_100_messages_by_default(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        await self._commit(open_outbox_unit, *({"payload": f"m{i:03}"} for i in range(101)))
        assert len(await store.claim()) == 100
        assert self._payloads(await store.claim()) == [b"m100"]

    async def test_units_committed_one_after_another_keep_their_order(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        for i in range(3):
            await self._commit(open_outbox_unit, {"payload": f"u{i}", "ordering_key": "k"})
        seen = []
        for _ in range(3):
            [message] = await store.claim()
            seen.append(message.payload)
            await store.delivered(message)
        assert seen == [b"u0", b"u1", b"u2"]
        assert await store.claim() == []

    async def test_an_ordering_key_holds_back_the_rest_until_its_first_is_delivered(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        await self._commit(
            open_outbox_unit,
            {"payload": "a1", "ordering_key": "a"},
            {"payload": "b1", "ordering_key": "b"},
            {"payload": "a2", "ordering_key": "a"},
            {"payload": "n1"},
            {"payload": "n2"},
        )
        claimed = await store.claim()
        assert self._payloads(claimed) == [b"a1", b"b1", b"n1", b"n2"]
        a1 = claimed[0]
        assert await store.claim() == []  # a2 waits for a1, even unclaimed
        await store.retry(a1)  # due again at once by default
        [again] = await store.claim()
        assert (again.payload, again.attempts) == (b"a1", 2)  # a failed first stays first
        assert again.token > a1.token
        await store.delivered(again)
        assert self._payloads(await store.claim()) == [b"a2"]

    async def test_a_key_never_has_two_messages_in_flight_when_units_commit_out_of_order(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        """A lower id committed after a higher one of its key was claimed waits for it.

        A service's unit of work takes its message's id when it flushes, often long before
        it commits; another unit may stage, commit and have its message of the same key
        claimed meanwhile. Claiming the lower id then would put two messages of one key
        in flight at once, their publishes racing.
        """
        async with open_outbox_unit() as early:
            if early.flush is None:
                pytest.skip("the cell's units cannot flush before they commit")
            early.outbox.put(TOPIC, "early", ordering_key="k")
            await settle(early.flush())  # takes its id now, commits below
            await self._commit(open_outbox_unit, {"payload": "late", "ordering_key": "k"})
            [late] = await store.claim()
            await settle(early.commit())
        assert late.payload == b"late"
        assert await store.claim() == []  # "late" is in flight: "early" waits for it
        await store.retry(late)  # due again at once: "early", the lower id, goes first
        [first] = await store.claim()
        assert (first.payload, first.attempts) == (b"early", 1)
        assert first.id < late.id
        assert await store.claim() == []  # and "late" waits for it in turn
        await store.delivered(first)
        [again] = await store.claim()
        assert (again.payload, again.attempts) == (b"late", 2)

    async def test_an_ordering_key_is_not_held_back_by_another_key(
        self, open_outbox_unit: UnitMaker, store: OutboxStore, unit: float
    ) -> None:
        await self._commit(
            open_outbox_unit,
            {"payload": "a1", "ordering_key": "a"},
            {"payload": "ab", "ordering_key": "a b"},
            {"payload": "A1", "ordering_key": "A"},
        )
        first = await store.claim(limit=1)
        assert self._payloads(first) == [b"a1"]
        await store.retry(first[0], after=60 * unit)  # "a" waits a minute
        assert self._payloads(await store.claim()) == [b"ab", b"A1"]

    async def test_a_lapsed_lease_is_claimed_again_and_its_claim_is_lost(
        self,
        open_outbox_unit: UnitMaker,
        store: OutboxStore,
        unit: float,
        elapse: Callable[[float], Awaitable[None]],
    ) -> None:
        async def attempt(window: Window) -> None:
            await self._commit(
                open_outbox_unit, {"payload": "m", "ordering_key": "k"}, {"payload": "lapsed"}
            )
            with window:
                first, lapsed = await store.claim(lease=window.unit)
                assert await store.claim(lease=window.unit) == []
            assert first.lease == window.unit
            await elapse(window.unit * 1.5)
            # a lapsed claim holds nothing, even before another claim takes the message
            with pytest.raises(LeaseLostError):
                await store.delivered(lapsed)
            with pytest.raises(LeaseLostError):
                await store.retry(lapsed, after=60)
            second, again = await store.claim(lease=60)
            assert (second.id, second.key, second.attempts) == (first.id, first.key, 2)
            assert second.token > first.token
            assert (again.payload, again.attempts) == (b"lapsed", 2)
            with pytest.raises(LeaseLostError) as raised:
                await store.delivered(first)
            assert first.key in str(raised.value)
            with pytest.raises(LeaseLostError):
                await store.retry(first, after=0)
            await store.delivered(second)
            await store.delivered(again)
            assert await store.pending() == 0

        await self.in_windows(attempt, unit, between=self._drain(store, elapse))

    async def test_a_settled_claim_cannot_be_settled_again(
        self, open_outbox_unit: UnitMaker, store: OutboxStore
    ) -> None:
        """A retry ends its claim at once, though the message waits out its delay."""
        await self._commit(open_outbox_unit, {"payload": "d"}, {"payload": "r"})
        delivered, retried = await store.claim()
        await store.delivered(delivered)
        await store.retry(retried, after=_YEAR)  # the longest delay
        for message in (delivered, retried):
            with pytest.raises(LeaseLostError):
                await store.delivered(message)
            with pytest.raises(LeaseLostError):
                await store.retry(message, after=0)
        assert await store.claim() == []
        assert await store.pending() == 1

    async def test_delivered_many_deletes_every_message_whose_claim_holds(
        self,
        open_outbox_unit: UnitMaker,
        store: OutboxStore,
        unit: float,
        elapse: Callable[[float], Awaitable[None]],
    ) -> None:
        """One call: the held ones deleted, the others returned in the order given."""
        await self._commit(open_outbox_unit, {"payload": "lapsed"})
        [lapsed] = await store.claim(lease=unit)
        await elapse(unit * 1.5)
        assert list(await store.delivered_many([lapsed])) == [lapsed]
        await store.retry((await store.claim())[0], after=60 * unit)  # out of the way
        await self._commit(open_outbox_unit, {"payload": "a"}, {"payload": "b"}, {"payload": "c"})
        a, b, c = await store.claim()
        await store.retry(b, after=60 * unit)  # b's claim ended
        stale = OutboxMessage(c.id, c.key, TOPIC, b"c", token=c.token - 1)
        assert list(await store.delivered_many([stale, a, b, c, a])) == [stale, b]
        assert await store.pending() == 2  # b waits out its delay, as does "lapsed"
        assert list(await store.delivered_many((a, c))) == [a, c]  # deleted: nothing holds
        assert list(await store.delivered_many([])) == []
        assert await store.claim() == []

    async def test_a_retry_waits_its_delay(
        self,
        open_outbox_unit: UnitMaker,
        store: OutboxStore,
        unit: float,
        elapse: Callable[[float], Awaitable[None]],
    ) -> None:
        async def attempt(window: Window) -> None:
            await self._commit(open_outbox_unit, {"payload": "later"})
            [message] = await store.claim(lease=60)
            with window:
                await store.retry(message, after=window.unit)
                assert await store.claim() == []
            await elapse(window.unit * 1.5)
            [again] = await store.claim()
            assert (again.payload, again.attempts) == (b"later", 2)

        await self.in_windows(attempt, unit, between=self._drain(store, elapse))

    @requires("injected_clock")
    async def test_a_lease_and_a_delay_end_on_the_millisecond(
        self, open_outbox_unit: UnitMaker, store: OutboxStore, clock: ManualClock
    ) -> None:
        """A claim holds strictly before its end; a delay ends at its end, rounded up."""
        await self._commit(open_outbox_unit, {"payload": "m"})
        [first] = await store.claim(lease=1)
        clock.advance(0.999)
        assert await store.claim() == []
        await store.retry(first, after=0.0001)  # still held: 1 ms before its end
        clock.advance(0.0004)
        assert await store.claim() == []  # the delay rounds up to 1 ms
        clock.advance(0.0006)
        [second] = await store.claim(lease=0.0005)  # rounded up to 1 ms
        assert second.lease == 0.001
        clock.advance(0.001)
        with pytest.raises(LeaseLostError):
            await store.delivered(second)  # the lease ended on its millisecond
        assert [m.attempts for m in await store.claim()] == [3]

    async def test_concurrent_claims_never_share_a_message(
        self, open_outbox_unit: UnitMaker, open_outbox_store: StoreMaker
    ) -> None:
        await self._commit(open_outbox_unit, *({"payload": f"m{i:02}"} for i in range(40)))
        stores = [open_outbox_store() for _ in range(4)]
        batches = await asyncio.gather(*(s.claim(limit=15) for s in stores))
        ids = [m.id for batch in batches for m in batch]
        assert len(ids) == len(set(ids)) == 40
        assert await stores[0].claim() == []
