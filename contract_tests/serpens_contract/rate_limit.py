"""Contract suite of the RateLimit port (``serpens.ports.RateLimit``), on the real clock.

Override ``open_rate_limiter`` to return a callable ``(name, rate, per_seconds, burst)
-> limiter``. Limiters opened with the same *name* within one test share a quota when
the implementation declares ``shared_quota`` (a distributed limiter); different names
never do. Timings use generous margins so the suite passes on a loaded CI machine and
still fails an implementation that admits too much, too soon or unfairly.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import pytest

from serpens.errors import ValidationError
from serpens.ports import RateLimit
from serpens_contract._cancels import cancels_not_honoured
from serpens_contract._suite import ContractSuite
from serpens_contract.capabilities import register_capability, requires
from serpens_contract.outage import RateLimitOutageCases

__all__ = ["LimiterFactory", "RateLimitCapabilities", "RateLimitContract"]

LimiterFactory = Callable[[str, float, float, int | None], RateLimit]


@dataclass(frozen=True)
class RateLimitCapabilities:
    """Honest differences between limiters.

    Attributes:
        shared_quota: limiters opened with the same name share one quota (distributed).
    """

    shared_quota: bool = False


register_capability(
    "rate_limit",
    "shared_quota",
    lambda c: c.shared_quota,
    "limiters opened with the same name share one quota",
)

# Scheduling slack on a busy machine, in seconds.
_SLACK = 0.06
# A burst's call is admitted without waiting: each has this timeout, short of the 500 ms
# interval the burst cases use, so a call made to wait for a slot raises TimeoutError. The
# margin is per call (one round trip on a busy machine), not shared by the whole burst.
_AT_ONCE = 0.4
_NAN, _INF = float("nan"), float("inf")
# (rate, per_seconds, burst) -> the fields a ValidationError names, in that order
_INVALID_LIMITS = [
    (0, 1.0, None, ["rate"]),
    (-1, 1.0, None, ["rate"]),
    (_NAN, 1.0, None, ["rate"]),
    (_INF, 1.0, None, ["rate"]),
    ("5", 1.0, None, ["rate"]),
    (5, 0, None, ["per_seconds"]),
    (5, -1.0, None, ["per_seconds"]),
    (5, _NAN, None, ["per_seconds"]),
    (5, _INF, None, ["per_seconds"]),
    (5, "1", None, ["per_seconds"]),
    (5, 1.0, 0, ["burst"]),
    (5, 1.0, True, ["burst"]),
    (5, 1.0, 1.5, ["burst"]),
    (0, 0, 0, ["rate", "per_seconds", "burst"]),
]


class RateLimitContract(RateLimitOutageCases, ContractSuite):
    """Every rate limiter must pass these tests."""

    contract = "rate_limit"
    capabilities: ClassVar[RateLimitCapabilities] = RateLimitCapabilities()

    @pytest.fixture
    def open_rate_limiter(self) -> LimiterFactory:
        pytest.fail("override `open_rate_limiter`: return (name, rate, per, burst) -> limiter")

    @pytest.fixture
    def make(self, open_rate_limiter: LimiterFactory) -> Callable[..., RateLimit]:
        prefix = uuid.uuid4().hex[:12]

        def make(
            rate: float, per_seconds: float = 1.0, burst: int | None = None, name: str = "q"
        ) -> RateLimit:
            return open_rate_limiter(f"{prefix}-{name}", rate, per_seconds, burst)

        return make

    async def test_a_burst_is_admitted_at_once(self, make: Callable[..., RateLimit]) -> None:
        limiter = make(2, burst=5)  # one call every 500 ms after the burst
        for _ in range(5):
            await limiter.acquire(timeout=_AT_ONCE)

    @pytest.mark.parametrize(("rate", "per_seconds", "burst", "fields"), _INVALID_LIMITS)
    async def test_invalid_limits_raise_a_validation_error_naming_each_field(
        self,
        open_rate_limiter: LimiterFactory,
        rate: object,
        per_seconds: object,
        burst: object,
        fields: list[str],
    ) -> None:
        """A rate or window that is not a finite number > 0, a burst not an integer >= 1."""
        with pytest.raises(ValidationError) as caught:
            open_rate_limiter(f"invalid-{uuid.uuid4().hex[:12]}", rate, per_seconds, burst)  # type: ignore[arg-type]
        assert [error.path for error in caught.value.errors] == fields

    @pytest.mark.parametrize("per_seconds", [1e11, 1e14, 1e18, 1e300])
    async def test_any_finite_window_works_however_long(
        self, make: Callable[..., RateLimit], per_seconds: float
    ) -> None:
        """A window the limiter accepts works: the first call is served, the next one waits.

        Redis refused a key expiry of 1e14 ms or more as Lua wrote it (exponent form).
        """
        limiter = make(1, per_seconds=per_seconds)
        await limiter.acquire(timeout=1.0)
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(2.0):  # bounds a limiter that ignores its timeout
                await limiter.acquire(timeout=0.05)
        assert time.monotonic() - start < 1.0  # its own timeout, not the bound
        await limiter.stop()

    @pytest.mark.parametrize(("rate", "burst"), [(3.7, 3), (0.5, 1), (1.5, 1)])
    async def test_the_burst_defaults_to_the_whole_rate_and_at_least_one(
        self, make: Callable[..., RateLimit], rate: float, burst: int
    ) -> None:
        limiter = make(rate, per_seconds=rate / 2)  # one call every 500 ms after the burst
        start = time.monotonic()
        for _ in range(burst):
            await limiter.acquire(timeout=_AT_ONCE)
        await limiter.acquire()
        assert time.monotonic() - start >= 0.5 - 0.01

    async def test_after_the_burst_calls_are_spaced_by_the_interval(
        self, make: Callable[..., RateLimit]
    ) -> None:
        limiter = make(20, burst=1)  # one call every 50 ms
        start = time.monotonic()
        for _ in range(5):
            await limiter.acquire()
        elapsed = time.monotonic() - start
        assert 0.2 - 0.01 <= elapsed < 0.2 + 3 * _SLACK

    async def test_concurrent_callers_never_exceed_burst_plus_rate_times_window(
        self, make: Callable[..., RateLimit]
    ) -> None:
        rate, burst = 50.0, 3
        limiter = make(rate, burst=burst)
        grants: list[float] = []
        deadline = time.monotonic() + 0.4

        async def worker() -> None:
            while time.monotonic() < deadline:
                await limiter.acquire()
                grants.append(time.monotonic())

        await asyncio.gather(*(worker() for _ in range(4)))
        grants.sort()
        for i in range(len(grants)):
            for j in range(i, len(grants)):
                # one slot of slack: grants are timed here, after the limiter decided
                assert j - i + 1 <= burst + rate * (grants[j] - grants[i]) + 1
        assert len(grants) >= burst + rate * 0.4 * 0.7  # and it does not starve callers

    async def test_waiters_are_served_in_arrival_order(
        self, make: Callable[..., RateLimit]
    ) -> None:
        limiter = make(40, burst=1)
        order: list[int] = []

        async def worker(n: int) -> None:
            await limiter.acquire()
            order.append(n)

        tasks = []
        for n in range(6):
            tasks.append(asyncio.create_task(worker(n)))
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
        assert order == list(range(6))

    async def test_a_cancelled_waiter_does_not_consume_a_slot(
        self, make: Callable[..., RateLimit]
    ) -> None:
        limiter = make(5, burst=1)  # one call every 200 ms
        await limiter.acquire()
        start = time.monotonic()
        first = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0.01)
        second = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0.05)
        first.cancel()
        await second
        assert time.monotonic() - start < 0.2 + 2 * _SLACK  # not 400 ms
        with pytest.raises(asyncio.CancelledError):
            await first

    async def test_a_waiter_cancelled_mid_line_leaves_the_others_in_order(
        self, make: Callable[..., RateLimit]
    ) -> None:
        limiter = make(10, burst=1)  # one call every 100 ms
        await limiter.acquire()
        start = time.monotonic()
        order: list[int] = []

        async def worker(n: int) -> None:
            await limiter.acquire()
            order.append(n)

        tasks = []
        for n in range(3):
            tasks.append(asyncio.create_task(worker(n)))
            await asyncio.sleep(0.005)
        tasks[1].cancel()
        await asyncio.gather(tasks[0], tasks[2])
        assert order == [0, 2]
        assert time.monotonic() - start < 0.2 + 2 * _SLACK  # the cancelled one took no slot
        with pytest.raises(asyncio.CancelledError):
            await tasks[1]

    async def test_a_cancelled_acquire_ends_cancelled_wherever_the_cancel_lands(
        self, make: Callable[..., RateLimit]
    ) -> None:
        """A ``cancel()`` that finds ``acquire()`` running ends it with ``CancelledError``.

        Cancelled after 0, 1, 2, ... turns of the event loop (see
        :func:`serpens_contract._cancels.cancels_not_honoured`), with slots to spare:
        an acquire may finish before its cancel, but one a cancel found running never
        returns a slot to a caller that is gone.
        """
        limiter = make(1000, burst=1000)
        assert await cancels_not_honoured(limiter.acquire) == []
        await limiter.stop()  # what a cancelled acquire left to settle ends here

    async def test_a_timed_out_acquire_raises_timeout_error_and_takes_no_slot(
        self, make: Callable[..., RateLimit]
    ) -> None:
        limiter = make(10, burst=1)  # one call every 100 ms
        await limiter.acquire()
        with pytest.raises(TimeoutError):
            await limiter.acquire(timeout=0.02)
        start = time.monotonic()
        await limiter.acquire()
        assert time.monotonic() - start < 0.1 + _SLACK  # the timed-out call took nothing

    async def test_a_timeout_longer_than_the_wait_is_met(
        self, make: Callable[..., RateLimit]
    ) -> None:
        """Behind another caller, then until a slot frees: both within a 1 s timeout.

        The 200 ms are counted from before the first call: the slots free 100 and
        200 ms after the backend granted it, and its reply may take a while to arrive.
        """
        limiter = make(10, burst=1)  # one call every 100 ms
        before = time.monotonic()
        await limiter.acquire()
        start = time.monotonic()
        await asyncio.gather(limiter.acquire(timeout=1.0), limiter.acquire(timeout=1.0))
        assert time.monotonic() - before >= 0.2 - 0.01
        assert time.monotonic() - start < 0.2 + 3 * _SLACK

    @pytest.mark.parametrize("timeout", [0, -1, 1e-6], ids=["zero", "negative", "tiny"])
    async def test_a_free_slot_is_taken_whatever_the_timeout(
        self, make: Callable[..., RateLimit], timeout: float
    ) -> None:
        """Pins: the timeout bounds the wait, not the first try (0, < 0, < a round trip).

        Without a free slot such a timeout gives up at once, and takes nothing.
        """
        limiter = make(10, burst=1)  # one call every 100 ms
        await limiter.acquire(timeout=timeout)
        with pytest.raises(TimeoutError):
            await limiter.acquire(timeout=timeout)
        start = time.monotonic()
        await limiter.acquire()
        assert time.monotonic() - start < 0.1 + _SLACK  # the refused call took nothing

    async def test_async_with_acquires_a_slot(self, make: Callable[..., RateLimit]) -> None:
        limiter = make(10, burst=1)
        start = time.monotonic()
        async with limiter:
            pass
        async with limiter:
            pass
        assert time.monotonic() - start >= 0.1 - 0.01

    async def test_it_works_without_start_and_start_stop_are_idempotent(
        self, make: Callable[..., RateLimit]
    ) -> None:
        limiter = make(100)
        await limiter.acquire()
        limiter.start()
        limiter.start()
        await limiter.acquire()
        await limiter.stop()
        await limiter.stop()

    async def test_auth_lock_lets_one_refresh_while_the_others_wait(
        self, make: Callable[..., RateLimit]
    ) -> None:
        limiter = make(100)
        refreshes: list[int] = []
        cache: dict[str, str] = {}

        async def fetch_token() -> str:
            async with limiter.auth_lock:
                if "token" not in cache:
                    refreshes.append(1)
                    await asyncio.sleep(0.01)
                    cache["token"] = "jwt"  # noqa: S105 - a dummy credential
                return cache["token"]

        assert await asyncio.gather(*(fetch_token() for _ in range(10))) == ["jwt"] * 10
        assert refreshes == [1]

    async def test_limiters_with_different_names_do_not_share_a_quota(
        self, make: Callable[..., RateLimit]
    ) -> None:
        one, two = make(2, burst=1, name="one"), make(2, burst=1, name="two")
        start = time.monotonic()
        await one.acquire()
        await two.acquire()
        # A shared quota would make the second caller wait 0.5 s; half of that leaves room
        # for a loaded machine without blurring the difference.
        assert time.monotonic() - start < 0.25

    @requires("shared_quota")
    async def test_callers_of_limiters_sharing_a_name_never_exceed_the_quota_together(
        self, make: Callable[..., RateLimit]
    ) -> None:
        """As processes sharing a quota: a slot another limiter took is waited for again.

        A waiter whose slot was taken by the other limiter while it slept finds none
        free when it tries again: it must sleep again, never go on without a slot.
        """
        rate, burst = 50.0, 2
        limiters = [make(rate, burst=burst, name="together") for _ in range(2)]
        grants: list[float] = []
        deadline = time.monotonic() + 0.4

        async def worker(limiter: RateLimit) -> None:
            while time.monotonic() < deadline:
                await limiter.acquire()
                grants.append(time.monotonic())

        await asyncio.gather(*(worker(limiters[n % 2]) for n in range(6)))
        grants.sort()
        for i in range(len(grants)):
            for j in range(i, len(grants)):
                assert j - i + 1 <= burst + rate * (grants[j] - grants[i]) + 1

    @requires("shared_quota")
    async def test_limiters_with_the_same_name_share_one_quota(
        self, make: Callable[..., RateLimit]
    ) -> None:
        """The other limiter waits for the slot the first one's burst used up.

        The 100 ms are counted from before the first call: the slot frees 100 ms after
        the backend granted it, whatever its replies took (a clean-clone CI run read 85
        ms from the second reply on Redis); a limiter of its own would not wait at all.
        """
        one, two = make(10, burst=2, name="shared"), make(10, burst=2, name="shared")
        start = time.monotonic()
        await one.acquire()
        await one.acquire()
        await two.acquire()
        assert time.monotonic() - start >= 0.1 - 0.01
