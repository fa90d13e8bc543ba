"""serpens.rate_limit.RateLimiter on a fake clock: bounds, fairness, cancellation."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serpens.errors import ValidationError
from serpens.rate_limit import RateLimiter


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def _limiter(
    clock: FakeClock, rate: float, per: float = 1.0, burst: int | None = None
) -> RateLimiter:
    return RateLimiter(rate, per, burst=burst, clock=clock, sleep=clock.sleep)


def _grants_within_bound(grants: list[float], burst: int, rate: float, per: float) -> None:
    for i in range(len(grants)):
        for j in range(i, len(grants)):
            window = grants[j] - grants[i]
            assert j - i + 1 <= burst + rate * window / per + 1e-6, (i, j, grants)


class TestBounds:
    @settings(max_examples=60, deadline=None)
    @given(
        rate=st.floats(0.5, 50),
        per=st.floats(0.1, 3),
        burst=st.integers(1, 6),
        steps=st.lists(
            st.tuples(st.floats(0, 2), st.lists(st.booleans(), max_size=6), st.integers(0, 3)),
            min_size=1,
            max_size=12,
        ),
    )
    def test_no_window_admits_more_than_burst_plus_rate_times_window(
        self, rate: float, per: float, burst: int, steps: list[tuple[float, list[bool], int]]
    ) -> None:
        """Bound, liveness and cancellation safety over random arrivals and cancellations.

        Each step advances the clock by dt, starts one caller per flag, lets the loop run
        *spins* times, then cancels the flagged callers. A cancelled caller must leave no
        trace: every delayed grant still closes a window that is full of granted calls.
        """
        clock = FakeClock()
        limiter = _limiter(clock, rate, per, burst)
        grants: list[float] = []
        waited: list[int] = []  # indexes of grants that came later than requested

        async def one(requested: float) -> None:
            await limiter.acquire()
            grants.append(clock())
            if grants[-1] > requested:
                waited.append(len(grants) - 1)

        async def scenario() -> None:
            for dt, cancel_flags, spins in steps:
                clock.now += dt
                now = clock()
                tasks = [asyncio.create_task(one(now)) for _ in cancel_flags]
                for _ in range(spins):
                    await asyncio.sleep(0)
                for task, cancel in zip(tasks, cancel_flags, strict=True):
                    if cancel:
                        task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            assert limiter.waiting == 0

        asyncio.run(scenario())
        assert grants == sorted(grants)
        _grants_within_bound(grants, burst, rate, per)
        for j in waited:  # never stricter than needed, and cancelled callers took nothing
            assert any(
                j - i + 1 >= burst + rate * (grants[j] - grants[i]) / per - 1e-6
                for i in range(j + 1)
            ), (j, grants)

    async def test_a_burst_is_immediate_then_one_token_per_interval(self) -> None:
        clock = FakeClock()
        limiter = _limiter(clock, rate=4, per=1.0)  # burst 4, one token every 0.25 s
        start = clock()
        times = []
        for _ in range(7):
            await limiter.acquire()
            times.append(clock() - start)
        assert times == pytest.approx([0, 0, 0, 0, 0.25, 0.5, 0.75])

    async def test_fractional_rates_work(self) -> None:
        clock = FakeClock()
        limiter = _limiter(clock, rate=0.5, per=1.0)  # one call every 2 s, burst 1
        start = clock()
        await limiter.acquire()
        await limiter.acquire()
        assert clock() - start == pytest.approx(2.0)
        assert limiter.burst == 1

    def test_tokens_refill_from_the_clock_up_to_the_burst(self) -> None:
        clock = FakeClock()
        limiter = _limiter(clock, rate=10, per=1.0, burst=3)
        assert limiter.tokens() == 3

        async def drain() -> None:
            for _ in range(3):
                await limiter.acquire()

        asyncio.run(drain())
        assert limiter.tokens() == pytest.approx(0)
        clock.now += 0.15
        assert limiter.tokens() == pytest.approx(1.5)
        clock.now += 100
        assert limiter.tokens() == 3


class TestFairnessAndCancellation:
    async def test_waiters_are_served_in_arrival_order(self) -> None:
        clock = FakeClock()
        limiter = _limiter(clock, rate=1, per=1.0)
        order: list[int] = []

        async def worker(n: int) -> None:
            await limiter.acquire()
            order.append(n)

        await asyncio.gather(*(worker(n) for n in range(8)))
        assert order == list(range(8))

    async def test_a_cancelled_waiter_does_not_consume_a_token(self) -> None:
        clock = FakeClock()
        limiter = _limiter(clock, rate=1, per=1.0)
        await limiter.acquire()
        start = clock()
        gate = asyncio.Event()

        async def blocked_sleep(seconds: float) -> None:  # head waits on the gate first
            await gate.wait()
            await clock.sleep(seconds)

        limiter._sleep = blocked_sleep
        first = asyncio.create_task(limiter.acquire())
        second = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)
        assert limiter.waiting == 2
        first.cancel()
        gate.set()
        await second
        assert clock() - start == pytest.approx(1.0)  # the cancelled one took nothing
        assert limiter.waiting == 0
        with pytest.raises(asyncio.CancelledError):
            await first

    async def test_cancelling_a_waiter_behind_the_head_keeps_the_line_moving(self) -> None:
        clock = FakeClock()
        limiter = _limiter(clock, rate=1, per=1.0)
        await limiter.acquire()
        tasks = [asyncio.create_task(limiter.acquire()) for _ in range(3)]
        await asyncio.sleep(0)
        tasks[1].cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[1], asyncio.CancelledError)
        assert results[0] is None
        assert results[2] is None
        assert limiter.waiting == 0

    async def test_a_timed_out_acquire_raises_timeout_error_and_takes_no_token(self) -> None:
        limiter = RateLimiter(1, per_seconds=60)
        await limiter.acquire()
        with pytest.raises(TimeoutError):
            await limiter.acquire(timeout=0.02)
        assert limiter.waiting == 0
        assert limiter.tokens() < 1


class TestLifecycle:
    def test_start_needs_no_running_loop_and_acquire_works_without_it(self) -> None:
        limiter = RateLimiter(5)
        assert not limiter.running
        asyncio.run(limiter.acquire())  # documented: start() is optional
        limiter.start()
        limiter.start()
        assert limiter.running
        asyncio.run(limiter.stop())
        assert not limiter.running
        asyncio.run(limiter.acquire())  # still usable after stop

    def test_one_limiter_serves_successive_event_loops(self) -> None:
        """A module-level limiter survives asyncio.run per call and one loop per test."""
        limiter = RateLimiter(1000)

        async def contend() -> int:
            held = 0

            async def hold() -> None:
                nonlocal held
                await limiter.acquire()
                async with limiter.auth_lock:
                    held += 1
                    await asyncio.sleep(0.001)

            await asyncio.gather(*(hold() for _ in range(5)))
            return held

        assert asyncio.run(contend()) == 5
        assert asyncio.run(contend()) == 5

    async def test_async_with_acquires_a_token(self) -> None:
        clock = FakeClock()
        limiter = _limiter(clock, rate=2, per=1.0, burst=1)
        async with limiter:
            pass
        assert limiter.tokens() == pytest.approx(0)

    async def test_auth_lock_lets_one_coroutine_refresh_while_others_wait(self) -> None:
        limiter = RateLimiter(100)
        refreshes = 0
        token: str | None = None

        async def fetch_token() -> str:
            nonlocal refreshes, token
            async with limiter.auth_lock:
                if token is None:
                    refreshes += 1
                    await asyncio.sleep(0.01)
                    token = "jwt"
                return token

        assert await asyncio.gather(*(fetch_token() for _ in range(20))) == ["jwt"] * 20
        assert refreshes == 1

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            pytest.param({"rate": 0}, "rate", id="zero-rate"),
            pytest.param({"rate": -1}, "rate", id="negative-rate"),
            pytest.param({"rate": float("inf")}, "rate", id="infinite-rate"),
            pytest.param({"rate": 1, "per_seconds": 0}, "per_seconds", id="zero-period"),
            pytest.param({"rate": 1, "burst": 0}, "burst", id="zero-burst"),
            pytest.param({"rate": 1, "burst": 1.5}, "burst", id="float-burst"),
        ],
    )
    def test_bad_numbers_are_validation_errors_naming_the_field(
        self, kwargs: dict[str, float], field: str
    ) -> None:
        with pytest.raises(ValidationError) as info:
            RateLimiter(**kwargs)  # type: ignore[arg-type]
        assert [e.path for e in info.value.errors] == [field]

    def test_repr_shows_the_limits(self) -> None:
        assert repr(RateLimiter(20, 1.0)) == "RateLimiter(rate=20, per_seconds=1, burst=20)"

    def test_the_rate_is_per_second_by_default(self) -> None:
        limiter = RateLimiter(2.5)
        assert (limiter.rate, limiter.per_seconds, limiter.burst) == (2.5, 1.0, 2)
