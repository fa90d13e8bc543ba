"""The sync cache's ``get_or_set`` when Redis freezes mid-fill, and a lock taken over.

A Redis that freezes (``CLIENT PAUSE``, on a server of this module's own) while a caller
waits for another process's fill, or once it holds the lock, costs the caller one socket
timeout, as on a first read, and a value that is not JSON still names its key then. A
holder whose lock another process took over stops renewing it. Found by mutating
``serpens_redis/_cache.py``; the waits, locks and options are in ``test_cache_fill.py``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import redis

from serpens.errors import SerializationError
from serpens.ports import JSONValue
from serpens.testing import FaultProxy, RedisServer
from serpens_redis import PoolSettings, RedisCache
from tests.serpens_redis._cache_fill_support import (
    DEADLINE,
    FROZEN_TIMEOUT,
    LATE,
    OTHER,
    STORE_AT,
    TIMEOUT,
    Call,
    lock_key,
)

pytestmark = pytest.mark.redis


@pytest.mark.parametrize("paused", ["WRITE", "ALL"])
def test_a_redis_frozen_while_a_waiter_polls_costs_it_one_timeout(
    pausable: RedisServer, prefix: str, paused: str
) -> None:
    """The waiter calls its factory after one timed-out command and stores nothing.

    ``WRITE``: its next ``SET NX`` for the lock stalls; ``ALL``: its next poll of the
    entry (a poll is due after each sleep between attempts). Either way a second command
    (say, storing the factory's value) would cost a second timeout.
    """
    admin = redis.Redis.from_url(pausable.url)
    cache = RedisCache.from_url(
        pausable.url, prefix=prefix, pool=PoolSettings(socket_timeout=TIMEOUT)
    )
    admin.set(lock_key(cache, "k"), OTHER, px=60_000)
    calls: list[int] = []

    def factory() -> JSONValue:
        calls.append(1)
        return "mine"

    try:
        call = Call(cache, factory)
        time.sleep(STORE_AT / 2)  # polling every 50 ms by now
        admin.client_pause(1000, all=paused == "ALL")
        paused_at = time.monotonic()
        assert call.result() == "mine"
        elapsed = call.returned_at - paused_at
        admin.ping()  # answered once the pause is over
        assert calls == [1]
        assert admin.get(cache.key("k")) is None
    finally:
        for key in admin.scan_iter(match=f"{prefix}:*"):
            admin.delete(key)
        admin.close()
        cache.close()
    assert elapsed < TIMEOUT * 1.5, f"{elapsed:.2f} s for a {TIMEOUT} s budget"


@pytest.mark.parametrize("paused", ["WRITE", "ALL"])
def test_a_value_that_is_not_json_names_its_key_when_redis_freezes_during_the_wait(
    pausable: RedisServer, prefix: str, paused: str
) -> None:
    """The factory runs after the timed-out command; its refused value's error names the key."""
    admin = redis.Redis.from_url(pausable.url)
    cache = RedisCache.from_url(
        pausable.url, prefix=prefix, pool=PoolSettings(socket_timeout=TIMEOUT)
    )
    admin.set(lock_key(cache, "orders-7"), OTHER, px=60_000)
    try:
        call = Call(cache, lambda: {"at": {1, 2}}, key="orders-7")  # type: ignore[dict-item]
        time.sleep(STORE_AT / 2)  # polling every 50 ms by now
        admin.client_pause(1000, all=paused == "ALL")
        with pytest.raises(SerializationError, match="orders-7"):
            call.result()
        admin.ping()  # answered once the pause is over
    finally:
        for key in admin.scan_iter(match=f"{prefix}:*"):
            admin.delete(key)
        admin.close()
        cache.close()


@pytest.fixture
def late_answers_of_pausable(pausable: RedisServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(pausable.host, pausable.port)) as proxy:
        yield proxy


@contextmanager
def _frozen_after_the_lock(
    server: RedisServer,
    proxy: FaultProxy,
    prefix: str,
    paused: str,
    call: Callable[[RedisCache], Call],
) -> Iterator[tuple[Call, float]]:
    """Start *call* with answers 300 ms late and freeze Redis (*paused*) at 0.45 s.

    Yields the call and when it started; the block ends once the pause is over.
    """
    admin = redis.Redis.from_url(server.url)
    cache = RedisCache.from_url(
        proxy.url_for(server.url),
        prefix=prefix,
        lock_ttl=10.0,  # no renewal while the test runs
        pool=PoolSettings(socket_timeout=FROZEN_TIMEOUT, connect_timeout=5.0),
    )
    try:
        cache.get("warm")  # the connection is open before the answers slow down
        with proxy.latency(LATE, direction="downstream"):
            started = call(cache)
            began = time.monotonic()
            time.sleep(1.5 * LATE / 1000)
            admin.client_pause(2000, all=paused == "ALL")
            yield started, began
        admin.ping()  # answered once the pause is over
    finally:
        for key in admin.scan_iter(match=f"{prefix}:*"):
            admin.delete(key)
        admin.close()
        cache.close()


@pytest.mark.parametrize("paused", ["ALL", "WRITE"])
def test_a_redis_frozen_after_the_lock_is_taken_costs_one_timeout(
    pausable: RedisServer, late_answers_of_pausable: FaultProxy, prefix: str, paused: str
) -> None:
    """A fill whose Redis freezes once it holds the lock stops at the first timed-out command.

    Answers come back 300 ms late, so the miss is read at 0 s and the lock taken at
    0.3 s; Redis freezes at 0.45 s. ``ALL``: the read under the lock (sent at 0.6 s)
    times out; ``WRITE``: that read answers and storing the value (sent at 0.9 s) times
    out. Either way the caller gets its factory's value one timeout later, and sends
    nothing more (storing again, or releasing the lock, would cost another).
    """
    sent = {"ALL": 2, "WRITE": 3}[paused] * LATE / 1000  # when the stalled command is sent
    with _frozen_after_the_lock(
        pausable,
        late_answers_of_pausable,
        prefix,
        paused,
        lambda cache: Call(cache, lambda: "mine"),
    ) as (call, began):
        assert call.result() == "mine"
    elapsed = call.returned_at - began
    budget = sent + 1.5 * FROZEN_TIMEOUT
    assert elapsed < budget, f"{elapsed:.2f} s, more than one timeout after {sent:.1f} s"


def test_a_value_that_is_not_json_names_its_key_when_redis_freezes_under_the_lock(
    pausable: RedisServer, late_answers_of_pausable: FaultProxy, prefix: str
) -> None:
    """The read under the lock times out; the factory's refused value's error names the key."""

    def refused(cache: RedisCache) -> Call:
        return Call(cache, lambda: {"at": {1, 2}}, key="orders-7")  # type: ignore[dict-item]

    with (
        _frozen_after_the_lock(pausable, late_answers_of_pausable, prefix, "ALL", refused) as (
            call,
            _,
        ),
        pytest.raises(SerializationError, match="orders-7"),
    ):
        call.result()


def _evals(client: redis.Redis) -> int:
    """How many ``EVAL`` commands the server has run (renewals and releases)."""
    return int(client.info("commandstats").get("cmdstat_eval", {}).get("calls", 0))


def test_a_holder_whose_lock_was_taken_over_stops_renewing_it(
    pausable: RedisServer, prefix: str
) -> None:
    """Once a renewal finds another token in the lock, the holder sends no more renewals."""
    admin = redis.Redis.from_url(pausable.url)
    cache = RedisCache.from_url(pausable.url, prefix=prefix, lock_ttl=0.3)  # renewed every 0.1 s
    started, release = threading.Event(), threading.Event()

    def slow() -> JSONValue:
        started.set()
        release.wait(DEADLINE)
        return "value"

    try:
        call = Call(cache, slow)
        assert started.wait(DEADLINE)
        admin.set(lock_key(cache, "k"), OTHER, px=60_000)  # taken over, say after a long pause
        time.sleep(0.25)  # the next renewal finds it
        before = _evals(admin)
        time.sleep(0.5)  # five renewal intervals
        renewals = _evals(admin) - before
        release.set()
        assert call.result() == "value"
    finally:
        release.set()
        for key in admin.scan_iter(match=f"{prefix}:*"):
            admin.delete(key)
        admin.close()
        cache.close()
    assert renewals == 0
