"""What the fill tests of the sync Redis cache share: timings, lock keys, a caller on a thread.

The tests (``test_cache_fill.py``, ``test_cache_fill_freezes.py``) play "another process"
holding a fill lock by setting the lock key straight in Redis, run ``get_or_set`` on a
daemon thread (:class:`Call`) and time what it does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import redis

from serpens.ports import JSONValue
from serpens.testing._common import free_port
from serpens_redis import PoolSettings, RedisCache

__all__ = [
    "DEADLINE",
    "FILL_LATE",
    "FROZEN_TIMEOUT",
    "LATE",
    "LOCK_TTL",
    "OTHER",
    "OTHER_FILL_AT",
    "PATIENT",
    "PROMPT",
    "STORE_AT",
    "TIMEOUT",
    "Call",
    "keys_under",
    "lock_key",
    "unreachable_url",
]

DEADLINE = 10.0  # generous bound on anything that should end well before it
OTHER = b"another process"  # the token of a lock held from outside the test's cache
LOCK_TTL = 0.1  # a waiter gives up on a never-ending holder after five: 0.5 s
STORE_AT = 0.65  # the holder's value lands once the waiter polls every 50 ms
PROMPT = 0.25  # a poll every 50 ms serves the value well within this
PATIENT = PoolSettings(connect_timeout=5.0, socket_timeout=5.0)
LATE = 300  # milliseconds each answer takes through the proxy, where one does
# A lock won just after another caller's fill: answers this late (milliseconds), and the
# other fill landing this far in (seconds), half a second from either edge of its window:
# the caller's miss, read at once, and its read under the lock, two late answers in. With
# 300 ms answers and the fill 450 ms in (150 ms before that read), a loaded CI machine
# once let the read go first. tests/serpens/cache/test_stampede.py uses them too.
FILL_LATE = 500
OTHER_FILL_AT = 0.5
FROZEN_TIMEOUT = 0.5  # the socket timeout of a cache whose answers come LATE
TIMEOUT = 0.3  # the socket timeout of a cache that meets a frozen Redis: its whole budget


def lock_key(cache: RedisCache, key: str) -> bytes:
    return cache.lock_key(key)


def keys_under(client: redis.Redis, prefix: str) -> list[bytes]:
    """Every key Redis holds under *prefix* (entries and fill locks alike)."""
    return sorted(client.scan_iter(match=f"{prefix}:*"))


class Call:
    """``cache.get_or_set(key, factory, ...)`` on a daemon thread, and when it returned.

    A daemon thread, so that a waiter that never returns fails the test at its join
    deadline instead of holding the test process open.
    """

    def __init__(
        self,
        cache: RedisCache,
        factory: Callable[[], JSONValue],
        *,
        cache_none: bool = False,
        key: str = "k",
    ) -> None:
        self.results: list[JSONValue] = []
        self.errors: list[Exception] = []
        self.returned_at = 0.0

        def run() -> None:
            try:
                self.results.append(cache.get_or_set(key, factory, ttl=60, cache_none=cache_none))
            except Exception as exc:  # raised again by result()
                self.errors.append(exc)
            finally:
                self.returned_at = time.monotonic()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def cpu_seconds(self) -> float:
        """CPU time the calling thread has used so far."""
        assert self.thread.ident is not None
        return time.clock_gettime(time.pthread_getcpuclockid(self.thread.ident))

    def result(self) -> JSONValue:
        """What ``get_or_set`` returned (or raise what it raised)."""
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive(), f"get_or_set did not return within {DEADLINE} s"
        if self.errors:
            raise self.errors[0]
        (value,) = self.results
        return value


def unreachable_url() -> str:
    """A Redis URL nothing listens on: connections are refused."""
    return f"redis://127.0.0.1:{free_port()}/0"
