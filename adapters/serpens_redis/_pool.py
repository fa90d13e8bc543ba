"""Bounded connection pools, plain clients and fast command executors, in both flavours."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import redis
from redis import asyncio as aioredis
from redis.backoff import NoBackoff

from serpens import _apm, _tracing
from serpens._watchdog import watchdog
from serpens.errors import ConfigurationError, mask_url
from serpens_redis._cancels import cancels_asked, keeping_cancels, raise_dropped_cancel

__all__ = [
    "PoolSettings",
    "async_executor",
    "async_pool",
    "describe",
    "plain_async_client",
    "plain_sync_client",
    "sync_executor",
    "sync_pool",
]

_NULL = nullcontext()


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """Connection pool options.

    The pool is bounded: at most ``max_connections`` connections, and a caller that
    finds them all busy waits up to ``pool_timeout`` seconds for one instead of
    failing at once (then it is a connection error: fail-open serves a miss). Short
    socket timeouts keep an unreachable server from stalling callers; commands are not
    retried, since a cache miss is cheaper than a retry.
    """

    max_connections: int = 50
    pool_timeout: float = 2.0
    socket_timeout: float = 0.5
    connect_timeout: float = 0.5
    options: Mapping[str, Any] = field(default_factory=dict)
    """Further redis-py connection options (``health_check_interval``, ``ssl_ca_certs``,
    ``client_name``, ``socket_timeout``...); they win over the fields above, and options in
    the URL's query win over them, as with ``redis.Redis.from_url(url, **options)``."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.options) - _connection_options())
        if unknown:
            raise ConfigurationError(f"unknown Redis connection options: {', '.join(unknown)}")

    def connection_kwargs(self, retry_class: Callable[..., Any]) -> dict[str, Any]:
        """Keyword arguments for the pool's connections."""
        return {
            "max_connections": self.max_connections,
            "timeout": self.pool_timeout,
            "socket_timeout": self.socket_timeout,
            "socket_connect_timeout": self.connect_timeout,
            "retry": retry_class(NoBackoff(), 0),
            "retry_on_timeout": False,
            **self.options,
        }


@functools.cache
def _connection_options() -> frozenset[str]:
    """The keyword options redis-py's connection classes take (TCP, TLS and Unix socket)."""
    from redis.asyncio import connection  # noqa: PLC0415 - keeps module import light

    names = set()
    kinds = (
        connection.AbstractConnection,
        connection.Connection,
        connection.SSLConnection,
        connection.UnixDomainSocketConnection,
    )
    for kind in kinds:
        for name, parameter in inspect.signature(kind.__init__).parameters.items():
            if parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD):
                names.add(name)
    names.discard("self")
    return frozenset(names)


class _AsyncBoundedPool(aioredis.BlockingConnectionPool):
    """``BlockingConnectionPool`` that takes the plain pool's path when nobody waits.

    The blocking pool enters an ``asyncio.Condition``, starts a timeout and takes a
    connection under a context manager on every call: some 15 % of a local ``GET``,
    the whole difference from a default ``redis.asyncio.Redis``. While a connection can
    be had at once and no caller waits, that machinery decides nothing: such a call
    takes the plain ``ConnectionPool`` path (one uncontended ``asyncio.Lock``), and a
    release wakes a waiter only when there is one. When the pool is exhausted, a caller
    waits (bounded by ``timeout``) first come, first served, exactly as before.
    """

    def _nobody_waits(self) -> bool:
        waiters = getattr(self._condition, "_waiters", None)  # asyncio.Condition's deque
        return waiters is not None and not waiters

    def _lock_free(self) -> bool:
        """Whether the pool's lock is taken at once: nobody holds it or queues for it.

        A release closing a connection (one marked for reconnect) holds it across an
        ``await``. A caller queued behind it could find the free connection taken by the
        caller before it, and the plain pool raises ``MaxConnectionsError`` where the
        blocking pool waits.
        """
        return not self._lock.locked() and not getattr(self._lock, "_waiters", None)

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        """A connection: at once when one is free and nobody waits, else as the pool does."""
        if (
            not args
            and not kwargs
            and not getattr(self, "_in_maintenance", True)
            and self._nobody_waits()
            and self._lock_free()
            and self.can_get_connection()
        ):
            # no await between the check and the take: the bound holds
            return await aioredis.ConnectionPool.get_connection(self)  # type: ignore[no-untyped-call]
        return await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]

    async def release(self, connection: Any) -> None:
        """Give *connection* back; wake one waiter if any waits."""
        await aioredis.ConnectionPool.release(self, connection)
        if not self._nobody_waits():
            async with self._condition:
                self._condition.notify()


def async_pool(url: str, settings: PoolSettings) -> aioredis.BlockingConnectionPool:
    """A bounded, waiting ``redis.asyncio`` pool for *url*.

    A ``BlockingConnectionPool`` whose uncontended calls cost what the default
    ``ConnectionPool``'s do (see :class:`_AsyncBoundedPool`).

    Raises:
        ConfigurationError: *url* is not a Redis URL (the message masks its password).
    """
    from redis.asyncio.retry import Retry  # noqa: PLC0415 - keeps module import light

    with _url_errors(url):
        return _AsyncBoundedPool.from_url(url, **settings.connection_kwargs(Retry))


