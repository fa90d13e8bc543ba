"""The sync cache's ``get_or_set`` beyond a plain miss: waits, locks, faults, options.

A caller that misses and finds the fill lock taken (here by "another process": a lock
key set straight in Redis, which never ends unless the test says so) waits for the
holder's value: it polls the entry (5 ms, doubling up to 50 ms between polls), serves
the value as soon as it appears, and after five lock TTLs of a holder that keeps its
lock but never stores, calls its own factory and stores the result. A fill leaves
nothing behind but its entry: the lock goes once the fill is over, whether the
factory's result was stored, not cacheable (``None``), or already there when the lock
was won. A Redis that freezes while a caller waits, or once it holds the lock, costs it
one socket timeout, as on a first read. A hit is one round trip; the in-process single
flight is per key; ``cache_none`` (the adapter's own option) stores ``null``.

The contract cells' factories return at once, no cell holds a lock from outside or
freezes Redis between two commands, and the sync contract has no concurrent case, so
only these tests show those; found by mutating ``serpens_redis/_cache.py``.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

import pytest
import redis

from serpens.errors import BackendUnavailableError, SerializationError
from serpens.ports import JSONValue
from serpens.testing import FaultProxy, RedisServer, start_redis
from serpens_redis import PoolSettings, RedisCache

pytestmark = pytest.mark.redis

DEADLINE = 10.0  # generous bound on anything that should end well before it
OTHER = b"another process"  # the token of a lock held from outside the test's cache
LOCK_TTL = 0.1  # a waiter gives up on a never-ending holder after five: 0.5 s
STORE_AT = 0.65  # the holder's value lands once the waiter polls every 50 ms
PROMPT = 0.25  # a poll every 50 ms serves the value well within this
PATIENT = PoolSettings(connect_timeout=5.0, socket_timeout=5.0)
LATE = 300  # milliseconds each answer takes through the proxy, where one does
FROZEN_TIMEOUT = 0.5  # the socket timeout of a cache whose answers come LATE
TIMEOUT = 0.3  # the socket timeout of a cache that meets a frozen Redis: its whole budget


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    own = redis.Redis.from_url(redis_url)
    yield own
    own.close()


@pytest.fixture
def prefix(client: redis.Redis) -> Iterator[str]:
    """A fresh namespace, emptied after the test (its entries and any lock left)."""
    name = f"cache-fill-{uuid.uuid4().hex}"
    yield name
    for key in client.scan_iter(match=f"{name}:*"):
        client.delete(key)


def _lock(cache: RedisCache, key: str) -> str:
    return f"{cache.key(key)}\x00lock"


def _keys(client: redis.Redis, prefix: str) -> list[bytes]:
    """Every key Redis holds under *prefix* (entries and fill locks alike)."""
    return sorted(client.scan_iter(match=f"{prefix}:*"))


class _Call:
    """``cache.get_or_set(key, factory, ...)`` on a daemon thread, and when it returned.

    A daemon thread, so that a waiter that never returns fails the test at its join
    deadline instead of holding the test process open.
    """

    def __init__(
        self,
        cache: RedisCache,
        factory: Callable[[], JSONValue],
        *,
        cache_none: bool = False,
        key: str = "k",
    ) -> None:
        self.results: list[JSONValue] = []
        self.errors: list[Exception] = []
        self.returned_at = 0.0

        def run() -> None:
            try:
                self.results.append(cache.get_or_set(key, factory, ttl=60, cache_none=cache_none))
            except Exception as exc:  # raised again by result()
                self.errors.append(exc)
            finally:
                self.returned_at = time.monotonic()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def cpu_seconds(self) -> float:
        """CPU time the calling thread has used so far."""
        assert self.thread.ident is not None
        return time.clock_gettime(time.pthread_getcpuclockid(self.thread.ident))

    def result(self) -> JSONValue:
        """What ``get_or_set`` returned (or raise what it raised)."""
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive(), f"get_or_set did not return within {DEADLINE} s"
        if self.errors:
            raise self.errors[0]
        (value,) = self.results
        return value


@pytest.mark.parametrize(
    ("value", "stored"), [("mine", b'"mine"'), (None, b"null")], ids=["value", "cached None"]
)
def test_a_waiter_stops_waiting_for_a_holder_that_never_stores(
    client: redis.Redis, redis_url: str, prefix: str, value: JSONValue, stored: bytes
) -> None:
    """Five lock TTLs after its miss the waiter calls its own factory, and stores the result.

    The holder keeps its lock (a renewing process whose factory hangs): the waiter's
    value is cached with the waiter's TTL, and the holder's lock is left alone.
    """
    cache = RedisCache.from_url(redis_url, prefix=prefix, lock_ttl=LOCK_TTL)
    lock = _lock(cache, "k")
    client.set(lock, OTHER, px=60_000)
    calls: list[int] = []

    def factory() -> JSONValue:
        calls.append(1)
        return value

    try:
        began = time.monotonic()
        call = _Call(cache, factory, cache_none=True)
        assert call.result() == value
        assert call.returned_at - began >= 5 * LOCK_TTL  # it did wait for the holder
    finally:
        cache.close()
    assert calls == [1]
    assert client.get(cache.key("k")) == stored
    assert 59_000 < client.pttl(cache.key("k")) <= 60_000
    assert client.get(lock) == OTHER


class _Entry(NamedTuple):
    """What another fill stores, and what a caller waiting for it then returns."""

    decode_responses: bool  # the waiter's client
    stored: bytes
    cache_none: bool  # the waiter's
    expected: JSONValue


@pytest.mark.parametrize(
    "entry",
    [
        _Entry(decode_responses=False, stored=b'"theirs"', cache_none=False, expected="theirs"),
        _Entry(decode_responses=True, stored=b'"theirs"', cache_none=False, expected="theirs"),
        _Entry(decode_responses=False, stored=b"null", cache_none=True, expected=None),
    ],
    ids=["bytes", "str", "cached None"],
)
def test_a_waiter_serves_the_holders_value_at_its_next_poll(
    client: redis.Redis, redis_url: str, prefix: str, entry: _Entry
) -> None:
    """The value is served within a poll of being stored, while the lock is still held.

    The waiter neither waits for the lock to go nor calls its factory, and it sleeps
    between polls (no busy loop on Redis); the same with a client decoding its answers,
    and for a stored ``null`` when the caller caches ``None``.
    """
    own = redis.Redis.from_url(redis_url, decode_responses=entry.decode_responses)
    cache = RedisCache(own, prefix=prefix)  # a 2 s lock: it would wait up to 10 s
    lock = _lock(cache, "k")
    client.set(lock, OTHER, px=60_000)
    calls: list[int] = []

    def factory() -> JSONValue:
        calls.append(1)
        return "mine"

    try:
        call = _Call(cache, factory, cache_none=entry.cache_none)
        time.sleep(STORE_AT / 2)
        cpu = call.cpu_seconds()
        time.sleep(STORE_AT / 2)
        spent = call.cpu_seconds() - cpu
        client.set(cache.key("k"), entry.stored, px=60_000)
        stored_at = time.monotonic()
        assert call.result() == entry.expected
        assert call.returned_at - stored_at < PROMPT
    finally:
        own.close()
    assert calls == []
    assert client.get(lock) == OTHER
    assert spent < 0.05, f"the waiting thread used {spent:.3f} s of CPU in {STORE_AT / 2} s"


def test_a_fill_whose_factory_returns_none_leaves_nothing(client: redis.Redis, prefix: str) -> None:
    """No entry (``None`` is not cached by default) and no lock: the next miss fills at once."""
    cache = RedisCache(client, prefix=prefix)
    try:
        assert cache.get_or_set("k", lambda: None, ttl=60) is None
        assert _keys(client, prefix) == []
    finally:
        cache.close()


def _unreachable_url() -> str:
    """A Redis URL nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.parametrize("reachable", [True, False], ids=["reachable", "unreachable"])
