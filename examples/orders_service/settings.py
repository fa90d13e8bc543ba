"""Configuration of the orders service, read from the environment by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from serpens.errors import ConfigurationError

__all__ = [
    "DATABASE_URL",
    "FULFILMENT_QUEUE_URL",
    "ORDERS_ADAPTERS",
    "ORDERS_TOPIC",
    "OUTBOX_POLL_SECONDS",
    "PAYMENT_RETRY_SECONDS",
    "PRICING_URL",
    "PRODUCT_CACHE_TTL",
    "REDIS_URL",
    "Settings",
]

ORDERS_ADAPTERS = "ORDERS_ADAPTERS"
"""``production`` (default): real backends; ``memory``: serpens' in-memory fakes."""
DATABASE_URL = "DATABASE_URL"
REDIS_URL = "REDIS_URL"
PRICING_URL = "PRICING_URL"
ORDERS_TOPIC = "ORDERS_TOPIC"
"""Full Pub/Sub topic id of order events, ``projects/<project>/topics/<name>``."""
FULFILMENT_QUEUE_URL = "FULFILMENT_QUEUE_URL"
PRODUCT_CACHE_TTL = "PRODUCT_CACHE_TTL"
PAYMENT_RETRY_SECONDS = "PAYMENT_RETRY_SECONDS"
"""How long the consumer waits before retrying the fulfilment of an unpaid order."""
OUTBOX_POLL_SECONDS = "OUTBOX_POLL_SECONDS"
"""How often the outbox relay looks for events it was not woken for (committed elsewhere)."""

Adapters = Literal["memory", "production"]

_MEMORY_PRICING_URL = "http://pricing.local"
_MEMORY_TOPIC = "projects/local/topics/order-events"
_MEMORY_QUEUE_URL = "memory://fulfilment"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the composition root needs to wire the service.

    The SDKs read their own connection variables too (``PUBSUB_EMULATOR_HOST``,
    ``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``, the ``DB_*`` pool settings).
    """

    adapters: Adapters = "memory"
    database_url: str = ""
    redis_url: str = ""
    pricing_url: str = _MEMORY_PRICING_URL
    orders_topic: str = _MEMORY_TOPIC
    fulfilment_queue_url: str = _MEMORY_QUEUE_URL
    product_cache_ttl: float = 300.0
    payment_retry_seconds: int = 60
    outbox_poll_seconds: float = 1.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read the settings; a missing or malformed variable is a ``ConfigurationError``."""
        adapters = environ.get(ORDERS_ADAPTERS, "production")
        if adapters not in ("memory", "production"):
            raise ConfigurationError(f"{ORDERS_ADAPTERS} must be 'memory' or 'production'")
        ttl = _number(environ, PRODUCT_CACHE_TTL, 300.0, minimum=0.001)
        retry = int(_number(environ, PAYMENT_RETRY_SECONDS, 60, minimum=0))
        poll = _number(environ, OUTBOX_POLL_SECONDS, 1.0, minimum=0.01)
        if adapters == "memory":
            return cls(
                adapters="memory",
                pricing_url=environ.get(PRICING_URL, _MEMORY_PRICING_URL),
                product_cache_ttl=ttl,
                payment_retry_seconds=retry,
                outbox_poll_seconds=poll,
            )
        return cls(
            adapters="production",
            database_url=_required(environ, DATABASE_URL),
            redis_url=_required(environ, REDIS_URL),
            pricing_url=_required(environ, PRICING_URL),
            orders_topic=_required(environ, ORDERS_TOPIC),
            fulfilment_queue_url=_required(environ, FULFILMENT_QUEUE_URL),
            product_cache_ttl=ttl,
            payment_retry_seconds=retry,
            outbox_poll_seconds=poll,
        )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise ConfigurationError(f"{name} is not set (needed when {ORDERS_ADAPTERS}=production)")
    return value


def _number(environ: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds") from None
    if not value >= minimum:  # also rejects NaN
        raise ConfigurationError(f"{name} must be at least {minimum:g}")
    return value
