"""The composition root's configuration."""

from __future__ import annotations

import pytest

from orders_service.settings import Settings
from serpens.errors import ConfigurationError

PRODUCTION = {
    "DATABASE_URL": "postgresql://orders@db/orders",
    "REDIS_URL": "redis://cache:6379/0",
    "PRICING_URL": "http://pricing",
    "ORDERS_TOPIC": "projects/p/topics/order-events",
    "FULFILMENT_QUEUE_URL": "http://sqs/123/fulfilment",
}


def test_production_is_the_default_and_reads_every_variable() -> None:
    settings = Settings.from_env(
        {**PRODUCTION, "PAYMENT_RETRY_SECONDS": "5", "OUTBOX_POLL_SECONDS": "0.25"}
    )

    assert settings.adapters == "production"
    assert settings.database_url == PRODUCTION["DATABASE_URL"]
    assert settings.payment_retry_seconds == 5
    assert settings.outbox_poll_seconds == 0.25


def test_the_relay_looks_every_second_by_default() -> None:
    assert Settings.from_env(PRODUCTION).outbox_poll_seconds == 1.0
    assert Settings.from_env({"ORDERS_ADAPTERS": "memory", "OUTBOX_POLL_SECONDS": "2"}) == Settings(
        outbox_poll_seconds=2.0
    )


@pytest.mark.parametrize("missing", sorted(PRODUCTION), ids=str)
def test_production_without_a_variable_names_it(missing: str) -> None:
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}

    with pytest.raises(ConfigurationError, match=missing):
        Settings.from_env(environ)


def test_memory_needs_no_variables() -> None:
    assert Settings.from_env({"ORDERS_ADAPTERS": "memory"}) == Settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("ORDERS_ADAPTERS", "sqlite", id="adapters"),
        pytest.param("PRODUCT_CACHE_TTL", "soon", id="ttl-not-a-number"),
        pytest.param("PRODUCT_CACHE_TTL", "0", id="ttl-zero"),
        pytest.param("PAYMENT_RETRY_SECONDS", "-1", id="retry-negative"),
        pytest.param("OUTBOX_POLL_SECONDS", "0", id="poll-zero"),
        pytest.param("OUTBOX_POLL_SECONDS", "nan", id="poll-nan"),
    ],
)
def test_malformed_values_are_configuration_errors(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({"ORDERS_ADAPTERS": "memory", name: value})