def test_a_slow_fill_holds_up_no_miss_of_another_key(
    redis_url: str, prefix: str, reachable: bool
) -> None:
    """The in-process single flight is per key, also while Redis is unreachable (fail-open).

    While one thread's factory for ``slow`` runs, a miss of ``fast`` in another thread
    fills and returns its own value at once.
    """
    cache = RedisCache.from_url(redis_url if reachable else _unreachable_url(), prefix=prefix)
    started, release = threading.Event(), threading.Event()
    results: dict[str, JSONValue] = {}

    def slow() -> JSONValue:
        started.set()
        release.wait(DEADLINE)
        return "slow value"

    def fill(key: str, factory: Callable[[], JSONValue]) -> threading.Thread:
        def run() -> None:
            results[key] = cache.get_or_set(key, factory, ttl=60)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    try:
        held = fill("slow", slow)
        assert started.wait(DEADLINE)
        fast = fill("fast", lambda: "fast value")
        fast.join(2.0)
        assert not fast.is_alive(), "the miss of another key waited for the slow fill"
        assert results == {"fast": "fast value"}
    finally:
        release.set()
        held.join(DEADLINE)
        cache.close()
    assert results == {"fast": "fast value", "slow": "slow value"}


def test_cache_none_stores_a_none_result_as_a_hit(client: redis.Redis, prefix: str) -> None:
    """The adapter's own option (the port has none): a miss still calls the factory.

    Its ``None`` is stored as JSON ``null`` with the call's TTL, so the next call with
    ``cache_none`` is a hit; a call without it reads the ``null`` as a miss.
    """
    cache = RedisCache(client, prefix=prefix)
    calls: list[str] = []

    def factory(value: JSONValue) -> Callable[[], JSONValue]:
        def call() -> JSONValue:
            calls.append(str(value))
            return value

        return call

    assert cache.get_or_set("k", factory(None), ttl=60, cache_none=True) is None
    assert client.get(cache.key("k")) == b"null"
    assert 59_000 < client.pttl(cache.key("k")) <= 60_000
    assert cache.get_or_set("k", factory("again"), ttl=60, cache_none=True) is None
    assert cache.get_or_set("k", factory("filled"), ttl=60) == "filled"
    assert calls == ["None", "filled"]