def plain_async_client(pool: aioredis.ConnectionPool) -> aioredis.Redis:
    """A ``redis.asyncio.Redis`` over *pool* without client-level retries."""
    from redis.asyncio.retry import Retry  # noqa: PLC0415 - keeps module import light

    return aioredis.Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0))


def plain_sync_client(pool: redis.ConnectionPool) -> redis.Redis:
    """A ``redis.Redis`` over *pool* without client-level retries."""
    from redis.retry import Retry  # noqa: PLC0415 - keeps module import light

    return redis.Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0))


def sync_pool(url: str, settings: PoolSettings) -> redis.BlockingConnectionPool:
    """A bounded, waiting ``redis`` pool for *url*.

    Raises:
        ConfigurationError: *url* is not a Redis URL (the message masks its password).
    """
    from redis.retry import Retry  # noqa: PLC0415 - keeps module import light

    with _url_errors(url):
        return redis.BlockingConnectionPool.from_url(url, **settings.connection_kwargs(Retry))


@contextmanager
def _url_errors(url: str) -> Iterator[None]:
    """redis-py's ``ValueError`` for a malformed URL, as a configuration error."""
    try:
        yield
    except ValueError as exc:
        raise ConfigurationError(
            f"not a valid Redis URL: {mask_url(url)!r} ({mask_url(str(exc))})"
        ) from exc


def describe(client: redis.Redis | aioredis.Redis) -> str:
    """``host:port/db`` of *client*, for logs (never a password)."""
    kwargs = client.connection_pool.connection_kwargs
    where = kwargs.get("path") or f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
    return mask_url(f"redis://{where}/{kwargs.get('db', 0)}")


def async_executor(client: aioredis.Redis) -> Callable[..., Awaitable[Any]]:
    """A function running one command on *client* and returning the raw reply.

    For a plain pooled client it borrows a connection, sends, reads and gives the
    connection back: ``execute_command`` minus the layers a cache call does not use
    (retries, which serpens turns off, per-command observability hooks, reply
    callbacks), which is most of redis-py's per-call cost. The connection itself still
    handles timeouts and disconnects on a socket error or a cancelled read, exactly as
    under ``execute_command``. Other clients (single-connection, cluster, subclasses)
    go through their own ``execute_command``.

    A cancel that redis-py drops (see :mod:`serpens_redis._cancels`) still ends the call
    with ``CancelledError``; one dropped by the write ends it before the read, closing
    the connection, whose reply nobody reads.

    Commands keep the spans instrumentations record around ``execute_command``: an
    OpenTelemetry ``CLIENT`` span and elastic-apm's ``db``/``redis`` span (see
    :class:`_Spans`). Without opentelemetry and elasticapm installed the function is
    the bare one.
    """
    if type(client) is not aioredis.Redis or client.single_connection_client:
        return functools.partial(keeping_cancels, client.execute_command)
    pool = client.connection_pool

    async def execute(*args: Any) -> Any:
        task, asked = cancels_asked()
        conn = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            await conn.send_command(*args)
            if task is not None and task.cancelling() > asked:  # dropped by the write
                await conn.disconnect(nowait=True)  # the reply is never read
                raise asyncio.CancelledError
            reply = await conn.read_response()
        finally:
            await pool.release(conn)
        raise_dropped_cancel(task, asked)
        return reply

    spans = _Spans.of(pool.connection_kwargs, sync=False)
    if spans is None:
        return execute

    async def traced(*args: Any) -> Any:
        command = str(args[0])
        with spans.otel(command), spans.apm(command):
            return await execute(*args)

    return traced


class _Spans:
    """The spans of one pool's commands: OpenTelemetry's and elastic-apm's, each when on.

    The fast path skips ``execute_command``, which instrumentations wrap, so it records
    what they would: an OpenTelemetry ``CLIENT`` span (semantic-convention attributes)
    and the elastic-apm ``db``/``redis`` span. Whether each package is installed is
    decided once, here; whether a span is recorded (an SDK provider, an active
    transaction) once per command. Spans name the command, never a key or a value.
    """

    __slots__ = ("_address", "_apm", "_attributes", "_otel", "_port", "_sync")

    def __init__(self, kwargs: dict[str, Any], *, sync: bool, otel: bool, apm: bool) -> None:
        self._otel, self._apm = otel, apm
        self._sync: bool | None = None if sync else False  # as elastic-apm marks its spans
        self._attributes: dict[str, Any] = {"db.system": "redis", "db.system.name": "redis"}
        path = kwargs.get("path")
        if path:
            self._attributes["server.address"] = str(path)
            self._address, self._port = f"unix://{path}", None
        else:
            host, port = str(kwargs.get("host", "localhost")), int(kwargs.get("port", 6379))
            self._attributes["server.address"], self._attributes["server.port"] = host, port
            self._address, self._port = host, port
        self._attributes["db.namespace"] = str(kwargs.get("db", 0))

    @classmethod
    def of(cls, kwargs: dict[str, Any], *, sync: bool) -> _Spans | None:
        """The spans of a pool with connection *kwargs*; ``None`` when no tracer is installed."""
        otel, apm = _tracing.enabled(), _apm.installed()
        if not (otel or apm):
            return None
        return cls(kwargs, sync=sync, otel=otel, apm=apm)

    def otel(self, command: str) -> AbstractContextManager[Any]:
        """The OpenTelemetry span of *command*, or a no-op without an SDK provider."""
        if not self._otel or not _tracing.recording():
            return _NULL
        attributes = {**self._attributes, "db.operation.name": command, "db.operation": command}
        return _tracing.span(command, _tracing.CLIENT, attributes)

    def apm(self, command: str) -> AbstractContextManager[Any]:
        """The elastic-apm span of *command*, or a no-op without an active transaction."""
        if not self._apm:
            return _NULL
        return _apm.redis_span(command, self._address, self._port, sync=self._sync)


