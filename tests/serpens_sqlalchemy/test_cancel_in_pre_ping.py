"""A cancel that lands in the pool's pre-ping is not lost on a stalled PostgreSQL.

SQLAlchemy's asyncpg pre-ping runs ``BEGIN``, ``;`` then, in a ``finally``, ``ROLLBACK``
(sqlalchemy/sqlalchemy#10226). A cancel that lands in the ``;`` is followed by that
``ROLLBACK``, which on a server that stopped answering waits until the ping's deadline
cuts the connection, and its ``InterfaceError`` ("connection is closed") replaces the
``CancelledError``: the pool took the ping for a disconnect and opened a new connection,
in a task that no longer had a cancel to take, and a cancelled ``run_relay`` went on
(waiting on that connect on a frozen server, up to asyncpg's 60 s, then relaying again).

Built without a race: a :class:`~serpens.testing.FaultProxy` trickles the server's answers
17 bytes every 3 s, exactly the answer to ``BEGIN`` (``CommandComplete`` and
``ReadyForQuery``): the ping's ``BEGIN`` ends, its ``;`` gets no answer before the ping's
deadline, and the cancel lands there (a reconnect is trickled too: its answers would take
over a minute). The cancelled call must end cancelled by the ping's deadline, with nothing
checked out, and the next call after a heal must work.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens.outbox import run_relay
from serpens.testing import FaultProxy
from serpens_sqlalchemy import AsyncPostgresOutboxStore
from serpens_sqlalchemy._ping import _keeping_cancel
from tests._postgres_probes import _proxy, backends, eventually  # noqa: F401 - _proxy: fixture
from tests.serpens_sqlalchemy._outbox_support import _schema  # noqa: F401 - fixture

PING_DEADLINE_S = 1.0  # the store's deadline: the engine's pings get it too
BUDGET_S = PING_DEADLINE_S + 1.0  # without the fix: asyncpg's 60 s connect, then more
BEGIN_ANSWER = 17  # bytes: CommandComplete 'BEGIN' (11) and ReadyForQuery (6)
TRICKLE_S = 3.0  # between slices: past the ping's deadline (a heal does not cut it short)


@pytest.fixture(name="app")
def _app() -> str:
    """The ``application_name`` of this test's connections (to find their backends)."""
    return f"serpens_ping_{uuid.uuid4().hex[:8]}"


@pytest.fixture(name="engine")
async def _engine(
    proxy: FaultProxy, postgres_url: str, app: str, schema: str
) -> AsyncIterator[AsyncEngine]:
    url = "postgresql+asyncpg://" + proxy.url_for(postgres_url).split("://", 1)[1]
    base = create_async_engine(
        url,
        pool_pre_ping=True,  # as serpens.database.bind's engines
        connect_args={"server_settings": {"application_name": app}},
    )
    yield base.execution_options(schema_translate_map={None: schema})
    proxy.heal()
    await base.dispose()


async def _cancelled_in_the_ping(call: asyncio.Task[object], proxy: FaultProxy, sent: int) -> float:
    """Cancel *call* once the ping's ``BEGIN`` is answered; how long the cancel took.

    *sent* is the proxy's count of bytes to the client before the ping.
    """
    # the ping's BEGIN is answered: its ';' is on its way, and gets no answer in time
    assert await eventually(lambda: proxy.stats().bytes_to_client == sent + BEGIN_ANSWER)
    await asyncio.sleep(0.1)
    started = time.monotonic()
    call.cancel()
    done, _ = await asyncio.wait({call}, timeout=BUDGET_S)
    elapsed = time.monotonic() - started
    print(f"\ncancel in the pre-ping: {elapsed:.2f} s")
    try:
        assert done, "the cancel was lost: the call went on"
        assert call.cancelled(), call.exception()
    finally:
        if not done:
            call.cancel()
            proxy.heal()
            await asyncio.wait({call}, timeout=5)
    return elapsed


async def _nothing_left(
    store: AsyncPostgresOutboxStore,
    engine: AsyncEngine,
    proxy: FaultProxy,
    postgres_url: str,
    app: str,
) -> None:
    """After a heal the next call works, and only its pooled connection is left."""
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    proxy.heal()
    assert await store.pending() == 0  # the next call works, on a new connection
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # the links the trickle held end once their slice's wait does
    assert await eventually(lambda: proxy.stats().open == 1, TRICKLE_S + 5), proxy.stats()
    assert await eventually(lambda: backends(postgres_url, app) == 1)


