"""Outage cases of the async-only ports: HTTP, rate limits, idempotency and the outbox.

Each call runs under ``asyncio.wait_for``, so one that blocks past its deadline fails the
test; requests and acquires raise the outage's serpens error in time, then succeed again.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from typing import Any

from serpens.errors import InProgressError, LeaseLostError
from serpens.ports import Claim, Replay
from serpens_contract.capabilities import requires
from serpens_contract.outage._declarations import OutageHook, OutageKind, _OutageCases
from serpens_contract.outage._probe import _araises, _arecovers, _ns

_TOPIC = "projects/contract/topics/outage"

# ---------------------------------------------------------------------------- http


class HttpOutageCases(_OutageCases):
    """Outage cases of ``HttpClientContract`` (fixtures ``client`` and ``url``).

    Requests pass ``timeout=deadline``: the per-request timeout is the HTTP port's knob.
    """

    async def _strict(
        self, client: Any, url: Callable[[str], str], outage: OutageHook, kind: OutageKind
    ) -> None:
        capabilities = self.outage_capabilities
        deadline = capabilities.deadline
        assert (await client.get(url("/echo/before"), timeout=deadline)).status_code == 200
        with outage(kind):
            await _araises("GET", client.get(url("/echo/x"), timeout=deadline), kind, capabilities)
            await _araises(
                "POST",
                client.post(url("/echo/x"), json={"a": 1}, timeout=deadline),
                kind,
                capabilities,
            )

        async def answered() -> bool:
            response = await client.get(url("/echo/after"), timeout=deadline)
            return bool(response.status_code == 200)

        await _arecovers(answered, capabilities, "GET")

    @requires("strict_outage", "outage_refused")
    async def test_a_refused_backend_raises_unavailable_in_time(
        self, client: Any, url: Callable[[str], str], outage: OutageHook
    ) -> None:
        """Requests raise BackendUnavailableError in time; then they succeed again."""
        await self._strict(client, url, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    async def test_a_frozen_backend_raises_timeout_in_time(
        self, client: Any, url: Callable[[str], str], outage: OutageHook
    ) -> None:
        """Requests raise BackendTimeoutError at their timeout; then they succeed again."""
        await self._strict(client, url, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    async def test_a_reset_backend_raises_unavailable_in_time(
        self, client: Any, url: Callable[[str], str], outage: OutageHook
    ) -> None:
        """Requests raise BackendUnavailableError in time; then they succeed again."""
        await self._strict(client, url, outage, "reset")

    @requires("strict_outage", "outage_trickled")
    async def test_a_trickling_backend_raises_timeout_by_the_deadline(
        self, client: Any, url: Callable[[str], str], outage: OutageHook
    ) -> None:
        """Requests raise BackendTimeoutError at their timeout; then they succeed again.

        The server answers a byte at a time, each within any read timeout: only a deadline
        on the whole request ends it.
        """
        await self._strict(client, url, outage, "trickled")


# ---------------------------------------------------------------------- rate limit


class RateLimitOutageCases(_OutageCases):
    """Outage cases of ``RateLimitContract`` (fixture ``make``): a shared quota's backend."""

    async def _strict(self, make: Callable[..., Any], outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        limiter = make(1000, burst=1000)
        await limiter.acquire()
        with outage(kind):
            await _araises("acquire", limiter.acquire(), kind, capabilities)

        async def acquired() -> bool:
            await limiter.acquire()
            return True

        await _arecovers(acquired, capabilities, "acquire")

    @requires("strict_outage", "outage_refused")
    async def test_a_refused_backend_raises_unavailable_in_time(
        self, make: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Acquire raises BackendUnavailableError in time; then it grants again."""
        await self._strict(make, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    async def test_a_frozen_backend_raises_timeout_in_time(
        self, make: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Acquire raises BackendTimeoutError in time; then it grants again."""
        await self._strict(make, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    async def test_a_reset_backend_raises_unavailable_in_time(
        self, make: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Acquire raises BackendUnavailableError in time; then it grants again."""
        await self._strict(make, outage, "reset")


# --------------------------------------------------------------------- idempotency


class IdempotencyOutageCases(_OutageCases):
    """Outage cases of ``IdempotencyContract`` (fixture ``open_idempotency_store``).

    A call whose answer the outage lost may have taken effect (a trickled answer reaches
    the server whole): afterwards each call made in the outage must have taken effect
    whole or not at all.
    """

    async def _strict(
        self, open_store: Callable[[str], Any], outage: OutageHook, kind: OutageKind
    ) -> None:
        capabilities = self.outage_capabilities
        store = open_store(_ns())
        held = await store.claim("held", lease=60)
        freed = await store.claim("freed", lease=60)
        with outage(kind):
            await _araises("claim", store.claim("new", lease=60), kind, capabilities)
            await _araises("complete", store.complete(held, 1, ttl=60), kind, capabilities)
            await _araises("release", store.release(freed), kind, capabilities)

        async def claimed() -> bool:
            return isinstance(await store.claim(f"after-{_ns()}", lease=60), Claim)

        await _arecovers(claimed, capabilities, "claim")
        try:  # the complete took effect whole, or not at all
            await store.complete(held, 2, ttl=60)
        except LeaseLostError:
            assert await store.claim("held", lease=60) == Replay("held", 1)
        else:
            assert await store.claim("held", lease=60) == Replay("held", 2)
        try:
            again = await store.claim("freed", lease=60)
        except InProgressError:  # the release did not land: the first claim still holds
            assert await store.release(freed) is True
        else:
            assert isinstance(again, Claim)
            assert again.token > freed.token
        # the claim landed with its answer lost (the key waits for its lease), or it did not
        with contextlib.suppress(InProgressError):
            assert isinstance(await store.claim("new", lease=60), Claim)

    @requires("strict_outage", "outage_refused")
    async def test_a_refused_backend_raises_unavailable_in_time(
        self, open_idempotency_store: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """Calls raise BackendUnavailableError in time; then they work again."""
        await self._strict(open_idempotency_store, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    async def test_a_frozen_backend_raises_timeout_in_time(
        self, open_idempotency_store: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """Calls raise BackendTimeoutError at their deadline; then they work again."""
        await self._strict(open_idempotency_store, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    async def test_a_reset_backend_raises_unavailable_in_time(
        self, open_idempotency_store: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """Calls raise BackendUnavailableError in time; then they work again."""
        await self._strict(open_idempotency_store, outage, "reset")

    @requires("strict_outage", "outage_trickled")
    async def test_a_trickling_backend_raises_timeout_by_the_deadline(
        self, open_idempotency_store: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """Calls raise BackendTimeoutError by their deadline, answers lost; then they work."""
        await self._strict(open_idempotency_store, outage, "trickled")


# -------------------------------------------------------------------------- outbox


class OutboxOutageCases(_OutageCases):
    """Outage cases of ``OutboxContract`` (fixtures ``open_outbox_unit``, ``open_outbox_store``).

    The store's backend is down: every call raises in time, and afterwards each
    settlement made in the outage took effect whole or not at all (a trickled answer
    reaches the server whole), and no message was lost.
    """

    async def _strict(
        self,
        open_unit: Callable[[], Any],
        open_store: Callable[[], Any],
        outage: OutageHook,
        kind: OutageKind,
    ) -> None:
        capabilities = self.outage_capabilities
        store = open_store()
        async with open_unit() as work:
            for payload in ("delivered", "many", "retried", "new"):
                work.outbox.put(_TOPIC, payload)
            done = work.commit()
            if inspect.isawaitable(done):
                await done
        delivered, many, retried = await store.claim(limit=3, lease=60)
        with outage(kind):
            await _araises("claim", store.claim(lease=60), kind, capabilities)
            await _araises("delivered", store.delivered(delivered), kind, capabilities)
            await _araises("delivered_many", store.delivered_many([many]), kind, capabilities)
            await _araises("retry", store.retry(retried, after=0), kind, capabilities)
            await _araises("pending", store.pending(), kind, capabilities)

        async def counted() -> bool:
            return isinstance(await store.pending(), int)

        await _arecovers(counted, capabilities, "pending")
        # each settlement landed whole (its claim is gone) or not at all (it still holds)
        with contextlib.suppress(LeaseLostError):
            await store.delivered(delivered)
        with contextlib.suppress(LeaseLostError):
            await store.retry(retried, after=0)
        await store.delivered_many([many])  # whole: returned as no longer held; or deleted now
        # "new" was claimed with its answer lost (held for a minute), or not claimed
        payloads = {message.payload for message in await store.claim(lease=60)}
        assert b"retried" in payloads, f"a retried message must be due again, got {payloads}"
        assert payloads <= {b"retried", b"new"}, f"a delivered message came back: {payloads}"
        assert await store.pending() == 2, "a message was lost, or one delivered came back"

    @requires("strict_outage", "outage_refused")
    async def test_a_refused_backend_raises_unavailable_in_time(
        self,
        open_outbox_unit: Callable[[], Any],
        open_outbox_store: Callable[[], Any],
        outage: OutageHook,
    ) -> None:
        """Store calls raise BackendUnavailableError in time; then they work again."""
        await self._strict(open_outbox_unit, open_outbox_store, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    async def test_a_frozen_backend_raises_timeout_in_time(
        self,
        open_outbox_unit: Callable[[], Any],
        open_outbox_store: Callable[[], Any],
        outage: OutageHook,
    ) -> None:
        """Store calls raise BackendTimeoutError at their deadline; then they work again."""
        await self._strict(open_outbox_unit, open_outbox_store, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    async def test_a_reset_backend_raises_unavailable_in_time(
        self,
        open_outbox_unit: Callable[[], Any],
        open_outbox_store: Callable[[], Any],
        outage: OutageHook,
    ) -> None:
        """Store calls raise BackendUnavailableError in time; then they work again."""
        await self._strict(open_outbox_unit, open_outbox_store, outage, "reset")

    @requires("strict_outage", "outage_trickled")
    async def test_a_trickling_backend_raises_timeout_by_the_deadline(
        self,
        open_outbox_unit: Callable[[], Any],
        open_outbox_store: Callable[[], Any],
        outage: OutageHook,
    ) -> None:
        """Store calls raise BackendTimeoutError by their deadline; then they work again."""
        await self._strict(open_outbox_unit, open_outbox_store, outage, "trickled")
