"""``FailOpenRedis``: a ``redis.asyncio.Redis`` that answers ``None`` while Redis is down."""

from __future__ import annotations

from typing import Any

import redis
from redis import asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from serpens_redis._cancels import keeping_cancels
from serpens_redis._errors import FAIL_OPEN, OUTAGE
from serpens_redis._failopen import FailOpen, guard_for

__all__ = ["OUTAGE_REPLIES", "FailOpenPipeline", "FailOpenRedis"]

OUTAGE_REPLIES: dict[str, Any] = {"DEL": 0, "UNLINK": 0, "EXISTS": 0, "TOUCH": 0}
"""What a command answers while Redis is down, when not ``None`` (as serpens 2.9.0 did).

Counting commands answer ``0`` ("nothing deleted", "does not exist"), so code such as
``if await client.exists(key)`` or ``removed = await client.delete(key)`` keeps its
types; every other command answers ``None`` (reads miss, writes do nothing).
"""


def _outage_reply(args: tuple[Any, ...]) -> Any:
    return OUTAGE_REPLIES.get(str(args[0]).upper()) if args else None


class FailOpenRedis(aioredis.Redis):
    """A drop-in ``redis.asyncio.Redis`` whose commands fail open.

    Every command (``get``, ``set``, ``delete``, ``incr``, ``hgetall``, ... all go through
    ``execute_command``) returns ``None`` instead of raising a ``RedisError``, as serpens
    2.9's ``redis_pool`` client did (``delete``, ``unlink``, ``exists`` and ``touch``
    return ``0``): when Redis is unreachable or times out, and when it refuses the
    command (``WRONGTYPE``, an ACL's ``NOPERM``), logging rate-limited warnings; a
    circuit breaker skips Redis for a short cool-down after repeated outages (a refused
    command does not count). ``NoScriptError`` still raises: redis-py's ``Script``
    loads its script on it. Pipelines answer the same per queued command when Redis is
    unreachable; a command error in a pipeline raises as in redis-py (the other commands
    ran, so replies standing for all of them would hide their effects; pass
    ``raise_on_error=False`` to get each error in its command's place).
    Pub/Sub and blocking commands are not covered: use a plain client for those. A
    cancelled command ends in ``CancelledError`` even where redis-py drops the cancel
    (see :mod:`serpens_redis._cancels`).
    """

    serpens_guard: FailOpen

    @classmethod
    def over(cls, pool: aioredis.ConnectionPool, guard: FailOpen | None = None) -> FailOpenRedis:
        """A client over *pool* (not closing it on ``aclose``) sharing *guard*."""
        client = cls(connection_pool=pool, retry=Retry(NoBackoff(), 0))
        client.serpens_guard = guard or guard_for(client)
        return client

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Run one command; its outage reply (``None``, or ``0``) on a Redis error."""
        guard = self.serpens_guard
        if not guard.allow():
            return _outage_reply(args)
        try:
            result = await keeping_cancels(super().execute_command, *args, **options)
        except redis.exceptions.NoScriptError:
            raise  # redis-py's Script answers it by loading the script
        except FAIL_OPEN as exc:
            guard.failed(str(args[0]) if args else "command", exc)
            return _outage_reply(args)
        guard.succeeded()
        return result

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> FailOpenPipeline:
        """A pipeline whose ``execute`` fails open as well."""
        pipe = FailOpenPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )
        pipe.serpens_guard = self.serpens_guard
        return pipe


class FailOpenPipeline(Pipeline):
    """Pipeline of :class:`FailOpenRedis`: ``execute`` answers per command on outage.

    Each queued command gets what :class:`FailOpenRedis` would answer: ``None``, or
    ``0`` for the counting commands of :data:`OUTAGE_REPLIES`.
    """

    serpens_guard: FailOpen

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Send the queued commands; the outage replies when Redis is unreachable."""
        replies = [_outage_reply(args) for args, _ in self.command_stack]
        if not self.serpens_guard.allow():
            await self.reset()  # type: ignore[no-untyped-call]
            return replies
        try:
            result = await keeping_cancels(super().execute, raise_on_error)
        except OUTAGE as exc:
            self.serpens_guard.failed("pipeline", exc)
            await self.reset()  # type: ignore[no-untyped-call]
            return replies
        self.serpens_guard.succeeded()
        return result
