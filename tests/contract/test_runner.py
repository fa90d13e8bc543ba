"""SyncDriver and observe: the helpers suites use to share one test body."""

import asyncio

from serpens.errors import ConflictError, NotFoundError
from serpens_contract import Outcome, SyncDriver, observe


class _AsyncCounter:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.value = 0

    async def incr(self, by: int = 1) -> int:
        assert asyncio.get_running_loop() is self.loop
        self.value += by
        return self.value

    def peek(self) -> int:
        return self.value


async def _make() -> _AsyncCounter:
    return _AsyncCounter()


def test_sync_driver_runs_every_coroutine_on_the_loop_that_created_the_target() -> None:
    with asyncio.Runner() as runner:
        driver = SyncDriver(runner.run(_make()), runner)
        assert driver.incr() == 1
        assert driver.incr(by=2) == 3
        assert driver.peek() == 3


def test_observe_captures_value_or_public_serpens_error_class() -> None:
    class _PrivateConflictError(ConflictError):
        pass

    def conflict() -> None:
        raise _PrivateConflictError("dup")

    def missing() -> None:
        raise NotFoundError("k")

    assert observe(lambda: 7) == Outcome(value=7)
    assert observe(conflict) == Outcome(error=ConflictError)
    assert observe(missing) == Outcome(error=NotFoundError)
