"""elastic-apm spans of the module-level Redis cache (``serpens.cache``, ``serpens.cache_async``).

The functions and decorators run on ``AsyncRedisCache``'s fast path; with a transaction
active each Redis command is elastic-apm's ``db``/``redis`` span, recorded by a real
elasticapm Client whose events stay in memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from serpens import cache_async
from serpens.cache import redis_cached, redis_get, redis_init, redis_set
from tests._apm import RecordedApm, recorded_apm

pytestmark = pytest.mark.redis


@pytest.fixture(name="apm")
def _apm() -> Iterator[RecordedApm]:
    with recorded_apm() as apm:
        yield apm


@pytest.fixture(name="url")
def _url(redis_url: str) -> str:
    """*redis_url* with a 5 s socket timeout: these tests count spans, not time.

    With the cache's 0.5 s default a round trip slowed by a loaded machine fails open
    (a miss, a dropped write) and the recorded spans are not the ones a call makes.
    """
    return f"{redis_url}{'&' if '?' in redis_url else '?'}socket_timeout=5"


async def test_the_functions_and_decorators_record_a_span_per_command(
    apm: RecordedApm, url: str, prefix: str
) -> None:
    await redis_init(url, prefix=prefix)
    calls = 0

    @redis_cached("orders", ttl=60)
    async def order(order_id: int) -> dict[str, int]:
        nonlocal calls
        calls += 1
        return {"id": order_id}

    apm.client.begin_transaction("request")
    await redis_set("user:7", {"name": "Ada"})
    assert await cache_async.redis_get("user:7") == {"name": "Ada"}
    assert await order(7) == {"id": 7}
    assert await order(7) == {"id": 7}
    apm.client.end_transaction("GET /orders/{id}", "success")

    assert calls == 1
    spans = apm.spans()
    # the first order(7): a miss, the fill lock, the entry read again under it, the value
    # stored, the lock released;
    # the second: a hit
    assert [span["name"] for span in spans] == [
        *("SET", "GET"),
        *("GET", "SET", "GET", "SET", "EVAL"),
        "GET",
    ]
    for span in spans:
        assert (span["type"], span["subtype"], span["action"]) == ("db", "redis", "query")
        assert span["sync"] is False
        assert span["context"]["destination"]["service"]["resource"] == "redis"
        assert "user:7" not in str(span)


async def test_without_a_transaction_the_functions_record_nothing(
    apm: RecordedApm, url: str, prefix: str
) -> None:
    await redis_init(url, prefix=prefix)
    await redis_set("k", [1])
    assert await redis_get("k") == [1]
    assert apm.events == []
