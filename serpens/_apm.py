"""Elastic APM ``messaging`` spans around publishes; no-ops without elasticapm or a transaction."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

__all__ = ["async_publish_span", "publish_span"]

_MISSING = object()
_apm: Any = None


def _elasticapm() -> Any:
    """Return the elasticapm module when installed and a transaction is active, else None."""
    global _apm  # noqa: PLW0603 - the import is looked up once per process
    if _apm is None:
        try:
            _apm = importlib.import_module("elasticapm")
        except ModuleNotFoundError:
            _apm = _MISSING
    if _apm is _MISSING or _apm.get_transaction_id() is None:
        return None
    return _apm


def _span_options(topic: str) -> dict[str, Any]:
    name = topic.rsplit("/", 1)[-1]
    return {
        "name": f"PubSub PUBLISH to {name}",
        "span_type": "messaging",
        "span_subtype": "pubsub",
        "span_action": "send",
        "labels": {"queue_name": topic},
        "extra": {"message": {"queue": {"name": topic}}},
        "leaf": True,
    }


@contextlib.contextmanager
def publish_span(topic: str) -> Iterator[None]:
    """Record the enclosed publish as a ``messaging`` span labelled with *topic*."""
    apm = _elasticapm()
    if apm is None:
        yield
        return
    with apm.capture_span(**_span_options(topic)):
        yield


@contextlib.asynccontextmanager
async def async_publish_span(topic: str) -> AsyncIterator[None]:
    """Async twin of :func:`publish_span`."""
    apm = _elasticapm()
    if apm is None:
        yield
        return
    from elasticapm.contrib.asyncio.traces import async_capture_span  # noqa: PLC0415

    async with async_capture_span(**_span_options(topic)):
        yield
