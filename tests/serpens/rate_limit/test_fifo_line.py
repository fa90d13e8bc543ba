"""The line in front of every rate limiter: one attempt in flight, whoever leaves it.

``FifoLimiter`` (``serpens._rules.rate_limit``) is the shared base of the in-process and
the Redis limiters. An attempt may be a network round trip, so only the head of the line
attempts; a waiter that leaves (cancelled, timed out) must not wake the next one while
the head's attempt is still in flight, wherever it stood in the line. The attempts here
wait on the test, so the cases see exactly how many run at once. Mutation testing runs
this file with the contract cells (``TestRateLimiter*`` in ``[tool.mutmut]``).
"""

from __future__ import annotations

import asyncio

import pytest

from serpens._rules.rate_limit import FifoLimiter


class _HeldLine(FifoLimiter):
    """A line whose every attempt waits for :attr:`release`, counting attempts in flight."""

    def __init__(self) -> None:
        super().__init__(asyncio.sleep)
        self.release = asyncio.Event()
        self.in_flight = 0
        self.most_in_flight = 0
        self.served: list[int] = []

    async def _attempt(self) -> float:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.release.wait()
        finally:
            self.in_flight -= 1
        return 0.0

    async def take(self, n: int, timeout: float | None = None) -> None:
        await self.acquire(timeout=timeout)
        self.served.append(n)


async def _settle() -> None:
    for _ in range(5):  # let every woken task run up to its next await
        await asyncio.sleep(0)


async def _line(limiter: _HeldLine, size: int) -> list[asyncio.Task[None]]:
    tasks = [asyncio.create_task(limiter.take(n)) for n in range(size)]
    await _settle()
    assert limiter.in_flight == 1  # the head attempts, the others wait their turn
    assert limiter.waiting == size
    return tasks


class TestRateLimiterFifoLine:
    @pytest.mark.parametrize("leaving", [1, 2, 3], ids=["second", "third", "last"])
    async def test_a_waiter_leaving_wakes_nobody_while_the_head_attempts(
        self, leaving: int
    ) -> None:
        limiter = _HeldLine()
        tasks = await _line(limiter, 4)
        tasks[leaving].cancel()
        await _settle()
        assert limiter.most_in_flight == 1
        assert limiter.waiting == 3
        limiter.release.set()
        await asyncio.gather(*(task for n, task in enumerate(tasks) if n != leaving))
        assert limiter.served == [n for n in range(4) if n != leaving]
        assert limiter.most_in_flight == 1
        assert limiter.waiting == 0

    async def test_a_waiter_timing_out_at_the_end_keeps_the_line(self) -> None:
        limiter = _HeldLine()
        tasks = await _line(limiter, 3)
        with pytest.raises(TimeoutError):
            await limiter.take(3, timeout=0.01)
        assert limiter.most_in_flight == 1
        assert limiter.waiting == 3
        limiter.release.set()
        await asyncio.gather(*tasks)
        assert limiter.served == [0, 1, 2]

    async def test_the_head_leaving_hands_the_turn_to_the_next(self) -> None:
        limiter = _HeldLine()
        tasks = await _line(limiter, 3)
        tasks[0].cancel()
        await _settle()
        assert limiter.in_flight == 1  # the second attempts now, alone
        assert limiter.waiting == 2
        limiter.release.set()
        await asyncio.gather(tasks[1], tasks[2])
        assert limiter.served == [1, 2]
        assert limiter.most_in_flight == 1