@pytest.fixture
def late_answers(redis_server: RedisServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(redis_server.host, redis_server.port)) as proxy:
        yield proxy


@pytest.mark.parametrize(
    "entry",
    [
        _Entry(decode_responses=False, stored=b'"other"', cache_none=False, expected="other"),
        _Entry(decode_responses=False, stored=b"null", cache_none=True, expected=None),
    ],
    ids=["value", "cached None"],
)
def test_a_lock_won_after_another_fill_serves_its_value_and_is_released(
    late_answers: FaultProxy, client: redis.Redis, redis_url: str, prefix: str, entry: _Entry
) -> None:
    """The caller that wins the lock and finds the other fill's value lets the lock go.

    Its answers come back 300 ms late (its requests reach Redis at once): its miss is
    read at 0 s, its lock taken at 0.3 s, the other fill lands at 0.45 s, and its read
    under the lock at 0.6 s finds it (a ``null`` too, for a caller caching ``None``).
    Nothing but that entry is left in Redis.
    """
    cache = RedisCache.from_url(late_answers.url_for(redis_url), prefix=prefix, pool=PATIENT)
    calls: list[int] = []

    def factory() -> JSONValue:
        calls.append(1)
        return "computed again"

    try:
        cache.get("warm")  # the connection is open before the answers slow down
        with late_answers.latency(LATE, direction="downstream"):
            call = _Call(cache, factory, cache_none=entry.cache_none)
            time.sleep(0.45)
            client.set(cache.key("k"), entry.stored, px=60_000)
            assert call.result() == entry.expected
    finally:
        cache.close()
    assert calls == []
    assert _keys(client, prefix) == [cache.key("k").encode()]


@pytest.fixture(scope="module")
def pausable() -> Iterator[RedisServer]:
    """A redis-server of this module's own, so that ``CLIENT PAUSE`` stalls no other test."""
    try:
        server = start_redis("local")
    except BackendUnavailableError:
        server = start_redis("embedded")
    with server:
        yield server


