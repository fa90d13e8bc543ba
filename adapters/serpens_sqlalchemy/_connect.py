"""asyncpg connects that a cancel never lands in: each runs in a task of its own.

asyncpg (0.29 to 0.32 at least) leaves something behind when a cancel lands inside
``asyncpg.connect``: cancelled while asyncio sets up the socket of the SSL probe
(``sslmode`` ``prefer``, the default), the probe's protocol gets ``connection_lost`` and
sets ``ConnectionError('unexpected connection_lost() call')`` on a future nothing awaits
any more ("Future exception was never retrieved", MagicStack/asyncpg#1211, #1310); on 0.29
a cancel meeting the server's answer to the probe is a fatal ``InvalidStateError`` in the
probe's ``data_received``. Neither can be tidied from outside: the future is local to
asyncpg's ``_create_ssl_connection``.

So asyncpg is never cancelled mid-connect here. :func:`open_apart` makes an asyncpg engine
open each new connection in a task of its own, which the caller awaits through
``asyncio.shield``: a cancelled caller ends in ``CancelledError`` at once and never waits
for the connect, which goes on in the background, bounded by asyncpg's connect
``timeout``, and whose connection, if it opens, is terminated (it never ran a statement).
The cost is one task per new connection, none per checkout or statement. The same hook
lets a caller go before a connection the pool dropped (a cancel or an error invalidated
it, or it is past ``pool_recycle``) is closed, which on a frozen server takes asyncpg's
graceful close 2 s, and bounds a plain close (``serpens_sqlalchemy/_terminate.py``).

What runs after the connect (SQLAlchemy's connect events: the dialect's JSON codecs, the
first connection's ``initialize``, serpens' own ``SET``) stays in the caller's task, where
a cancel ends it; SQLAlchemy 2.0.53 and later close the connection such a failed event
leaves (sqlalchemy/sqlalchemy#13548), earlier releases leave it unclosed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Engine, event

from serpens_sqlalchemy._ping import keep_ping_cancel
from serpens_sqlalchemy._terminate import close_at_once

__all__ = ["open_apart"]

_OPENING: set[asyncio.Future[Any]] = set()
"""Connects under way: the loop holds its tasks weakly, a connect nobody awaits must live."""


def open_apart(engine: Engine) -> None:
    """Make the asyncpg *engine* open each new connection in a task of its own (idempotent).

    Pass an ``AsyncEngine``'s ``sync_engine``. Any other driver's engine is left as it is,
    and so is an engine made with ``async_creator`` (SQLAlchemy calls that creator itself,
    without the ``do_connect`` event this hooks). Whatever the creator, a caller does not
    wait for the close of a connection the pool dropped, and a plain close is bounded
    (:func:`~serpens_sqlalchemy._terminate.close_at_once`); a cancel that lands in the
    pool's pre-ping is not lost to a reconnect
    (:func:`~serpens_sqlalchemy._ping.keep_ping_cancel`).
    """
    close_at_once(engine)
    keep_ping_cancel(engine)
    if engine.dialect.driver == "asyncpg" and not event.contains(
        engine, "do_connect", _connect_apart
    ):
        event.listen(engine, "do_connect", _connect_apart)


def _connect_apart(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
    """``do_connect``: wrap the creator SQLAlchemy's asyncpg adapter calls (``asyncpg.connect``).

    ``cparams`` is the engine's own dictionary, kept from one connect to the next, so the
    creator is wrapped once.
    """
    creator = cparams.get("async_creator_fn")
    if not isinstance(creator, _Apart):
        import asyncpg  # noqa: PLC0415 - an asyncpg engine has it; the module need not

        cparams["async_creator_fn"] = _Apart(creator or asyncpg.connect)


class _Apart:
    """A connect function whose connects run in a task of their own (see the module)."""

    def __init__(self, connect: Callable[..., Awaitable[Any]]) -> None:
        self._connect = connect

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        opening = asyncio.ensure_future(self._connect(*args, **kwargs))
        _OPENING.add(opening)
        opening.add_done_callback(_OPENING.discard)
        shielded = asyncio.shield(opening)
        try:
            return await shielded
        except asyncio.CancelledError:
            # also when the connect had just ended: the caller never got its outcome
            if shielded.done() and not shielded.cancelled():
                shielded.exception()  # retrieved: a failed connect's error is not logged
            opening.add_done_callback(_terminate_unclaimed)
            raise


def _terminate_unclaimed(opening: asyncio.Future[Any]) -> None:
    """Close the connection a cancelled caller left behind (its error: shield retrieved it)."""
    if not opening.cancelled() and opening.exception() is None:
        opening.result().terminate()
