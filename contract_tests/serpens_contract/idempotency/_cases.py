"""The idempotency suite's example cases: claims, replays, leases, TTLs, limits."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import pytest

from serpens.errors import (
    BackendTimeoutError,
    InProgressError,
    KeyReusedError,
    LeaseLostError,
    SerializationError,
    ValidationError,
)
from serpens.ports import Claim, IdempotencyStore, JSONValue, Replay
from serpens_contract._clock import TRIES, TimedCases, Window
from serpens_contract.capabilities import requires
from serpens_contract.idempotency._support import (
    IdempotencyCapabilities,
    ManualClock,
    StoreMaker,
    _key,
)


class _IdempotencyCases(TimedCases):
    """The example cases of ``IdempotencyContract``, with the fixtures they share."""

    capabilities: ClassVar[IdempotencyCapabilities]

    @pytest.fixture
    def open_idempotency_store(self) -> StoreMaker:
        pytest.fail("override `open_idempotency_store`: return a callable namespace -> store")

    @pytest.fixture
    def namespace(self) -> str:
        return f"i{uuid.uuid4().hex[:12]}"

    @pytest.fixture
    def store(self, open_idempotency_store: StoreMaker, namespace: str) -> IdempotencyStore:
        return open_idempotency_store(namespace)

    @staticmethod
    async def _claim(store: IdempotencyStore, key: str, **options: Any) -> Claim:
        claim = await store.claim(key, **{"lease": 60.0, **options})
        assert isinstance(claim, Claim), f"a free key must be claimed, got {claim!r}"
        return claim

    async def test_a_completed_call_replays_its_result_as_json(
        self, store: IdempotencyStore
    ) -> None:
        key = _key()
        claim = await self._claim(store, key, lease=30)
        assert (claim.key, type(claim.token), claim.lease) == (key, int, 30.0)
        result: Any = {"id": 7, "pair": (1, 2), "none": None}
        await store.complete(claim, result, ttl=60)
        expected = Replay(key, {"id": 7, "pair": [1, 2], "none": None})
        replay = await store.claim(key, lease=30)
        assert replay == expected
        assert isinstance(replay, Replay)
        assert isinstance(replay.result, dict)
        replay.result["id"] = 8  # a fresh copy: the store keeps its own
        assert await store.claim(key, lease=30) == expected

    async def test_results_round_trip_unchanged(self, store: IdempotencyStore) -> None:
        """``None`` is a result like any other; text, big numbers and nesting come back equal."""
        values: list[JSONValue] = [
            None,
            0,
            -(2**62),
            2.5,
            "çé 😀 \x01",
            "\ud800",
            [[], {}],
            {"a": {"b": [True]}},
        ]
        for value in values:
            key = _key()
            await store.complete(await self._claim(store, key), value, ttl=60)
            assert await store.claim(key, lease=60) == Replay(key, value)

    async def test_a_claim_in_progress_refuses_another_until_its_lease_ends(
        self, store: IdempotencyStore
    ) -> None:
        key = _key()
        await self._claim(store, key, lease=30)
        with pytest.raises(InProgressError) as raised:
            await store.claim(key, lease=30)
        assert 25 < raised.value.retry_after <= 30
        assert key in str(raised.value)
        assert isinstance(await store.claim(_key(), lease=30), Claim)  # other keys are free

    async def test_another_fingerprint_is_a_reused_key(self, store: IdempotencyStore) -> None:
        """In progress or completed, a key claimed with another fingerprint is refused."""
        key = _key()
        claim = await self._claim(store, key, fingerprint="sha256:aa")
        with pytest.raises(KeyReusedError):
            await store.claim(key, lease=60, fingerprint="sha256:bb")
        with pytest.raises(KeyReusedError):
            await store.claim(key, lease=60)  # the empty fingerprint is one like any other
        await store.complete(claim, "done", ttl=60)
        with pytest.raises(KeyReusedError) as raised:
            await store.claim(key, lease=60, fingerprint="sha256:bb")
        assert key in str(raised.value)
        assert await store.claim(key, lease=60, fingerprint="sha256:aa") == Replay(key, "done")
        plain = _key()
        await store.complete(await self._claim(store, plain), "plain", ttl=60)
        assert await store.claim(plain, lease=60, fingerprint="") == Replay(plain, "plain")

    async def test_release_frees_the_key_and_ends_the_claim(self, store: IdempotencyStore) -> None:
        key = _key()
        first = await self._claim(store, key, fingerprint="a")
        assert await store.release(first) is True
        assert await store.release(first) is False
        second = await self._claim(store, key, fingerprint="b")  # a free key: any fingerprint
        assert second.token > first.token
        with pytest.raises(LeaseLostError):
            await store.complete(first, "stale", ttl=60)
        await store.complete(second, "fresh", ttl=60)
        assert await store.claim(key, lease=60, fingerprint="b") == Replay(key, "fresh")
        assert await store.release(second) is False  # completed: nothing to release

    async def test_a_claim_completes_once(self, store: IdempotencyStore) -> None:
        key = _key()
        claim = await self._claim(store, key)
        await store.complete(claim, 1, ttl=60)
        with pytest.raises(LeaseLostError) as raised:
            await store.complete(claim, 2, ttl=60)
        assert key in str(raised.value)
        assert await store.claim(key, lease=60) == Replay(key, 1)

    async def test_a_lapsed_lease_is_lost_and_the_key_taken_over(
        self, store: IdempotencyStore, unit: float, elapse: Callable[[float], Awaitable[None]]
    ) -> None:
        key, untaken = _key(), _key()
        old = await self._claim(store, key, lease=unit)
        lapsed = await self._claim(store, untaken, lease=unit)
        kept = await self._claim(store, _key(), lease=60)
        await elapse(unit * 1.2)
        new = await self._claim(store, key, lease=60)
        assert new.token > old.token
        with pytest.raises(LeaseLostError):
            await store.complete(old, "late", ttl=60)
        assert await store.release(old) is False
        with pytest.raises(LeaseLostError):  # even with nobody else on the key
            await store.complete(lapsed, "late", ttl=60)
        assert await store.release(lapsed) is False
        await store.complete(kept, "in time", ttl=60)
        await store.complete(new, "new", ttl=60)
        assert await store.claim(key, lease=60) == Replay(key, "new")

    async def test_a_result_is_replayed_until_its_ttl_ends(
        self, store: IdempotencyStore, unit: float, elapse: Callable[[float], Awaitable[None]]
    ) -> None:
        """The TTL counts from the completion, whatever the claim's lease was."""

        async def attempt(window: Window) -> None:
            key, kept = _key(), _key()
            first = await self._claim(store, key)
            with window:
                await store.complete(first, "once", ttl=window.unit)
                await store.complete(
                    await self._claim(store, kept, lease=window.unit), "kept", ttl=60
                )
                assert await store.claim(key, lease=60) == Replay(key, "once")
            await elapse(window.unit * 1.2)
            again = await self._claim(store, key, fingerprint="other")
            assert again.token > first.token
            assert await store.claim(kept, lease=60) == Replay(kept, "kept")

        await self.in_windows(attempt, unit)

    @requires("injected_clock")
    async def test_leases_and_ttls_end_exactly_at_their_time(
        self, store: IdempotencyStore, clock: ManualClock
    ) -> None:
        """A lease holds strictly before claim + lease; times round up to whole milliseconds."""
        key = _key()
        claim = await self._claim(store, key, lease=2)
        clock.advance(1.999)
        with pytest.raises(InProgressError) as raised:
            await store.claim(key, lease=2)
        assert raised.value.retry_after == pytest.approx(0.001, abs=1e-6)
        await store.complete(claim, "r", ttl=3.0001)  # 3.001 s
        clock.advance(3.0005)
        assert await store.claim(key, lease=2) == Replay(key, "r")
        clock.advance(0.0005)
        taken = await self._claim(store, key, lease=0.0001)
        assert taken.lease == 0.001
        clock.advance(0.001)  # the lease's last instant has passed: nothing holds
        with pytest.raises(LeaseLostError):
            await store.complete(taken, "late", ttl=1)
        assert await store.release(taken) is False
        assert isinstance(await store.claim(key, lease=1), Claim)

    async def test_tokens_grow_with_every_claim_of_a_key(self, store: IdempotencyStore) -> None:
        key = _key()
        tokens = []
        for _ in range(5):
            claim = await self._claim(store, key)
            tokens.append(claim.token)
            assert await store.release(claim)
        assert tokens == sorted(set(tokens)), tokens

    @requires("atomic_claims")
    async def test_concurrent_claims_of_one_key_give_one_claim(
        self, open_idempotency_store: StoreMaker, namespace: str
    ) -> None:
        """Two stores on one namespace (two processes): one claim in all, the rest wait.

        Twelve connections open at once: a machine busy enough to stall one past the
        store's deadline leaves that run unable to say who waited, so it runs again on a new
        key, up to :data:`TRIES` times. Two claims fail the run they happen in.
        """
        stores = [open_idempotency_store(namespace), open_idempotency_store(namespace)]
        for _ in range(TRIES):
            key = _key()
            outcomes = await asyncio.gather(
                *(stores[i % 2].claim(key, lease=60) for i in range(12)), return_exceptions=True
            )
            claims = [o for o in outcomes if isinstance(o, Claim)]
            assert len(claims) <= 1, outcomes
            if not any(isinstance(o, BackendTimeoutError) for o in outcomes):
                break
        else:
            pytest.fail(f"every run had a claim past the store's deadline: {outcomes}")
        assert len(claims) == 1, outcomes
        assert all(isinstance(o, InProgressError) for o in outcomes if o is not claims[0]), outcomes
        await stores[1].complete(claims[0], "one", ttl=60)
        assert await stores[0].claim(key, lease=60) == Replay(key, "one")

    async def test_stores_on_other_namespaces_are_apart(
        self, open_idempotency_store: StoreMaker
    ) -> None:
        key = _key()
        one, two = open_idempotency_store("ns-one"), open_idempotency_store("ns-two")
        await one.complete(await self._claim(one, key, fingerprint="x"), 1, ttl=60)
        claim = await self._claim(two, key, fingerprint="y")
        await two.complete(claim, 2, ttl=60)
        assert await one.claim(key, lease=60, fingerprint="x") == Replay(key, 1)

    async def test_a_namespace_nested_in_another_is_apart_from_it(
        self, open_idempotency_store: StoreMaker
    ) -> None:
        """Key ``"sub:k"`` of namespace ``n`` is not key ``"k"`` of namespace ``n:sub``."""
        outer_name = f"n{uuid.uuid4().hex[:12]}"
        outer = open_idempotency_store(outer_name)
        inner = open_idempotency_store(f"{outer_name}:sub")
        key = _key()
        held = await self._claim(outer, f"sub:{key}")
        claim = await self._claim(inner, key)  # not InProgressError: a key of its own
        await inner.complete(claim, "inner", ttl=60)
        await outer.complete(held, "outer", ttl=60)
        assert await inner.claim(key, lease=60) == Replay(key, "inner")
        assert await outer.claim(f"sub:{key}", lease=60) == Replay(f"sub:{key}", "outer")

    async def test_bad_claim_arguments_are_named_and_claim_nothing(
        self, store: IdempotencyStore
    ) -> None:
        for bad_key in ("", "a\x00b", "\udc80", "é" * 513, 7):
            with pytest.raises(ValidationError) as raised:
                await store.claim(bad_key, lease=60)  # type: ignore[arg-type]
            assert [e.path for e in raised.value.errors] == ["key"], bad_key
        for bad in (0, -1, float("nan"), float("inf"), True, "5", 366 * 86400 + 0.5, 10**400):
            with pytest.raises(ValidationError) as raised:
                await store.claim(_key(), lease=bad)  # type: ignore[arg-type]
            assert [e.path for e in raised.value.errors] == ["lease"], bad
        key = _key()
        with pytest.raises(ValidationError) as raised:
            await store.claim(key, lease=0, fingerprint="f" * 257)
        assert [e.path for e in raised.value.errors] == ["fingerprint", "lease"]
        longest = await self._claim(store, "é" * 512, fingerprint="f" * 256, lease=366 * 86400)
        assert await store.release(longest)
        exact = await self._claim(store, _key(), lease=2.007)  # 2.007 * 1000 is 2007.0000000000002
        assert exact.lease == 2.007
        shortest = await self._claim(store, "k", lease=60)  # one byte
        await store.complete(shortest, 1, ttl=60)
        assert await store.release(shortest) is False
        assert isinstance(await store.claim(key, lease=60), Claim)  # the refusals took nothing

    async def test_a_refused_result_stores_nothing_and_the_claim_holds(
        self, store: IdempotencyStore
    ) -> None:
        key = _key()
        claim = await self._claim(store, key)
        # an int longer than Python turns into text (4300 digits) has no JSON form either
        for unencodable in ({"when": object()}, 10**5000, [1, {"n": -(10**5000)}]):
            with pytest.raises(SerializationError):
                await store.complete(claim, unencodable, ttl=60)  # type: ignore[arg-type]
        with pytest.raises(ValidationError) as raised:
            await store.complete(claim, "x" * (256 * 1024 - 1), ttl=60)  # 2 more for the quotes
        assert [e.path for e in raised.value.errors] == ["result"]
        for bad in (0, float("nan"), None, 366 * 86400 + 1, 10**400):
            with pytest.raises(ValidationError) as raised:
                await store.complete(claim, 1, ttl=bad)  # type: ignore[arg-type]
            assert [e.path for e in raised.value.errors] == ["ttl"]
        with pytest.raises(InProgressError):
            await store.claim(key, lease=60)
        largest = "x" * (256 * 1024 - 2)
        await store.complete(claim, largest, ttl=60)
        assert await store.claim(key, lease=60) == Replay(key, largest)

    async def test_a_claim_must_be_one_a_store_returned(self, store: IdempotencyStore) -> None:
        for bad in (None, "k", {"key": "k", "token": 1}, Claim("", 1, 1.0), Claim("k", "1", 1.0)):  # type: ignore[arg-type]
            with pytest.raises(ValidationError) as raised:
                await store.complete(bad, 1, ttl=60)  # type: ignore[arg-type]
            assert [e.path for e in raised.value.errors] == ["claim"]
            with pytest.raises(ValidationError) as raised:
                await store.release(bad)  # type: ignore[arg-type]
            assert [e.path for e in raised.value.errors] == ["claim"]
        forged = Claim(_key(), 1, 60.0)  # never issued: it holds nothing
        assert await store.release(forged) is False
        with pytest.raises(LeaseLostError):
            await store.complete(forged, 1, ttl=60)
