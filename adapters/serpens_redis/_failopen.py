"""Fail-open bookkeeping for a remote cache: circuit breaker and rate-limited warnings.

Sans-I/O, so the sync and async Redis caches and the raw fail-open client share it.
After ``threshold`` consecutive failures the breaker opens and calls skip the backend
for ``cooldown`` seconds (a dead server then costs a clock read, not a timeout); then one
caller probes, and a success closes the breaker again. Under an outage the first
failure logs a warning at once and later ones are summarised at most once per
``warn_interval``, with the count of calls that bypassed the cache meanwhile. Writes
that Redis rejects while it answers (out of memory, read-only replica) are warned about
but never open the breaker: reads still work. Neither do command errors (``WRONGTYPE``
on one key, an ACL's ``NOPERM``): Redis answered, so only that call serves a miss.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis
from redis import asyncio as aioredis

from serpens import _tracing
from serpens.errors import mask_url
from serpens_redis._errors import OUTAGE, WRITE_REJECTED
from serpens_redis._pool import describe

__all__ = ["FailOpen", "guard_for", "logger"]

logger = logging.getLogger("serpens.cache")
logger.addFilter(_tracing.LOG_FIELDS)


class FailOpen:
    """Decides whether to try the backend and records what happened.

    Args:
        name: what the warnings call the backend (a masked URL, never a password).
        threshold: consecutive failures that open the breaker.
        cooldown: seconds the breaker stays open before one probe is let through.
        warn_interval: minimum seconds between two warnings.
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        name: str,
        *,
        threshold: int = 3,
        cooldown: float = 0.5,
        warn_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.threshold = threshold
        self.cooldown = cooldown
        self.warn_interval = warn_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0
        self._last_warning = -float("inf")
        self._bypassed = 0
        self._suppressed = 0

    @property
    def is_open(self) -> bool:
        """Whether calls are currently skipping the backend."""
        return self._open_until > self._clock()

    def allow(self) -> bool:
        """Return whether to call the backend now (``False``: the caller serves a miss)."""
        if not self._open_until:
            return True
        now = self._clock()
        with self._lock:
            if now < self._open_until:
                self._bypassed += 1
                return False
            self._open_until = now + self.cooldown  # this caller probes; others keep skipping
            return True

    def succeeded(self) -> None:
        """Record a successful call: the breaker closes."""
        if self._failures or self._open_until:
            with self._lock:
                recovered = self._open_until != 0.0
                self._failures = 0
                self._open_until = 0.0
            if recovered:
                logger.warning("cache backend %s is reachable again", self.name)

    def failed(self, operation: str, error: BaseException) -> None:
        """Record a failed call and log (or count) the warning.

        Only an outage (:data:`~serpens_redis._errors.OUTAGE`) counts towards opening
        the breaker. A write that Redis rejected while answering (:data:`WRITE_REJECTED`:
        out of memory, read-only replica) or a command it refused (``WRONGTYPE``,
        ``NOPERM``) is logged but not counted: other calls still work and must keep hitting.
        """
        now = self._clock()
        with self._lock:
            if isinstance(error, OUTAGE) and not isinstance(error, WRITE_REJECTED):
                self._failures += 1
                if self._failures >= self.threshold:
                    self._open_until = now + self.cooldown
            if now - self._last_warning < self.warn_interval:
                self._suppressed += 1
                return
            self._last_warning = now
            suppressed, bypassed = self._suppressed, self._bypassed
            self._suppressed = self._bypassed = 0
        logger.warning(
            "cache backend %s failed on %s (%s: %s); serving misses. "
            "Since the last warning: %d more failures, %d calls skipped the backend",
            self.name,
            operation,
            type(error).__name__,
            mask_url(str(error)),
            suppressed,
            bypassed,
        )


def guard_for(client: redis.Redis | aioredis.Redis) -> FailOpen:
    """A fresh fail-open guard named after *client*'s server."""
    return FailOpen(describe(client))
