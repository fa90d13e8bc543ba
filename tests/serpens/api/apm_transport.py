"""An elastic-apm transport that keeps events in memory, and a real Client that uses it."""

from __future__ import annotations

from typing import Any

import elasticapm
from elasticapm.transport.base import Transport


class MemoryTransport(Transport):  # type: ignore[misc]
    """Records every queued event; starts no thread and opens no connection."""

    def __init__(self, url: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events: list[tuple[str, dict[str, Any]]] = []

    def queue(self, event_type: str, data: dict[str, Any], flush: bool = False) -> None:
        self.events.append((event_type, data))

    def start_thread(self, pid: int | None = None) -> None:
        pass

    def close(self) -> None:
        pass


def memory_client(**options: Any) -> elasticapm.Client:
    """A real elastic-apm ``Client`` (the process's) that sends nothing: its events stay here.

    *options* are further ``Client`` settings; the ones every test needs are set here.
    """
    return elasticapm.Client(
        service_name="serpens-tests",
        server_url="http://127.0.0.1:9",
        transport_class="tests.serpens.api.apm_transport.MemoryTransport",
        metrics_interval="0ms",
        central_config=False,
        cloud_provider="none",
        disable_log_record_factory=True,
        include_process_args=False,
        **options,
    )
