"""Cache benchmarks: serpens.cache against the raw SDK and plain dicts, in the same run.

- ``redis_get`` / ``redis_set`` against raw ``redis.asyncio`` GET / SET PX plus the same JSON
  work, over an identically configured pool on the same server (target: <= 5 % overhead;
  median latency of single calls interleaved with the baselines'),
  and, for information, against raw calls that move bytes only;
- an ``acached`` hit against an ``lru_cache``-style dict lookup in an async function;
- calls/s of ``redis_get`` while Redis is unreachable (fail-open with the circuit
  breaker) against raw ``redis.asyncio`` calls wrapped in ``try/except``.
"""

from __future__ import annotations

import asyncio
import json
import logging

from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bench._common import (
    Result,
    best_of_async,
    interleaved_medians_async,
    note_server,
    print_table,
    scaled,
)
from serpens.cache import acached, redis_close, redis_get, redis_init, redis_set
from serpens.testing import start_redis
from serpens.testing._common import free_port
from serpens_redis import PoolSettings, async_pool, plain_async_client

N = scaled(2000, minimum=160)
ROUNDS = scaled(40, minimum=3)


async def _redis_figures(url: str, tier: str) -> list[Result]:
    await redis_init(url, prefix="bench")
    # the same pool configuration (bound, timeouts, no retries): only serpens' code differs
    raw = plain_async_client(async_pool(url, PoolSettings()))
    value = {"id": 42, "name": "Ana", "tags": ["a", "b"]}
    await redis_set("user", value, ttl=600)
    info = await raw.info("server")
    note_server("Redis", f"{info['redis_version']} ({tier} tier)")
    text = b'{"id":42,"name":"Ana","tags":["a","b"]}'
    await raw.set("raw:user", text, px=600_000)

    async def serpens_get() -> object:
        return await redis_get("user")

    async def raw_get() -> object:
        return await raw.get("raw:user")

    async def raw_get_json() -> object:
        return json.loads(await raw.get("raw:user"))

    pool = raw.connection_pool

    async def wire(*command: object) -> object:
        # redis-py's connection-level calls, as serpens' own command path makes them
        conn = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            await conn.send_command(*command)
            return await conn.read_response()
        finally:
            await pool.release(conn)

    async def wire_get_json() -> object:
        return json.loads(await wire("GET", "raw:user"))  # type: ignore[arg-type]

    async def wire_set_json() -> None:
        await wire("SET", "raw:user", json.dumps(value), "PX", 600_000)

    async def serpens_set() -> None:
        await redis_set("user", value, ttl=600)

    async def raw_set() -> None:
        await raw.set("raw:user", text, px=600_000)

    async def raw_set_json() -> None:
        await raw.set("raw:user", json.dumps(value), px=600_000)

    figures = []
    for op, mine, json_base, bytes_base, wire_base, json_label, bytes_label in [
        ("get", serpens_get, raw_get_json, raw_get, wire_get_json, "GET + json.loads", "GET"),
        ("set", serpens_set, raw_set_json, raw_set, wire_set_json, "SET PX + json.dumps", "SET PX"),
    ]:
        contenders = (mine, json_base, bytes_base, wire_base)
        for func in contenders:  # warm up all four
            await best_of_async(func, repeat=1, number=N // 4)
        # Single calls of the four interleaved (the order rotates) and each timed on its
        # own; the median per-call latency of each: a load spike hits all four alike,
        # and the median ignores the rare slow round trip instead of averaging it in.
        medians = await interleaved_medians_async(contenders, calls=N * ROUNDS // 8)
        ours = medians[mine] * 1e6
        figures += [
            Result(
                f"redis_{op} latency",
                ours,
                medians[json_base] * 1e6,
                "us/call",
                f"redis.asyncio {json_label}",
                target=1.05,
            ),
            Result(
                f"redis_{op} latency (bytes baseline)",
                ours,
                medians[bytes_base] * 1e6,
                "us/call",
                f"redis.asyncio {bytes_label}",
            ),
            Result(
                f"redis_{op} latency (connection-level baseline)",
                ours,
                medians[wire_base] * 1e6,
                "us/call",
                f"redis.asyncio connection send/read {json_label}",
            ),
        ]
    await raw.aclose(close_connection_pool=True)
    await redis_close()
    return figures


async def _acached_figure() -> Result:
    @acached("bench", ttl_seconds=600)
    async def cached_lookup(n: int) -> int:
        return n * 2

    memo: dict[int, int] = {}

    async def dict_lookup(n: int) -> int:
        if n in memo:
            return memo[n]
        memo[n] = result = n * 2
        return result

    await cached_lookup(7)
    await dict_lookup(7)
    ours = await best_of_async(lambda: cached_lookup(7), repeat=7, number=N * 10)
    base = await best_of_async(lambda: dict_lookup(7), repeat=7, number=N * 10)
    return Result("acached hit", ours * 1e6, base * 1e6, "us/call", "dict memo (lru_cache-style)")


async def _outage_figure() -> Result:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    logging.getLogger("serpens.cache").setLevel(logging.ERROR)
    await redis_init(url, prefix="bench")
    raw = aioredis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=0.5)

    async def raw_get() -> object:
        try:
            return await raw.get("k")
        except (ConnectionError, OSError, aioredis.RedisError):
            return None

    ours = await best_of_async(lambda: redis_get("k"), repeat=5, number=N * 5)
    base = await best_of_async(raw_get, repeat=5, number=N // 4)
    await raw.aclose()
    await redis_close()
    return Result(
        "redis_get while Redis is down",
        1 / ours,
        1 / base,
        "calls/s",
        "redis.asyncio + try/except",
        lower_is_better=False,
    )


async def _main() -> list[Result]:
    with start_redis() as server:
        results = await _redis_figures(server.url, server.tier)
    results.append(await _acached_figure())
    results.append(await _outage_figure())
    return results


def main() -> list[Result]:
    """Run every cache benchmark and return its rows."""
    return asyncio.run(_main())


if __name__ == "__main__":
    print_table(main())
