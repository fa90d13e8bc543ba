"""An elastic-apm transport that keeps events in memory instead of sending them."""

from __future__ import annotations

from typing import Any

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
