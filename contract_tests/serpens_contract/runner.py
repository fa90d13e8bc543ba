"""Drive an asynchronous implementation through a synchronous view.

Contract test bodies are written once, against the sync port. For an async
implementation the suite wraps it in :class:`SyncDriver`, which runs every coroutine
method on one :class:`asyncio.Runner`. Create the implementation inside that runner
(``runner.run(make())``) because many async clients bind to the loop that created them.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["SyncDriver"]


class SyncDriver:
    """Synchronous proxy: coroutine methods of *target* are run to completion on *runner*."""

    def __init__(self, target: object, runner: asyncio.Runner) -> None:
        self._target = target
        self._runner = runner

    @property
    def target(self) -> object:
        """The wrapped asynchronous implementation."""
        return self._target

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not inspect.iscoroutinefunction(attr):
            return attr
        runner = self._runner

        def call(*args: Any, **kwargs: Any) -> Any:
            return runner.run(attr(*args, **kwargs))

        call.__name__ = name
        return call

    def run(self, awaitable_factory: Callable[[], Any]) -> Any:
        """Run ``awaitable_factory()`` on the driver's loop and return its result."""
        return self._runner.run(awaitable_factory())

    def __repr__(self) -> str:
        return f"SyncDriver({self._target!r})"
