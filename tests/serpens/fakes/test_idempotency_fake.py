"""The in-memory idempotency store's own helpers: ``keys()``, its repr and its clock."""

from __future__ import annotations

from serpens.fakes import InMemoryIdempotencyStore
from serpens.ports import Claim
from serpens_contract.idempotency import ManualClock


async def test_keys_lists_the_live_records_sorted() -> None:
    clock = ManualClock()
    store = InMemoryIdempotencyStore(clock=clock)
    short = await store.claim("b", lease=1)
    await store.claim("a", lease=10)
    done = await store.claim("c", lease=10)
    assert isinstance(short, Claim)
    assert isinstance(done, Claim)
    await store.complete(done, "r", ttl=5)
    assert store.keys() == ["a", "b", "c"]
    assert repr(store) == "InMemoryIdempotencyStore(3 live keys)"
    clock.advance(1)
    assert store.keys() == ["a", "c"]
    clock.advance(4)
    assert store.keys() == ["a"]


async def test_tokens_are_the_clock_in_microseconds() -> None:
    clock = ManualClock(1_700_000_000.25)
    store = InMemoryIdempotencyStore(clock=clock)
    claim = await store.claim("k", lease=1)
    assert isinstance(claim, Claim)
    assert claim.token == 1_700_000_000_250_000
    assert await store.release(claim)
    again = await store.claim("k", lease=1)  # the same instant: one above the last
    assert isinstance(again, Claim)
    assert again.token == claim.token + 1
