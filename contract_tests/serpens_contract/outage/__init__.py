"""Outage cases of the contract suites: each port's outage promise, tested for real.

Every port's docstring says what happens when its backend is down: strict
implementations raise :class:`~serpens.errors.BackendUnavailableError` (the backend
refuses or resets the connection) or :class:`~serpens.errors.BackendTimeoutError` (it
accepts and never answers), and they do it within their configured timeout; fail-open
caches miss on read, do nothing on write and never raise. Once the backend is back, the
same implementation object works again. The mixins here (``CacheOutageCases``,
``QueueOutageCases``, ``ParametersOutageCases``, ...) turn those sentences into tests,
and each port's suite inherits its mixin.

A cell wires them with two class-level declarations:

- ``outage_capabilities = OutageCapabilities(mode=..., kinds=..., deadline=...)``:
  strict or fail-open, which faults its hook can inject, and the timeout it configured;
  the capability report prints it on the cell's row.
- an ``outage`` fixture returning a hook ``kind -> context manager``: inside the
  ``with`` block the backend behind every implementation the test opened is down in that
  way (``"refused"``, ``"frozen"`` or ``"reset"``); leaving the block heals it. Adapter
  cells put a :class:`serpens.testing.FaultProxy` in front of their server, build the
  implementation on ``proxy.url_for(url)`` and return :func:`proxy_outage`; cells of
  fakes track what they open in a :class:`FakeOutages` and return its ``outage``.

A cell that declares no kinds (the default) gets every outage case as a reported skip.
Each call is made on a watched thread (or under ``asyncio.wait_for`` for async ports),
so an implementation that blocks past its deadline fails the test instead of hanging it.
"""

from serpens_contract.outage._async_cases import (
    HttpOutageCases,
    IdempotencyOutageCases,
    OutboxOutageCases,
    RateLimitOutageCases,
)
from serpens_contract.outage._declarations import (
    ALL_KINDS,
    OUTAGE_KINDS,
    TRICKLE_BYTES,
    TRICKLE_EVERY,
    FakeOutages,
    OutageCapabilities,
    OutageHook,
    OutageKind,
    proxy_outage,
)
from serpens_contract.outage._messaging_cases import PublisherOutageCases, QueueOutageCases
from serpens_contract.outage._store_cases import (
    CacheOutageCases,
    DocumentOutageCases,
    ParametersOutageCases,
    SecretsOutageCases,
)

__all__ = [
    "ALL_KINDS",
    "OUTAGE_KINDS",
    "TRICKLE_BYTES",
    "TRICKLE_EVERY",
    "CacheOutageCases",
    "DocumentOutageCases",
    "FakeOutages",
    "HttpOutageCases",
    "IdempotencyOutageCases",
    "OutageCapabilities",
    "OutageHook",
    "OutageKind",
    "OutboxOutageCases",
    "ParametersOutageCases",
    "PublisherOutageCases",
    "QueueOutageCases",
    "RateLimitOutageCases",
    "SecretsOutageCases",
    "proxy_outage",
]
