"""``FailOpenRedis``: a ``redis.asyncio.Redis`` that answers ``None`` while Redis is down."""

from __future__ import annotations

from typing import Any

from redis import asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from serpens_redis._errors import OUTAGE
from serpens_redis._failopen import FailOpen, guard_for

__all__ = ["FailOpenPipeline", "FailOpenRedis"]


class FailOpenRedis(aioredis.Redis):
    """A drop-in ``redis.asyncio.Redis`` whose commands fail open.

    Every command (``get``, ``set``, ``delete``, ``incr``, ``hgetall``, ... all go through
    ``execute_command``) returns ``None`` instead of raising when Redis is unreachable
    or times out, logging rate-limited warnings; a circuit breaker skips Redis for a
    short cool-down after repeated failures. Pipelines return ``None`` per queued
    command. Programming errors (``ResponseError`` such as ``WRONGTYPE``) still raise.
    Pub/Sub and blocking commands are not covered: use a plain client for those.
    """

    serpens_guard: FailOpen

    @classmethod
    def over(cls, pool: aioredis.ConnectionPool, guard: FailOpen | None = None) -> FailOpenRedis:
        """A client over *pool* (not closing it on ``aclose``) sharing *guard*."""
        client = cls(connection_pool=pool, retry=Retry(NoBackoff(), 0))
        client.serpens_guard = guard or guard_for(client)
        return client

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Run one command; ``None`` when Redis is unreachable."""
        guard = self.serpens_guard
        if not guard.allow():
            return None
        try:
            result = await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except OUTAGE as exc:
            guard.failed(str(args[0]) if args else "command", exc)
            return None
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
    """Pipeline of :class:`FailOpenRedis`: ``execute`` answers ``None`` per command on outage."""

    serpens_guard: FailOpen

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Send the queued commands; ``[None, ...]`` when Redis is unreachable."""
        count = len(self.command_stack)
        if not self.serpens_guard.allow():
            await self.reset()  # type: ignore[no-untyped-call]
            return [None] * count
        try:
            result = await super().execute(raise_on_error)
        except OUTAGE as exc:
            self.serpens_guard.failed("pipeline", exc)
            await self.reset()  # type: ignore[no-untyped-call]
            return [None] * count
        self.serpens_guard.succeeded()
        return result