async def test_a_cancel_in_the_pre_ping_ends_the_call_cancelled(
    engine: AsyncEngine, proxy: FaultProxy, postgres_url: str, app: str
) -> None:
    store = AsyncPostgresOutboxStore(engine, deadline=PING_DEADLINE_S)
    await store.create_table()
    assert await store.pending() == 0  # the pooled connection is pinged on its next checkout
    sent = proxy.stats().bytes_to_client
    proxy.trickle(BEGIN_ANSWER, every=TRICKLE_S, direction="downstream")
    call: asyncio.Task[object] = asyncio.create_task(store.pending())
    assert await _cancelled_in_the_ping(call, proxy, sent) < BUDGET_S
    await _nothing_left(store, engine, proxy, postgres_url, app)


class _Failing:
    """A publisher whose publishes always fail (none is made here: the outbox is empty)."""

    async def publish(self, topic: str, payload: object, **_: object) -> str:
        raise RuntimeError(f"no publish to {topic}")

    async def close(self) -> None:
        return None


async def test_a_relay_cancelled_in_the_pre_ping_ends(
    engine: AsyncEngine, proxy: FaultProxy, postgres_url: str, app: str
) -> None:
    """The audit's case: ``run_relay`` cancelled while its claim's checkout pings."""
    store = AsyncPostgresOutboxStore(engine, deadline=PING_DEADLINE_S)
    await store.create_table()
    wake = asyncio.Event()
    before = proxy.stats().bytes_to_client
    relay: asyncio.Task[object] = asyncio.create_task(
        run_relay(store, _Failing(), poll=60.0, wake=wake)
    )
    # its first round claimed nothing: it waits for the poll, its connection in the pool
    pool: Any = engine.pool
    assert await eventually(
        lambda: proxy.stats().bytes_to_client > before and pool.checkedin() == 1
    )
    await asyncio.sleep(0.1)
    sent = proxy.stats().bytes_to_client
    proxy.trickle(BEGIN_ANSWER, every=TRICKLE_S, direction="downstream")
    wake.set()  # the next round's claim pings the pooled connection
    assert await _cancelled_in_the_ping(relay, proxy, sent) < BUDGET_S
    await _nothing_left(store, engine, proxy, postgres_url, app)


def _ping_failing(replaced_a_cancel: bool) -> Callable[[object], bool]:
    """A ping whose error replaced a ``CancelledError`` (as SQLAlchemy's ``finally`` does)."""

    def ping(_connection: object) -> bool:
        try:
            raise asyncio.CancelledError if replaced_a_cancel else OSError("reset")
        except BaseException as exc:
            raise RuntimeError("cannot perform operation: connection is closed") from exc

    return ping


async def _raised_while_cancelled(
    pings: list[Callable[[object], bool]],
) -> list[type[BaseException]]:
    """What each ping raises in a task that is being cancelled (the task ends cancelled)."""
    raised: list[type[BaseException]] = []

    async def cancelled() -> None:
        this = asyncio.current_task()
        assert this is not None
        this.cancel()
        for ping in pings:
            try:
                ping(None)
            except BaseException as exc:  # what each ping raised is the point
                raised.append(type(exc))

    task = asyncio.create_task(cancelled())
    await asyncio.wait({task})
    assert task.cancelled()
    return raised


async def test_only_a_cancel_the_ping_lost_is_raised_again() -> None:
    """Not cancelled, or an error that replaced no cancel: the ping fails as before."""
    replaced, plain = _keeping_cancel(_ping_failing(True)), _keeping_cancel(_ping_failing(False))
    with pytest.raises(RuntimeError):
        replaced(None)  # the task is not being cancelled: a disconnect, as before
    raised = await _raised_while_cancelled([replaced, plain])
    assert raised == [asyncio.CancelledError, RuntimeError]


def _ping_failing_deep(depth: int) -> Callable[[object], bool]:
    """A ping whose error has *depth* errors behind it, none of them a ``CancelledError``."""

    def ping(_connection: object) -> bool:
        error: BaseException = OSError("reset")
        for level in range(depth):
            outer = RuntimeError(f"level {level}")
            outer.__cause__ = error
            error = outer
        raise error

    return ping


async def test_a_long_chain_without_a_cancel_is_raised_as_it_is() -> None:
    """However many errors stand behind a ping's error, none a cancel: nothing is replaced."""
    pings = [_keeping_cancel(_ping_failing_deep(depth)) for depth in (1, 7, 8, 9, 20)]
    assert await _raised_while_cancelled(pings) == [RuntimeError] * len(pings)
