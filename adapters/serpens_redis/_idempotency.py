"""``RedisIdempotencyStore``: the :class:`serpens.ports.IdempotencyStore` port in Redis.

Each record is a hash under ``"<prefix>#<key>"`` (fields ``f`` fingerprint, ``t`` token,
``d`` done, ``u`` until in microseconds, ``r`` result) that expires with its lease or
TTL. Every call is one Lua script, so a decision and its write are atomic, timed by the
server's ``TIME``: client clocks do not matter. The decisions are those of
:mod:`serpens._rules.idempotency`, written in Lua.
"""

from __future__ import annotations

from typing import Any

from redis import asyncio as aioredis

from serpens._rules.idempotency import (
    check_claim,
    check_claim_args,
    check_result,
    check_seconds,
    in_progress,
    key_reused,
    lease_lost,
    read_result,
)
from serpens._rules.text import has_utf8
from serpens.errors import FieldError, ValidationError
from serpens.ports import Claim, JSONValue, Replay
from serpens_redis._errors import translate_errors
from serpens_redis._pool import PoolSettings, async_pool, plain_async_client

__all__ = ["RedisIdempotencyStore"]

# Lua numbers are doubles: microseconds since the epoch (about 2^51) are exact, but
# tostring() keeps 14 digits, so every number written or returned goes through %.0f.
_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
"""
_HELD = """
local rec = redis.call('HMGET', KEYS[1], 't', 'd', 'u')
local held = rec[1] == ARGV[1] and rec[2] == '0' and now < tonumber(rec[3])
"""

# KEYS[1]: the record. ARGV: fingerprint, lease (ms).
# Returns {'claimed', token} | {'replay', result} | {'busy', µs left} | {'reused'}.
_CLAIM = (
    _NOW
    + """
local rec = redis.call('HMGET', KEYS[1], 'f', 't', 'd', 'u', 'r')
if rec[2] and now < tonumber(rec[4]) then
  if rec[1] ~= ARGV[1] then return {'reused'} end
  if rec[3] == '0' then return {'busy', string.format('%.0f', tonumber(rec[4]) - now)} end
  return {'replay', rec[5]}
end
local token = now
if rec[2] and tonumber(rec[2]) >= token then token = tonumber(rec[2]) + 1 end
local lease = tonumber(ARGV[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'f', ARGV[1], 't', string.format('%.0f', token), 'd', '0',
  'u', string.format('%.0f', now + lease * 1000))
redis.call('PEXPIRE', KEYS[1], lease)
return {'claimed', string.format('%.0f', token)}
"""
)

# KEYS[1]: the record. ARGV: token, TTL (ms), result. Returns 1 if stored, else 0.
_COMPLETE = (
    _NOW
    + _HELD
    + """
if not held then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'd', '1', 'u', string.format('%.0f', now + ttl * 1000), 'r', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"""
)

# KEYS[1]: the record. ARGV: token. Returns 1 if released, else 0. The hash stays until
# its lease would have ended, so the next claim's token is above the released one's.
_RELEASE = (
    _NOW
    + _HELD
    + """
if not held then return 0 end
redis.call('HSET', KEYS[1], 'u', '0')
return 1
"""
)


def _check_prefix(prefix: object) -> str:
    """Return *prefix* if it is a non-empty str without ``#`` that has a UTF-8 form.

    Raises:
        ValidationError: it is not; ``#`` ends the prefix in a record's name.
    """
    if isinstance(prefix, str) and prefix and "#" not in prefix and has_utf8(prefix):
        return prefix
    raise ValidationError(
        "invalid idempotency store prefix",
        [FieldError("prefix", f"must be a non-empty str without '#', got {prefix!r}")],
    )


class RedisIdempotencyStore:
    """An :class:`~serpens.ports.IdempotencyStore` kept in Redis under ``"<prefix>#<key>"``.

    The prefix holds no ``#``, so a record's name splits into prefix and key one way only
    and stores with other prefixes never meet, however they nest: with ``:`` as the
    separator, key ``"sub:x"`` under prefix ``"p"`` was key ``"x"`` under ``"p:sub"``.
    (The DynamoDB store names its items ``"<namespace>#<key>"`` by the same rule.)

    Strict: an unreachable Redis raises :class:`~serpens.errors.BackendUnavailableError`
    or :class:`~serpens.errors.BackendTimeoutError` (never fail-open: a missed record
    would run a call twice). Each call is one round trip, bounded by the client's
    socket timeout.

    Args:
        client: a ``redis.asyncio.Redis`` (bytes responses); see :meth:`from_url`.
        prefix: namespace of every key, 1 or more characters without ``#`` (default
            ``"serpens:idempotency"``): stores with another prefix never meet.
        owns_client: close the client and its pool in :meth:`aclose`.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "serpens:idempotency",
        owns_client: bool = False,
    ) -> None:
        self.client = client
        self.prefix = _check_prefix(prefix)
        self._owns = owns_client
        self._claim = client.register_script(_CLAIM)
        self._complete = client.register_script(_COMPLETE)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = "serpens:idempotency", pool: PoolSettings | None = None
    ) -> RedisIdempotencyStore:
        """Build a store over a new bounded pool for *url*; :meth:`aclose` closes it."""
        client = plain_async_client(async_pool(url, pool or PoolSettings()))
        return cls(client, prefix=prefix, owns_client=True)

    def __repr__(self) -> str:
        return f"RedisIdempotencyStore(prefix={self.prefix!r})"

    async def aclose(self) -> None:
        """Close the client and disconnect its pool if this store built them (:meth:`from_url`)."""
        if self._owns:
            await self.client.aclose()
            await self.client.connection_pool.aclose()

    async def _run(self, script: Any, key: str, *args: str | int) -> Any:
        with translate_errors(context=f"idempotency key {key!r}"):
            return await script(keys=[f"{self.prefix}#{key}"], args=list(args))

    async def claim(self, key: str, *, lease: float, fingerprint: str = "") -> Claim | Replay:
        """See :meth:`serpens.ports.IdempotencyStore.claim`."""
        lease_ms = check_claim_args(key, fingerprint, lease)
        answer = await self._run(self._claim, key, fingerprint, lease_ms)
        kind = answer[0].decode() if isinstance(answer[0], bytes) else answer[0]
        if kind == "claimed":
            return Claim(key, int(answer[1]), lease_ms / 1000)
        if kind == "replay":
            return Replay(key, read_result(answer[1]))
        if kind == "busy":
            raise in_progress(key, int(answer[1]))
        raise key_reused(key)

    async def complete(self, claim: Claim, result: JSONValue, *, ttl: float) -> None:
        """See :meth:`serpens.ports.IdempotencyStore.complete`."""
        check_claim(claim)
        ttl_ms = check_seconds(ttl, "ttl")
        text = check_result(result, claim.key)
        if not await self._run(self._complete, claim.key, str(claim.token), ttl_ms, text):
            raise lease_lost(claim.key)

    async def release(self, claim: Claim) -> bool:
        """See :meth:`serpens.ports.IdempotencyStore.release`."""
        check_claim(claim)
        return bool(await self._run(self._release, claim.key, str(claim.token)))
