"""Cache benchmarks: serpens.cache against the raw SDK and plain dicts, in the same run.

- ``redis_get`` / ``redis_set`` and the ``AsyncRedisCache`` port object's ``get`` / ``set``
  against a default ``redis.asyncio.Redis.from_url(url)`` client doing GET / SET PX plus
  the same JSON work (target: <= 5 % overhead; median latency of single calls
  interleaved with the baselines'). That client is the fastest path a careful engineer
  writes without serpens: redis-py's own default pool and command path. For
  information, the same against a client over serpens' own bounded pool, raw calls
  that move bytes only, and redis-py's connection-level send/read (the floor);
- the cache's JSON encoder against ``json.dumps`` with the same settings (compact,
  ``ensure_ascii=False``: the same text), on a small and a 40 KB value (target <= 1.1x):
  ``json.dumps`` is the fastest stdlib encoder producing that text (orjson and msgspec
  format floats differently, so they cannot store the same bytes);
- scaling, cost per call at 10, 100, 1k and 10k entries: an ``acached`` hit against a
  dict memo in an async function (the fastest raw memo: one dict lookup), and
  ``LocalCache.get`` against ``json.loads(store[key])`` (the fastest raw path to a
  JSON copy of a stored value, which is what the cache returns);
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
    best_of,
    best_of_async,
    interleaved_best,
    interleaved_medians_async,
    note_server,
    print_table,
    scaled,
)
from serpens._rules.cache import encode
from serpens.cache import (
    LocalCache,
    acached,
    clear_acache,
    redis_close,
    redis_get,
    redis_init,
    redis_set,
)
from serpens.testing import start_redis
from serpens.testing._common import free_port
from serpens_redis import AsyncRedisCache, PoolSettings, async_pool, plain_async_client

N = scaled(2000, minimum=160)
ROUNDS = scaled(40, minimum=3)
SIZES = (10, 100, 1_000, 10_000)


async def _redis_figures(url: str, tier: str) -> list[Result]:
    await redis_init(url, prefix="bench")
    port = AsyncRedisCache.from_url(url, prefix="bench-port")
    # the baseline: a default client, as a careful engineer writes it without serpens
    default = aioredis.Redis.from_url(url)
    # for information: the same pool configuration as serpens' (bound, timeouts, no retries)
    raw = plain_async_client(async_pool(url, PoolSettings()))
    value = {"id": 42, "name": "Ana", "tags": ["a", "b"]}
    await redis_set("user", value, ttl=600)
    await port.set("user", value, ttl=600)
    info = await raw.info("server")
    note_server("Redis", f"{info['redis_version']} ({tier} tier)")
    text = b'{"id":42,"name":"Ana","tags":["a","b"]}'
    await raw.set("raw:user", text, px=600_000)

    def dumps(obj: object) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    async def serpens_get() -> object:
        return await redis_get("user")

    async def port_get() -> object:
        return await port.get("user")

    async def default_get_json() -> object:
        return json.loads(await default.get("raw:user"))  # type: ignore[arg-type]

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
        await wire("SET", "raw:user", dumps(value), "PX", 600_000)

    async def serpens_set() -> None:
        await redis_set("user", value, ttl=600)

    async def port_set() -> None:
        await port.set("user", value, ttl=600)

    async def default_set_json() -> None:
        await default.set("raw:user", dumps(value), px=600_000)

    async def raw_set() -> None:
        await raw.set("raw:user", text, px=600_000)

    async def raw_set_json() -> None:
        await raw.set("raw:user", dumps(value), px=600_000)

    figures = []
    for op, mine, mine_port, base, pool_base, bytes_base, wire_base, label, bytes_label in [
        (
            "get",
            serpens_get,
            port_get,
            default_get_json,
            raw_get_json,
            raw_get,
            wire_get_json,
            "GET + json.loads",
            "GET",
        ),
        (
            "set",
            serpens_set,
            port_set,
            default_set_json,
            raw_set_json,
            raw_set,
            wire_set_json,
            "SET PX + json.dumps",
            "SET PX",
        ),
    ]:
        contenders = (mine, mine_port, base, pool_base, bytes_base, wire_base)
        for func in contenders:  # warm up all of them
            await best_of_async(func, repeat=1, number=N // 4)
        # Single calls interleaved (the order rotates) and each timed on its own; the
        # median per-call latency of each: a load spike hits all alike, and the median
        # ignores the rare slow round trip instead of averaging it in.
        medians = await interleaved_medians_async(contenders, calls=N * ROUNDS // 12)
        ours = medians[mine] * 1e6
        default_name = f"default redis.asyncio.Redis {label}"
        figures += [
            Result(
                f"redis_{op} latency",
                ours,
                medians[base] * 1e6,
                "us/call",
                default_name,
                target=1.05,
            ),
            Result(
                f"AsyncRedisCache.{op} latency",
                medians[mine_port] * 1e6,
                medians[base] * 1e6,
                "us/call",
                default_name,
                target=1.05,
            ),
            Result(
                f"redis_{op} latency (same-pool baseline)",
                ours,
                medians[pool_base] * 1e6,
                "us/call",
                f"redis.asyncio over serpens' pool settings {label}",
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
                f"redis.asyncio connection send/read {label}",
            ),
        ]
    await default.aclose()
    await raw.aclose(close_connection_pool=True)
    await port.aclose()
    await redis_close()
    return figures


def _encoder_figures() -> list[Result]:
    small = {"id": 42, "name": "Ana", "tags": ["a", "b"]}
    rows = [
        {
            "id": i,
            "sku": f"SKU-{i:06d}",
            "name": f"product number {i}",
            "price": round(i * 1.37, 2),
            "in_stock": i % 3 != 0,
            "tags": ["new", "sale"][: i % 3],
            "dims": {"w": i % 40, "h": i % 25, "unit": "cm"},
            "note": None,
        }
        for i in range(260)
    ]
    figures = []
    for name, value, number in [("small value", small, 20_000), ("40 KB value", rows, 60)]:
        expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        assert encode(value) == expected  # the same text, or the comparison means nothing

        def ours(value: object = value) -> object:
            return encode(value)

        def base(value: object = value) -> object:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

        # short interleaved rounds, best round each (CPU-bound: load only adds time)
        best = interleaved_best(
            [ours, base], rounds=scaled(30, minimum=3), number=scaled(number, minimum=5)
        )
        best_ours, best_base = best[ours], best[base]
        figures.append(
            Result(
                f"encode, {name} ({len(expected) / 1024:.1f} KB)",
                best_ours * 1e6,
                best_base * 1e6,
                "us/call",
                "json.dumps, same text (compact, ensure_ascii=False)",
                target=1.1,
            )
        )
    return figures


async def _acached_at(size: int) -> Result:
    """An ``acached`` hit with *size* entries cached, against a dict memo as large."""

    @acached(f"bench{size}", ttl_seconds=600)
    async def cached_lookup(n: int) -> int:
        return n * 2

    memo: dict[int, int] = {}

    async def dict_lookup(n: int) -> int:
        if n in memo:
            return memo[n]
        memo[n] = result = n * 2
        return result

    for n in range(size):
        await cached_lookup(n)
        await dict_lookup(n)
    probe = size // 2
    ours = await best_of_async(lambda: cached_lookup(probe), repeat=7, number=N * 5)
    base = await best_of_async(lambda: dict_lookup(probe), repeat=7, number=N * 5)
    clear_acache()
    return Result(
        f"acached hit, {size} entries",
        ours * 1e6,
        base * 1e6,
        "us/call",
        "dict memo in an async function (fastest raw memo)",
    )


async def _acached_figures() -> list[Result]:
    """An ``acached`` hit and ``LocalCache.get`` at 10 to 10k entries, per call."""
    figures = [await _acached_at(size) for size in SIZES]
    for size in SIZES:
        local = LocalCache(default_ttl=600)
        store: dict[str, str] = {}
        for n in range(size):
            local.set(f"k{n}", {"id": n, "name": "Ana"})
            store[f"k{n}"] = encode({"id": n, "name": "Ana"})
        key = f"k{size // 2}"
        ours = best_of(lambda key=key, local=local: local.get(key), repeat=7, number=N * 5)
        base = best_of(lambda key=key, store=store: json.loads(store[key]), repeat=7, number=N * 5)
        figures.append(
            Result(
                f"LocalCache.get, {size} entries",
                ours * 1e6,
                base * 1e6,
                "us/call",
                "json.loads(dict[key]) (fastest raw path to a JSON copy)",
            )
        )
    return figures


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
    results += _encoder_figures()
    results += await _acached_figures()
    results.append(await _outage_figure())
    return results


def main() -> list[Result]:
    """Run every cache benchmark and return its rows."""
    return asyncio.run(_main())


if __name__ == "__main__":
    print_table(main())