def sync_executor(client: redis.Redis) -> Callable[..., Any]:
    """Sync twin of :func:`async_executor`.

    redis-py's sync connections bound each socket read, its asyncio ones the whole
    reply; here each command of a plain pooled client must end within the connection's
    ``socket_timeout`` as a whole (the process's :mod:`serpens._watchdog` shuts a late
    command's socket down and the command raises ``redis.TimeoutError``), so a
    trickling server cannot hold it longer. A command that opens a connection first
    waits for its handshake, each reply of which must arrive whole within
    ``socket_timeout`` too: the executor bounds the handshakes of the connections the
    client's pool opens from then on (see :func:`_bound_handshakes`). A client of another
    kind keeps its own timeouts.
    """
    if type(client) is not redis.Redis or client.connection is not None:
        return client.execute_command
    pool = client.connection_pool
    _bound_handshakes(pool)

    def execute(*args: Any) -> Any:
        conn = pool.get_connection()  # a new connection's handshake: see _bound_handshakes
        try:
            return _within_deadline(conn, conn.send_command, conn.read_response, *args)
        finally:
            pool.release(conn)

    spans = _Spans.of(pool.connection_kwargs, sync=True)
    if spans is None:
        return execute

    def traced(*args: Any) -> Any:
        command = str(args[0])
        with spans.otel(command), spans.apm(command):
            return execute(*args)

    return traced


def _within_deadline(
    conn: Any, send: Callable[..., Any] | None, read: Callable[..., Any], *args: Any
) -> Any:
    """``send(*args)`` (when given), then ``read()``, ending by ``conn.socket_timeout`` as a whole.

    The watchdog shuts the socket down at the deadline; a read that fails because of it
    raises ``redis.TimeoutError``. Disarmed on every way out.
    """
    limit = conn.socket_timeout
    sock: Any = conn._sock  # noqa: SLF001 - connected by get_connection() / connect()
    armed = watchdog.arm(sock, limit) if limit and sock is not None else None
    try:
        if send is not None:
            send(*args)
        reply = read()
    except BaseException as exc:
        cut = armed is not None and watchdog.disarm(armed)  # disarm first, always
        if cut and isinstance(exc, redis.ConnectionError | OSError):
            raise redis.TimeoutError(f"no whole reply within {limit:g} s") from exc
        raise
    if armed is not None:
        watchdog.disarm(armed)
    return reply


def _bound_handshakes(pool: redis.ConnectionPool) -> None:
    """Make the handshake of each connection *pool* opens from now on end by its deadlines.

    A new connection's first command waits for the handshake first (``HELLO``, then
    ``CLIENT SETINFO``/``SELECT``...), whose replies redis-py bounds read by read: a
    trickling link held a sync cache's first command 16 s past a 0.5 s
    ``socket_timeout``. Each handshake reply must now arrive whole within
    ``socket_timeout``, as under redis-py's asyncio client, else the command raises
    ``redis.TimeoutError``. A ``redis_connect_func`` of the pool's own runs, bounded so.
    """
    kwargs = pool.connection_kwargs
    own = kwargs.get("redis_connect_func")
    if isinstance(own, functools.partial) and own.func is _bounded_handshake:
        return  # bounded already (another executor over the same pool)
    kwargs["redis_connect_func"] = functools.partial(_bounded_handshake, own)


def _bounded_handshake(own: Callable[[Any], Any] | None, conn: Any) -> None:
    """Run *conn*'s handshake (*own*, else ``on_connect``), each reply within the deadline."""
    read = conn.read_response

    def bounded_read(*args: Any, **kwargs: Any) -> Any:
        return _within_deadline(conn, None, functools.partial(read, *args, **kwargs))

    conn.read_response = bounded_read  # shadows the class's method for the handshake only
    try:
        if own is None:
            conn.on_connect()
        else:
            own(conn)
    finally:
        del conn.read_response
