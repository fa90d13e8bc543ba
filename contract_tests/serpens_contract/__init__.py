"""serpens_contract: contract test suites every serpens port implementation must pass.

Subclass a suite (``CacheContract``, ``RepositoryContract``, ...) in a ``Test*`` class,
override its one factory fixture, and pytest runs the example-based contract plus a
Hypothesis differential test against serpens' in-memory fake. See
``docs/contract-tests.md``. Suites are imported lazily so that the pytest plugin, which
every pytest run loads, stays free of Hypothesis and SDK imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

try:
    import pytest  # noqa: F401 - checked first so a missing pytest names the extra
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("pytest", "contract") from exc

from serpens_contract._suite import ContractSuite
from serpens_contract.capabilities import Capability, register_capability, requires
from serpens_contract.differential import Outcome, again_when_stalled, observe, serpens_error_class
from serpens_contract.runner import SyncDriver
from serpens_contract.settings import hypothesis_settings

if TYPE_CHECKING:
    from serpens_contract.cache import AsyncCacheContract, CacheCapabilities, CacheContract
    from serpens_contract.document import DocumentStoreCapabilities, DocumentStoreContract
    from serpens_contract.http import HttpClientCapabilities, HttpClientContract, HttpTarget
    from serpens_contract.idempotency import IdempotencyCapabilities, IdempotencyContract
    from serpens_contract.outbox import OutboxCapabilities, OutboxContract, OutboxUnit
    from serpens_contract.parameters import (
        FakeParameterRig,
        FakeSecretRig,
        ParameterKind,
        ParameterRig,
        ParameterStoreCapabilities,
        ParameterStoreContract,
        SecretRig,
        SecretStoreCapabilities,
        SecretStoreContract,
    )
    from serpens_contract.publisher import (
        EmulatorRig,
        FakeRig,
        PublisherCapabilities,
        PublisherContract,
        PublisherRig,
    )
    from serpens_contract.queue import AsyncQueueContract, QueueCapabilities, QueueContract
    from serpens_contract.rate_limit import RateLimitCapabilities, RateLimitContract
    from serpens_contract.repository import RepositoryCapabilities, RepositoryContract

__all__ = [
    "AsyncCacheContract",
    "AsyncQueueContract",
    "CacheCapabilities",
    "CacheContract",
    "Capability",
    "ContractSuite",
    "DocumentStoreCapabilities",
    "DocumentStoreContract",
    "EmulatorRig",
    "FakeParameterRig",
    "FakeRig",
    "FakeSecretRig",
    "HttpClientCapabilities",
    "HttpClientContract",
    "HttpTarget",
    "IdempotencyCapabilities",
    "IdempotencyContract",
    "OutboxCapabilities",
    "OutboxContract",
    "OutboxUnit",
    "Outcome",
    "ParameterKind",
    "ParameterRig",
    "ParameterStoreCapabilities",
    "ParameterStoreContract",
    "PublisherCapabilities",
    "PublisherContract",
    "PublisherRig",
    "QueueCapabilities",
    "QueueContract",
    "RateLimitCapabilities",
    "RateLimitContract",
    "RepositoryCapabilities",
    "RepositoryContract",
    "SecretRig",
    "SecretStoreCapabilities",
    "SecretStoreContract",
    "SyncDriver",
    "again_when_stalled",
    "hypothesis_settings",
    "observe",
    "register_capability",
    "requires",
    "serpens_error_class",
]

# name -> submodule, for suites imported on first use. Each suite module is also
# imported under ``if TYPE_CHECKING:`` above so type checkers see the real classes.
_LAZY: dict[str, str] = {
    "AsyncCacheContract": "cache",
    "CacheCapabilities": "cache",
    "CacheContract": "cache",
    "DocumentStoreCapabilities": "document",
    "DocumentStoreContract": "document",
    "EmulatorRig": "publisher",
    "FakeRig": "publisher",
    "PublisherCapabilities": "publisher",
    "PublisherContract": "publisher",
    "PublisherRig": "publisher",
    "AsyncQueueContract": "queue",
    "QueueCapabilities": "queue",
    "QueueContract": "queue",
    "RepositoryCapabilities": "repository",
    "RepositoryContract": "repository",
    "HttpClientCapabilities": "http",
    "HttpClientContract": "http",
    "HttpTarget": "http",
    "IdempotencyCapabilities": "idempotency",
    "IdempotencyContract": "idempotency",
    "OutboxCapabilities": "outbox",
    "OutboxContract": "outbox",
    "OutboxUnit": "outbox",
    "RateLimitCapabilities": "rate_limit",
    "RateLimitContract": "rate_limit",
    "FakeParameterRig": "parameters",
    "ParameterKind": "parameters",
    "FakeSecretRig": "parameters",
    "ParameterRig": "parameters",
    "ParameterStoreCapabilities": "parameters",
    "ParameterStoreContract": "parameters",
    "SecretRig": "parameters",
    "SecretStoreCapabilities": "parameters",
    "SecretStoreContract": "parameters",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"serpens_contract.{module}"), name)
