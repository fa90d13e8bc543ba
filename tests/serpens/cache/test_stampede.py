"""Stampede protection: one factory call per key, in a process and across processes."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis import asyncio as aioredis

from serpens.cache import redis_cached_get_or_set, redis_init
from serpens.testing import FaultProxy, RedisServer
from serpens_redis import AsyncRedisCache, PoolSettings, RedisCache
from tests.serpens_redis._cache_fill_support import FILL_LATE, OTHER_FILL_AT

pytestmark = pytest.mark.redis

# Several clients connect at once while the suite runs in parallel: these tests are about
# one fill per key, not deadlines, so a loaded machine's slow connect must not fail them.
PATIENT = PoolSettings(connect_timeout=5.0, socket_timeout=5.0)

WORKER = textwrap.dedent(
    """
    import asyncio, signal, sys, time
    from redis import asyncio as aioredis
    from serpens_redis import AsyncRedisCache, PoolSettings

    url, prefix, mode = sys.argv[1:4]
    signal.alarm(30)  # never outlive the test that started it, whatever happens to the test
    # a short lock only where a test kills the holder and waits for the takeover; racing
    # workers on a loaded machine keep a long one (a late renewal is not what they test)
    lock_ttl = 0.3 if mode == "hang" else 10.0
    patient = PoolSettings(connect_timeout=5.0, socket_timeout=5.0)

    async def main():
        cache = AsyncRedisCache.from_url(
            url, prefix=prefix, lock_ttl=lock_ttl, fail_open=False, pool=patient
        )
        raw = aioredis.Redis.from_url(url)
        print("ready", flush=True)
        while not await raw.exists(f"{prefix}:go"):
            await asyncio.sleep(0.005)

        async def factory():
            await raw.incr(f"{prefix}:calls")
            print("started", flush=True)
            await asyncio.sleep(60 if mode == "hang" else 0.3)
            return {"by": "worker"}

        print(await cache.get_or_set("hot", factory, ttl=60), flush=True)
        await cache.aclose()
        await raw.aclose()

    asyncio.run(main())
    """
)


Spawn = Callable[[str], Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def raw(redis_url: str) -> aioredis.Redis:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def spawn(redis_url: str, prefix: str) -> AsyncIterator[Spawn]:
    """Start worker processes; every one still running at teardown is killed and reaped."""
    started: list[asyncio.subprocess.Process] = []

    async def _spawn(mode: str) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WORKER, redis_url, prefix, mode, stdout=asyncio.subprocess.PIPE
        )
        started.append(process)
        assert process.stdout is not None
        assert (await asyncio.wait_for(process.stdout.readline(), 30)).strip() == b"ready"
        return process

    yield _spawn
    for process in started:
        if process.returncode is None:
            process.kill()
        await asyncio.wait_for(process.wait(), 10)


async def test_concurrent_misses_in_one_process_call_the_factory_once(
    redis_url: str, prefix: str
) -> None:
    await redis_init(redis_url, prefix=prefix)
    calls: list[int] = []

    async def factory() -> str:
        calls.append(1)
        await asyncio.sleep(0.05)
        return "value"

    results = await asyncio.gather(
        *(redis_cached_get_or_set("hot", 60, factory) for _ in range(50))
    )
    assert results == ["value"] * 50
    assert calls == [1]


async def test_independent_clients_share_one_fill_through_the_redis_lock(
    redis_url: str, prefix: str
) -> None:
    caches = [
        AsyncRedisCache.from_url(redis_url, prefix=prefix, fail_open=False, pool=PATIENT)
        for _ in range(3)
    ]
    calls: list[int] = []

    async def factory() -> str:
        calls.append(1)
        await asyncio.sleep(0.1)
        return "value"

    try:
        results = await asyncio.gather(
            *(cache.get_or_set("hot", factory, ttl=60) for cache in caches for _ in range(5))
        )
    finally:
        for cache in caches:
            await cache.aclose()
    assert results == ["value"] * 15
    assert calls == [1]


def test_sync_clients_in_threads_share_one_fill(redis_url: str, prefix: str) -> None:
    caches = [
        RedisCache.from_url(redis_url, prefix=prefix, fail_open=False, pool=PATIENT)
        for _ in range(3)
    ]
    calls: list[int] = []
    results: list[object] = []
    barrier = threading.Barrier(9)

    def factory() -> str:
        calls.append(1)
        time.sleep(0.1)
        return "value"

    def worker(cache: RedisCache) -> None:
        barrier.wait()
        results.append(cache.get_or_set("hot", factory, ttl=60))

    threads = [threading.Thread(target=worker, args=(c,)) for c in caches for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for cache in caches:
        cache.close()
    assert results == ["value"] * 9
    assert calls == [1]


def test_a_sync_holder_keeps_its_fill_lock_alive_past_lock_ttl(redis_url: str, prefix: str) -> None:
    # A TTL long enough that a renewal delayed by a loaded runner (three test workers on
    # two cores) still lands in time; the fill outlasts it 2.5 times all the same.
    holder = RedisCache.from_url(redis_url, prefix=prefix, lock_ttl=0.6, fail_open=False)
    waiter = RedisCache.from_url(redis_url, prefix=prefix, lock_ttl=0.6, fail_open=False)
    calls: list[str] = []
    started = threading.Event()
    results: dict[str, object] = {}

    def slow() -> str:
        calls.append("holder")
        started.set()
        time.sleep(1.5)  # 2.5 lock TTLs: only the renewals keep the lock
        return "held"

    def fast() -> str:
        calls.append("waiter")
        return "taken over"

    thread = threading.Thread(target=lambda: results.update(holder=holder.get_or_set("hot", slow)))
    try:
        thread.start()
        assert started.wait(5)
        results["waiter"] = waiter.get_or_set("hot", fast)
        thread.join()
        assert calls == ["holder"]
        assert results == {"holder": "held", "waiter": "held"}
        assert holder.client.exists(holder.lock_key("hot")) == 0  # released after the fill
    finally:
        thread.join()
        holder.close()
        waiter.close()


async def test_processes_racing_for_one_key_call_the_factory_once(
    prefix: str, raw: aioredis.Redis, spawn: Spawn
) -> None:
    workers = [await spawn("normal") for _ in range(3)]
    await raw.set(f"{prefix}:go", 1)
    outputs = [(await asyncio.wait_for(w.communicate(), 20))[0].decode().split() for w in workers]
    assert all(w.returncode == 0 for w in workers)
    assert await raw.get(f"{prefix}:calls") == b"1"
    assert sum(out.count("started") for out in outputs) == 1


async def test_a_dead_lock_holder_is_taken_over(
    redis_url: str, prefix: str, raw: aioredis.Redis, spawn: Spawn
) -> None:
    holder = await spawn("hang")
    await raw.set(f"{prefix}:go", 1)
    assert holder.stdout is not None
    assert (await asyncio.wait_for(holder.stdout.readline(), 10)).strip() == b"started"
    cache = AsyncRedisCache.from_url(redis_url, prefix=prefix, lock_ttl=0.3, fail_open=False)
    calls: list[int] = []

    async def factory() -> str:
        calls.append(1)
        return "mine"

    try:
        waiter = asyncio.create_task(cache.get_or_set("hot", factory, ttl=60))
        await asyncio.sleep(0.4)
        assert not waiter.done()  # the live holder keeps its lock alive
        holder.send_signal(signal.SIGKILL)
        await asyncio.wait_for(holder.wait(), 10)
        began = time.monotonic()
        assert await asyncio.wait_for(waiter, 5) == "mine"
        assert time.monotonic() - began < 1.0
        assert calls == [1]
    finally:
        await cache.aclose()


# A fill that ends while another caller's miss is on its way back: that caller wins the
# lock, and must read the fill's value under it instead of computing its own. Its answers
# come back FILL_LATE late and the other fill lands OTHER_FILL_AT in, the window the Redis
# caches' own fill tests use (tests/serpens_redis/_cache_fill_support.py says why).


@pytest.fixture
def late_answers(redis_server: RedisServer) -> AsyncIterator[FaultProxy]:
    with FaultProxy(upstream=(redis_server.host, redis_server.port)) as proxy:
        yield proxy


async def test_a_lock_won_after_another_fill_reads_its_value(
    late_answers: FaultProxy, redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    url = f"redis://{late_answers.host}:{late_answers.port}/0"
    cache = AsyncRedisCache.from_url(url, prefix=prefix, fail_open=False, pool=PATIENT)
    calls: list[int] = []

    async def factory() -> str:
        calls.append(1)
        return "computed again"

    try:
        await cache.get("warm")  # the connection is open before the answers slow down
        with late_answers.latency(FILL_LATE, direction="downstream"):
            call = asyncio.create_task(cache.get_or_set("hot", factory, ttl=60))
            await asyncio.sleep(OTHER_FILL_AT)
            await raw.set(cache.key("hot"), '"the other fill"')
            assert await asyncio.wait_for(call, 10) == "the other fill"
        assert calls == []
        assert not await raw.exists(cache.lock_key("hot"))  # released
    finally:
        await cache.aclose()


def test_a_sync_lock_won_after_another_fill_reads_its_value(
    late_answers: FaultProxy, redis_server: RedisServer, prefix: str
) -> None:
    url = f"redis://{late_answers.host}:{late_answers.port}/0"
    cache = RedisCache.from_url(url, prefix=prefix, fail_open=False, pool=PATIENT)
    direct = RedisCache.from_url(
        f"redis://{redis_server.host}:{redis_server.port}/0", prefix=prefix, pool=PATIENT
    )
    calls: list[int] = []
    result: list[object] = []

    def factory() -> str:
        calls.append(1)
        return "computed again"

    try:
        cache.get("warm")
        with late_answers.latency(FILL_LATE, direction="downstream"):
            call = threading.Thread(
                target=lambda: result.append(cache.get_or_set("hot", factory, ttl=60))
            )
            call.start()
            time.sleep(OTHER_FILL_AT)
            direct.set("hot", "the other fill", ttl=60)
            call.join(10)
        assert result == ["the other fill"]
        assert calls == []
    finally:
        cache.close()
        direct.close()
