"""The lock keepers themselves: an async keeper is finished when ``stop()`` returns, and
sync keepers due at the same instant all renew.

``AsyncLockKeeper.stop()`` promises to wait until its task has finished; inside
``get_or_set`` the lock's release awaits Redis right after, which lets a cancelled task
finish anyway, so only a keeper driven here shows a ``stop()`` that cancels without
waiting. The sync keepers share one heap of due renewals, ordered by due time and then
by a sequence number, never by the keepers (which do not compare). On Linux two
renewals are never due at the same ``time.monotonic()``; on Windows under Python 3.11
that clock ticks every 15.6 ms, so keepers started together tie, and a sequence that no
longer counts made the heap compare keepers (``TypeError``). Found by mutating
``serpens_redis/_lock_keeper.py``; the renewal seen through the caches is
``test_fill_lock.py``'s subject.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import types
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import redis
import redis.asyncio as aioredis

from serpens_redis import _lock_keeper
from serpens_redis._lock_keeper import AsyncLockKeeper, LockKeeper

pytestmark = pytest.mark.redis

INTERVAL = 0.1  # seconds between two renewals
LOCK_MS = 10_000  # what a renewal sets the lock's TTL back to
TICK = 0.015625  # Windows' default timer resolution: time.monotonic() on Python 3.11
DEADLINE = 10.0  # generous bound on anything that should happen at once


@pytest.fixture
async def async_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    own = aioredis.Redis.from_url(redis_url)
    yield own
    await own.aclose()


async def test_an_async_keeper_has_finished_when_stop_returns(
    async_client: aioredis.Redis, prefix: str
) -> None:
    lock = f"{prefix}:lock"
    await async_client.set(lock, "token", px=LOCK_MS)
    renewals: list[bool] = []

    async def renew() -> bool:
        renewals.append(bool(await async_client.pexpire(lock, LOCK_MS)))
        return True

    before = asyncio.all_tasks()
    keeper = AsyncLockKeeper(renew, INTERVAL / 10)
    keeper.start()
    deadline = time.monotonic() + DEADLINE
    while len(renewals) < 2:
        assert time.monotonic() < deadline, "the keeper did not renew"
        await asyncio.sleep(0.005)
    await keeper.stop()
    assert asyncio.all_tasks() == before  # checked before any other await
    done = len(renewals)
    await asyncio.sleep(INTERVAL)
    assert len(renewals) == done
    assert all(renewals)
    await keeper.stop()  # idempotent


def _coarse() -> float:
    return math.floor(time.monotonic() / TICK) * TICK


def _renewer(client: redis.Redis, lock: str, count: list[int]) -> Callable[[], bool]:
    def renew() -> bool:
        count.append(1)
        return bool(client.pexpire(lock, LOCK_MS))

    return renew


def test_sync_keepers_due_at_the_same_instant_all_renew(
    client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three keepers started together on a 15.6 ms clock: each is renewed, none raises."""
    monkeypatch.setattr(_lock_keeper, "time", types.SimpleNamespace(monotonic=_coarse))
    locks = [f"{prefix}:lock{n}:{uuid.uuid4().hex}" for n in range(3)]
    counts: list[list[int]] = [[] for _ in locks]
    for lock in locks:
        client.set(lock, "token", px=LOCK_MS)
    keepers = [
        LockKeeper(_renewer(client, lock, count), INTERVAL)
        for lock, count in zip(locks, counts, strict=True)
    ]
    try:
        for keeper in keepers:  # microseconds apart: at least two in the same tick
            keeper.start()
        deadline = time.monotonic() + DEADLINE
        while min(len(count) for count in counts) < 3:
            assert time.monotonic() < deadline, f"renewals seen: {[len(c) for c in counts]}"
            time.sleep(0.01)
    finally:
        for keeper in keepers:
            keeper.stop()
        client.delete(*locks)
    (renewer,) = [t for t in threading.enumerate() if t.name == "serpens-lock-keeper"]
    assert renewer.is_alive()
