"""What the queue cases are built from: the factory protocols and shared helpers.

The protocols type the fixtures an implementation overrides (``open_queue`` and the
rest); the enums, the pause past a one-second timeout and the long-poll helper are
used by several case mixins.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import Enum, StrEnum
from typing import Any, Protocol

from serpens.ports import AsyncQueue, Message, Queue


class QueueFactory(Protocol):
    """``(namespace, fifo) -> Queue``: a new, empty queue per call."""

    def __call__(self, namespace: str, fifo: bool) -> Queue: ...


class AsyncQueueFactory(Protocol):
    """``(namespace, fifo) -> AsyncQueue``: a new, empty queue per call."""

    def __call__(self, namespace: str, fifo: bool) -> AsyncQueue: ...


class ContentBasedFifoFactory(Protocol):
    """``namespace -> Queue``: a new, empty FIFO queue that deduplicates by body."""

    def __call__(self, namespace: str) -> Queue: ...


class AsyncContentBasedFifoFactory(Protocol):
    """``namespace -> AsyncQueue``: a new, empty FIFO queue that deduplicates by body."""

    def __call__(self, namespace: str) -> AsyncQueue: ...


class _Kind(StrEnum):
    ORDER = "order"


class _OldKind(str, Enum):  # noqa: UP042 - the pre-3.11 spelling, str() is not its value
    PAID = "paid"


class _Count(int, Enum):  # the pre-3.11 spelling, str() is not its value
    TWO = 2


_PAUSE = 1.1  # past a 1-second visibility timeout or delay


def _bodies(messages: Any) -> list[str]:
    return [m.body for m in messages]


def _receive_while_time_passes(
    queue: Queue, advance_clock: Callable[[float], None], *, visibility_timeout: int
) -> list[Message]:
    """A 5-second long poll for one message, while another thread moves time past 1 s."""

    def later() -> None:
        time.sleep(0.2)  # the receive is waiting by now
        advance_clock(_PAUSE)

    mover = threading.Thread(target=later)
    mover.start()
    try:
        return list(
            queue.receive(max_messages=1, wait_seconds=5, visibility_timeout=visibility_timeout)
        )
    finally:
        mover.join()