@pytest.mark.parametrize("paused", ["WRITE", "ALL"])
def test_a_redis_frozen_while_a_waiter_polls_costs_it_one_timeout(
    pausable: RedisServer, prefix: str, paused: str
) -> None:
    """The waiter calls its factory after one timed-out command and stores nothing.

    ``WRITE``: its next ``SET NX`` for the lock stalls; ``ALL``: its next poll of the
    entry (a poll is due after each sleep between attempts). Either way a second command
    (say, storing the factory's value) would cost a second timeout.
    """
    admin = redis.Redis.from_url(pausable.url)
    cache = RedisCache.from_url(
        pausable.url, prefix=prefix, pool=PoolSettings(socket_timeout=TIMEOUT)
    )
    admin.set(_lock(cache, "k"), OTHER, px=60_000)
    calls: list[int] = []

    def factory() -> JSONValue:
        calls.append(1)
        return "mine"

    try:
        call = _Call(cache, factory)
        time.sleep(STORE_AT / 2)  # polling every 50 ms by now
        admin.client_pause(1000, all=paused == "ALL")
        paused_at = time.monotonic()
        assert call.result() == "mine"
        elapsed = call.returned_at - paused_at
        admin.ping()  # answered once the pause is over
        assert calls == [1]
        assert admin.get(cache.key("k")) is None
    finally:
        for key in admin.scan_iter(match=f"{prefix}:*"):
            admin.delete(key)
        admin.close()
        cache.close()
    assert elapsed < TIMEOUT * 1.5, f"{elapsed:.2f} s for a {TIMEOUT} s budget"


@pytest.mark.parametrize("paused", ["WRITE", "ALL"])
def test_a_value_that_is_not_json_names_its_key_when_redis_freezes_during_the_wait(
    pausable: RedisServer, prefix: str, paused: str
) -> None:
    """The factory runs after the timed-out command; its refused value's error names the key."""
    admin = redis.Redis.from_url(pausable.url)
    cache = RedisCache.from_url(
        pausable.url, prefix=prefix, pool=PoolSettings(socket_timeout=TIMEOUT)
    )
    admin.set(_lock(cache, "orders-7"), OTHER, px=60_000)
    try:
        call = _Call(cache, lambda: {"at": {1, 2}}, key="orders-7")  # type: ignore[dict-item]
        time.sleep(STORE_AT / 2)  # polling every 50 ms by now
        admin.client_pause(1000, all=paused == "ALL")
        with pytest.raises(SerializationError, match="orders-7"):
            call.result()
        admin.ping()  # answered once the pause is over
    finally:
        for key in admin.scan_iter(match=f"{prefix}:*"):
            admin.delete(key)
        admin.close()
        cache.close()


def test_a_hit_is_one_round_trip(
    late_answers: FaultProxy, client: redis.Redis, redis_url: str, prefix: str
) -> None:
    """A stored value is served from the first read: no fill lock, no second command."""
    cache = RedisCache.from_url(late_answers.url_for(redis_url), prefix=prefix, pool=PATIENT)
    client.set(cache.key("k"), b'"stored"', px=60_000)
    try:
        cache.get("warm")  # the connection is open before the answers slow down
        with late_answers.latency(LATE, direction="downstream"):
            began = time.monotonic()
            assert cache.get_or_set("k", lambda: "computed", ttl=60) == "stored"
            elapsed = time.monotonic() - began
    finally:
        cache.close()
    assert elapsed < 2 * LATE / 1000, f"{elapsed:.2f} s: more than one {LATE} ms answer"


@pytest.fixture
def late_answers_of_pausable(pausable: RedisServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(pausable.host, pausable.port)) as proxy:
        yield proxy


