"""A real elastic-apm Client whose events stay in memory, and elastic-apm's own instrumentation.

The client sends nothing: its transport (``tests/serpens/api/apm_transport.py``) keeps
every event. :func:`instrumented` applies some of elastic-apm's instrumentations (the
wrappers ``elasticapm.instrument()`` puts on SDK methods) for one block and removes
them after, so a test can compare serpens' spans with the ones elastic-apm records for
the SDK's own calls without leaving the SDK patched for the rest of the suite.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import elasticapm
import elasticapm.base
from elasticapm.utils.module_import import import_string

from tests.serpens.api.apm_transport import memory_client

__all__ = ["APM_SPAN_NOISE", "RecordedApm", "instrumented", "recorded_apm"]

APM_SPAN_NOISE = frozenset(
    {"id", "transaction_id", "parent_id", "trace_id", "timestamp", "duration", "stacktrace"}
)
"""Span fields that differ between any two spans (ids, times): left out of comparisons."""


class RecordedApm:
    """The client and what it recorded."""

    def __init__(self, client: elasticapm.Client) -> None:
        self.client = client
        self.events: list[tuple[str, dict[str, Any]]] = client._transport.events

    def spans(self) -> list[dict[str, Any]]:
        """The spans recorded so far, oldest first."""
        return [data for kind, data in self.events if kind == "span"]

    def shapes(self) -> list[dict[str, Any]]:
        """The spans without the fields that differ from one span to the next."""
        return [
            {key: value for key, value in span.items() if key not in APM_SPAN_NOISE}
            for span in self.spans()
        ]


@contextlib.contextmanager
def recorded_apm() -> Iterator[RecordedApm]:
    """A configured elastic-apm Client (the process's), closed and forgotten afterwards."""
    client = memory_client(
        instrument=False,
        breakdown_metrics=False,
        skip_server_info=True,
        server_version=(8, 0, 0),
        # exact-match exit spans would be compressed into one composite span
        span_compression_enabled=False,
    )
    try:
        yield RecordedApm(client)
    finally:
        client.close()
        elasticapm.base.CLIENT_SINGLETON = None


@contextlib.contextmanager
def instrumented(*classes: str) -> Iterator[None]:
    """Apply elastic-apm's instrumentation *classes* (dotted paths) for the block only."""
    applied = [import_string(path)() for path in classes]
    try:
        for instrumentation in applied:
            instrumentation.instrument()
        yield
    finally:
        for instrumentation in reversed(applied):
            instrumentation.uninstrument()
