import asyncio

import pytest

from serpens import _lambda_loop


async def _current_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_every_invocation_runs_on_the_same_loop() -> None:
    first = _lambda_loop.run(_current_loop())
    second = _lambda_loop.run(_current_loop())
    assert first is second
    assert not first.is_closed()


def test_a_closed_loop_is_replaced() -> None:
    old = _lambda_loop.get_loop()
    old.close()
    assert _lambda_loop.run(_current_loop()) is not old


async def test_calling_from_a_running_loop_is_a_clear_error() -> None:
    coro = _current_loop()
    with pytest.raises(RuntimeError, match="running event loop"):
        _lambda_loop.run(coro)
    assert coro.cr_frame is None  # closed, so no "never awaited" warning
