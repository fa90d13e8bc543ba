"""What ``serpens._lambda_loop`` promises beyond one shared loop: results, errors, threads,
an interrupted invocation's clean-up, and no loop left set between invocations."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

from serpens import _lambda_loop


async def _answer(value: int) -> int:
    await asyncio.sleep(0)
    return value * 2


async def _fail() -> None:
    await asyncio.sleep(0)
    raise LookupError("from the coroutine")


def test_run_returns_the_coroutines_result() -> None:
    assert _lambda_loop.run(_answer(21)) == 42


def test_an_error_in_the_coroutine_propagates_and_the_loop_stays_usable() -> None:
    with pytest.raises(LookupError, match="from the coroutine"):
        _lambda_loop.run(_fail())
    loop = _lambda_loop.get_loop()
    assert not loop.is_closed()
    assert _lambda_loop.run(_answer(1)) == 2
    assert _lambda_loop.get_loop() is loop


def _set_loop() -> asyncio.AbstractEventLoop | None:
    """The loop set for this thread, read from the policy's thread-local (the public
    ``get_event_loop`` would create one on demand in the main thread)."""
    local = getattr(asyncio.get_event_loop_policy(), "_local", None)
    loop: asyncio.AbstractEventLoop | None = getattr(local, "_loop", None)
    return loop


def test_no_event_loop_is_left_set_after_an_invocation() -> None:
    _lambda_loop.run(_answer(1))
    assert _set_loop() is None
    with pytest.raises(LookupError):
        _lambda_loop.run(_fail())
    assert _set_loop() is None


def test_the_coroutine_runs_with_its_loop_set_as_the_threads_event_loop() -> None:
    async def seen() -> asyncio.AbstractEventLoop | None:
        return _set_loop()

    assert _lambda_loop.run(seen()) is _lambda_loop.get_loop()


def test_loop_running_is_false_outside_and_true_inside_a_loop() -> None:
    async def inside() -> bool:
        return _lambda_loop.loop_running()

    assert _lambda_loop.loop_running() is False
    assert _lambda_loop.run(inside()) is True


def test_each_thread_gets_its_own_loop_closed_when_the_thread_ends() -> None:
    main_loop = _lambda_loop.get_loop()
    loops: list[asyncio.AbstractEventLoop] = []

    def worker() -> None:
        loops.append(_lambda_loop.get_loop())
        assert _lambda_loop.get_loop() is loops[0]
        assert _lambda_loop.run(_answer(2)) == 4

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    (thread_loop,) = loops
    assert thread_loop is not main_loop
    del thread
    gc.collect()
    assert thread_loop.is_closed()
    assert not main_loop.is_closed()


def test_an_interruption_outside_the_coroutine_cancels_it_and_lets_it_clean_up() -> None:
    events: list[str] = []

    async def long_call() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            events.append("cancelled")
            await asyncio.sleep(0)  # clean-up that needs the loop
            events.append("cleaned up")
            raise

    def interrupt() -> None:
        raise KeyboardInterrupt

    loop = _lambda_loop.get_loop()
    loop.call_later(0.01, interrupt)
    with pytest.raises(KeyboardInterrupt):
        _lambda_loop.run(long_call())
    assert events == ["cancelled", "cleaned up"]
    assert not [task for task in asyncio.all_tasks(loop) if not task.done()]
    assert _lambda_loop.run(_answer(3)) == 6
