"""Run a call that may block for ever in a thread, so a test fails instead of hanging."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def in_thread(
    call: Callable[[], Any], hang_s: float, what: str
) -> tuple[float, BaseException | None]:
    """Run *call*; return its time and error. Still blocked after *hang_s*: the test fails."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        try:
            call()
        except BaseException as exc:
            outcome["error"] = exc
        outcome["elapsed"] = time.monotonic() - started

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(hang_s)
    assert not worker.is_alive(), f"{what} still blocked after {hang_s} s"
    return outcome["elapsed"], outcome.get("error")
