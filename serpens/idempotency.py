"""Run an async call once per idempotency key; retries get the first call's result.

:func:`idempotent` wraps a coroutine function around an
:class:`~serpens.ports.IdempotencyStore` (the in-memory fake in unit tests, Redis,
PostgreSQL or DynamoDB in production)::

    store = RedisIdempotencyStore.from_url(settings.redis_url, prefix="payments")

    @idempotent(store, key=lambda req: req.idempotency_key, fingerprint=lambda req: req.body)
    async def charge(req: ChargeRequest) -> dict[str, Any]:
        ...

The first call of a key claims it for ``lease`` seconds, runs, and stores its result for
``ttl`` seconds; a retry in that time returns the stored result without running. A
retry while the first call still runs raises :class:`~serpens.errors.InProgressError`
(retry later: its ``retry_after`` says when the lease ends); a retry with another
payload raises :class:`~serpens.errors.KeyReusedError`. A call that raises (or is
cancelled) releases its key, so the next retry runs it again.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from serpens._rules.idempotency import check_seconds
from serpens.errors import BackendError, SerializationError, ValidationError
from serpens.ports import Claim, IdempotencyStore

__all__ = ["fingerprint_of", "idempotent"]

P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger("serpens.idempotency")


def fingerprint_of(payload: object) -> str:
    """``"sha256:<hex>"`` of *payload*'s canonical JSON (sorted keys, compact, UTF-8).

    Equal JSON values give equal fingerprints whatever their dicts' key order.

    Raises:
        SerializationError: *payload* is not a JSON value.
    """
    try:
        text = json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError, RecursionError) as exc:  # nested past the recursion limit
        raise SerializationError(f"cannot fingerprint the payload: {exc}") from exc
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


async def _release(store: IdempotencyStore, claim: Claim) -> None:
    """Give *claim*'s key back after a failed call; a failed release only waits for the lease."""
    try:
        await asyncio.shield(store.release(claim))
    except BackendError as exc:
        logger.warning(
            "could not release idempotency key %r after a failed call (%s); "
            "it stays claimed until its lease ends",
            claim.key,
            type(exc).__name__,
        )


def idempotent(
    store: IdempotencyStore,
    *,
    key: Callable[P, str],
    lease: float = 60.0,
    ttl: float = 3600.0,
    fingerprint: Callable[P, object] | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Make an async function run once per key within *ttl*, replaying its result.

    Args:
        store: where claims and results live.
        key: the idempotency key of a call, from the call's arguments.
        lease: seconds a call may run before another call of its key may take over:
            longer than the slowest run (a run past it raises
            :class:`~serpens.errors.LeaseLostError` and stores nothing).
        ttl: seconds a result is replayed after the call completed.
        fingerprint: the payload that must be the same on every call of a key, from the
            call's arguments (hashed by :func:`fingerprint_of`); ``None`` checks none.

    The function's result must be a JSON value: a replay returns it as JSON gives it
    back (a tuple as a list); the first call returns it as the function did. A result
    that is not JSON raises :class:`~serpens.errors.SerializationError` after the call
    ran, and releases the key; so does one whose JSON text passes 256 KiB
    (:class:`~serpens.errors.ValidationError`).

    Raises:
        ValidationError: *lease* or *ttl* is not a number of seconds the stores take.
    """
    check_seconds(lease, "lease")
    check_seconds(ttl, "ttl")

    def decorate(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(function)
        async def run_once(*args: P.args, **kwargs: P.kwargs) -> R:
            payload = "" if fingerprint is None else fingerprint_of(fingerprint(*args, **kwargs))
            claim = await store.claim(key(*args, **kwargs), lease=lease, fingerprint=payload)
            if not isinstance(claim, Claim):
                return claim.result  # type: ignore[return-value]
            try:
                result = await function(*args, **kwargs)
            except BaseException:
                await _release(store, claim)
                raise
            try:
                await store.complete(claim, result, ttl=ttl)  # type: ignore[arg-type]
            except (SerializationError, ValidationError):
                await _release(store, claim)
                raise
            return result

        return run_once

    return decorate
