"""Map redis-py and socket errors to serpens errors: one table, most specific first.

:func:`translate` returns the serpens error of the same meaning and
:func:`translate_errors` raises it ``from`` the original. Messages pass through
:func:`~serpens.errors.mask_url`, so a password in a URL never reaches a log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    mask_url,
)

__all__ = ["FAIL_OPEN", "OUTAGE", "WRITE_REJECTED", "translate", "translate_errors"]

OUTAGE: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,  # refused, reset, auth, LOADING, max clients
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,  # a replica after a failover
    redis.exceptions.OutOfMemoryError,  # OOM: maxmemory reached with noeviction
    redis.exceptions.ClusterDownError,  # CLUSTERDOWN, MASTERDOWN
    redis.exceptions.TryAgainError,
    OSError,
)
"""Errors meaning "Redis is unreachable or cannot take writes": they open a breaker.

A strict cache raises them as :class:`~serpens.errors.BackendUnavailableError` (or
``BackendTimeoutError``). Other Redis errors (a command Redis refused: ``WRONGTYPE``,
an ACL's ``NOPERM``) mean Redis answered: they never open a fail-open breaker.
"""

FAIL_OPEN: tuple[type[Exception], ...] = (redis.exceptions.RedisError, OSError)
"""Errors a fail-open cache turns into a miss or a no-op: every Redis and socket error.

serpens 2.9's Redis cache caught ``RedisError`` (an outage, or a command Redis refused,
such as ``WRONGTYPE`` on a key another service wrote), and its documentation promises
that reads miss, writes do nothing and the wrapped function is called on any of them.
"""

WRITE_REJECTED: tuple[type[Exception], ...] = (
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ReadOnlyError,
)
"""Outages of writes only: Redis answers, and still serves reads.

A fail-open breaker must not count these, or a full cache (``OOM`` under
``noeviction``) would turn its reads off exactly when it holds the most entries.
"""

_TABLE: tuple[tuple[tuple[type[BaseException], ...], type[BackendError], str], ...] = (
    ((redis.exceptions.TimeoutError, TimeoutError), BackendTimeoutError, "Redis timed out"),
    (OUTAGE, BackendUnavailableError, "Redis is unavailable"),
)
"""(Redis/socket error types, serpens error, summary), most specific first."""


def translate(exc: BaseException, *, context: str | None = None) -> BackendError:
    """Map a Redis/socket error to the serpens error of the same meaning.

    Args:
        exc: the error redis-py (or the socket) raised.
        context: what was being done, put in front of the message (e.g. the key).
    """
    error, summary = BackendError, "Redis failed"
    for types, mapped, text in _TABLE:
        if isinstance(exc, types):
            error, summary = mapped, text
            break
    message = f"{summary}: {mask_url(str(exc))}"
    return error(message if context is None else f"{context}: {message}")


@contextmanager
def translate_errors(
    *,
    context: str | None = None,
    catch: tuple[type[BaseException], ...] = (redis.exceptions.RedisError, OSError),
) -> Iterator[None]:
    """Raise :func:`translate` of an error in *catch* raised inside the block, ``from`` it.

    Args:
        context: see :func:`translate`.
        catch: the errors translated; by default every Redis and socket error.
    """
    try:
        yield
    except catch as exc:
        raise translate(exc, context=context) from exc
