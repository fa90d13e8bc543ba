"""``open_apart``: a cancel never lands inside asyncpg's connect, and leaves nothing behind.

asyncpg leaves a future whose ``ConnectionError`` nobody retrieves when a cancel lands
while it opens its SSL probe's socket (``serpens_sqlalchemy/_connect.py``). These pin the
connect function the hook installs, with a stand-in for ``asyncpg.connect`` whose end the
test decides: a cancelled caller ends at once, the connect goes on, and the connection it
opens is terminated; one that ended as the cancel came too; a connect that fails after its
caller left logs nothing. The queue's contract cancel case drives the real one.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.ext.asyncio import create_async_engine

from serpens_sqlalchemy._connect import _OPENING, _Apart, _connect_apart, open_apart


class _Connection:
    """What asyncpg's connection offers the hook: ``terminate()``."""

    def __init__(self) -> None:
        self.terminated = False

    def terminate(self) -> None:
        self.terminated = True


class _Connect:
    """A connect that ends when the test says so, with a connection or an error."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.error: Exception | None = None
        self.made: list[_Connection] = []
        self.args: tuple[Any, ...] = ()

    async def __call__(self, *args: Any, **kwargs: Any) -> _Connection:
        self.args = (*args, *sorted(kwargs.items()))
        await self.release.wait()
        if self.error is not None:
            raise self.error
        self.made.append(_Connection())
        return self.made[-1]


def _errors(loop: asyncio.AbstractEventLoop) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: found.append(context))
    return found


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_connect_passes_its_arguments_and_hands_over_its_connection() -> None:
    connect = _Connect()
    connect.release.set()
    got = await _Apart(connect)("dsn", timeout=2)
    assert got is connect.made[0]
    assert not got.terminated
    assert connect.args == ("dsn", ("timeout", 2))


async def test_a_cancelled_caller_ends_at_once_and_the_connection_is_terminated() -> None:
    errors = _errors(asyncio.get_running_loop())
    connect = _Connect()
    caller = asyncio.ensure_future(_Apart(connect)())
    await _settle()
    caller.cancel()
    await asyncio.wait({caller}, timeout=1)
    assert caller.cancelled()  # the connect is still waiting: the caller did not
    # held strongly meanwhile: the loop keeps only weak references to its tasks
    assert [f.done() for f in _OPENING] == [False]
    connect.release.set()
    await _settle()
    assert [c.terminated for c in connect.made] == [True]
    assert errors == []
    assert not _OPENING


async def test_a_connect_that_ended_as_the_cancel_came_is_terminated() -> None:
    connect = _Connect()
    caller = asyncio.ensure_future(_Apart(connect)())
    await _settle()
    connect.release.set()
    while not connect.made:  # noqa: ASYNC110 - turn by turn: cancel before the caller resumes
        await asyncio.sleep(0)
    caller.cancel()  # the connection is made, the caller has not resumed with it
    await asyncio.gather(caller, return_exceptions=True)
    await _settle()
    assert caller.cancelled()
    assert [c.terminated for c in connect.made] == [True]


@pytest.mark.parametrize("ended_first", [False, True])
async def test_a_connect_failing_after_its_caller_left_logs_nothing(ended_first: bool) -> None:
    errors = _errors(asyncio.get_running_loop())
    connect = _Connect()
    connect.error = ConnectionRefusedError("refused")
    caller = asyncio.ensure_future(_Apart(connect)())
    await _settle()
    if ended_first:  # the connect fails, then the cancel finds the caller not yet resumed
        connect.release.set()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    caller.cancel()
    connect.release.set()
    await asyncio.gather(caller, return_exceptions=True)
    await _settle()
    assert caller.cancelled()
    assert errors == []


def test_only_an_asyncpg_engine_is_hooked_and_only_once() -> None:
    engine = create_async_engine("postgresql+asyncpg://user@localhost/db").sync_engine
    open_apart(engine)
    open_apart(engine)
    assert event.contains(engine, "do_connect", _connect_apart)
    other = create_engine("sqlite://")
    open_apart(other)
    assert not event.contains(other, "do_connect", _connect_apart)


def test_the_creator_is_wrapped_once_and_a_given_one_kept() -> None:
    params: dict[str, Any] = {}
    _connect_apart(None, None, (), params)
    first = params["async_creator_fn"]
    _connect_apart(None, None, (), params)
    assert params["async_creator_fn"] is first
    connect = _Connect()
    given: dict[str, Any] = {"async_creator_fn": connect}
    _connect_apart(None, None, (), given)
    assert isinstance(given["async_creator_fn"], _Apart)
    assert given["async_creator_fn"]._connect is connect


async def test_a_connect_cancelled_after_its_caller_left_logs_nothing() -> None:
    """The loop's shutdown cancels the connect a cancelled caller left going: no error."""
    errors = _errors(asyncio.get_running_loop())
    connect = _Connect()
    caller = asyncio.ensure_future(_Apart(connect)())
    await _settle()
    caller.cancel()
    await asyncio.gather(caller, return_exceptions=True)
    (opening,) = _OPENING
    opening.cancel()  # as asyncio.run does with the tasks left at its end
    await asyncio.gather(opening, return_exceptions=True)
    await _settle()
    assert caller.cancelled()
    assert opening.cancelled()
    assert connect.made == []
    assert errors == []
    assert not _OPENING