@contextmanager
def _frozen_after_the_lock(
    server: RedisServer,
    proxy: FaultProxy,
    prefix: str,
    paused: str,
    call: Callable[[RedisCache], _Call],
) -> Iterator[tuple[_Call, float]]:
    """Start *call* with answers 300 ms late and freeze Redis (*paused*) at 0.45 s.

    Yields the call and when it started; the block ends once the pause is over.
    """
    admin = redis.Redis.from_url(server.url)
    cache = RedisCache.from_url(
        proxy.url_for(server.url),
        prefix=prefix,
        lock_ttl=10.0,  # no renewal while the test runs
        pool=PoolSettings(socket_timeout=FROZEN_TIMEOUT, connect_timeout=5.0),
    )
    try:
        cache.get("warm")  # the connection is open before the answers slow down
        with proxy.latency(LATE, direction="downstream"):
            started = call(cache)
            began = time.monotonic()
            time.sleep(1.5 * LATE / 1000)
            admin.client_pause(2000, all=paused == "ALL")
            yield started, began
        admin.ping()  # answered once the pause is over
    finally:
        for key in admin.scan_iter(match=f"{prefix}:*"):
            admin.delete(key)
        admin.close()
        cache.close()


@pytest.mark.parametrize("paused", ["ALL", "WRITE"])
def test_a_redis_frozen_after_the_lock_is_taken_costs_one_timeout(
    pausable: RedisServer, late_answers_of_pausable: FaultProxy, prefix: str, paused: str
) -> None:
    """A fill whose Redis freezes once it holds the lock stops at the first timed-out command.

    Answers come back 300 ms late, so the miss is read at 0 s and the lock taken at
    0.3 s; Redis freezes at 0.45 s. ``ALL``: the read under the lock (sent at 0.6 s)
    times out; ``WRITE``: that read answers and storing the value (sent at 0.9 s) times
    out. Either way the caller gets its factory's value one timeout later, and sends
    nothing more (storing again, or releasing the lock, would cost another).
    """
    sent = {"ALL": 2, "WRITE": 3}[paused] * LATE / 1000  # when the stalled command is sent
    with _frozen_after_the_lock(
        pausable,
        late_answers_of_pausable,
        prefix,
        paused,
        lambda cache: _Call(cache, lambda: "mine"),
    ) as (call, began):
        assert call.result() == "mine"
    elapsed = call.returned_at - began
    budget = sent + 1.5 * FROZEN_TIMEOUT
    assert elapsed < budget, f"{elapsed:.2f} s, more than one timeout after {sent:.1f} s"


def test_a_value_that_is_not_json_names_its_key_when_redis_freezes_under_the_lock(
    pausable: RedisServer, late_answers_of_pausable: FaultProxy, prefix: str
) -> None:
    """The read under the lock times out; the factory's refused value's error names the key."""

    def refused(cache: RedisCache) -> _Call:
        return _Call(cache, lambda: {"at": {1, 2}}, key="orders-7")  # type: ignore[dict-item]

    with (
        _frozen_after_the_lock(pausable, late_answers_of_pausable, prefix, "ALL", refused) as (
            call,
            _,
        ),
        pytest.raises(SerializationError, match="orders-7"),
    ):
        call.result()


def _evals(client: redis.Redis) -> int:
    """How many ``EVAL`` commands the server has run (renewals and releases)."""
    return int(client.info("commandstats").get("cmdstat_eval", {}).get("calls", 0))


def test_a_holder_whose_lock_was_taken_over_stops_renewing_it(
    pausable: RedisServer, prefix: str
) -> None:
    """Once a renewal finds another token in the lock, the holder sends no more renewals."""
    admin = redis.Redis.from_url(pausable.url)
    cache = RedisCache.from_url(pausable.url, prefix=prefix, lock_ttl=0.3)  # renewed every 0.1 s
    started, release = threading.Event(), threading.Event()

    def slow() -> JSONValue:
        started.set()
        release.wait(DEADLINE)
        return "value"

    try:
        call = _Call(cache, slow)
        assert started.wait(DEADLINE)
        admin.set(_lock(cache, "k"), OTHER, px=60_000)  # taken over, say after a long pause
        time.sleep(0.25)  # the next renewal finds it
        before = _evals(admin)
        time.sleep(0.5)  # five renewal intervals
        renewals = _evals(admin) - before
        release.set()
        assert call.result() == "value"
    finally:
        release.set()
        for key in admin.scan_iter(match=f"{prefix}:*"):
            admin.delete(key)
        admin.close()
        cache.close()
    assert renewals == 0
