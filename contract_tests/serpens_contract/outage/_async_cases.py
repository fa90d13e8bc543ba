"""Outage cases of the async-only ports: ``HttpOutageCases`` and ``RateLimitOutageCases``.

Each call runs under ``asyncio.wait_for``, so one that blocks past its deadline fails the
test; requests and acquires raise the outage's serpens error in time, then succeed again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serpens_contract.capabilities import requires
from serpens_contract.outage._declarations import OutageHook, OutageKind, _OutageCases
from serpens_contract.outage._probe import _araises, _arecovers

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
