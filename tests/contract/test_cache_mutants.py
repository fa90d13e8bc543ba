"""Mutant caches: the Cache suite must fail when behaviour drifts.

Each mutant is the in-memory fake, or the Redis adapter, with one deliberate bug. All
mutants of a kind run in one pytester sandbox, and for each the tests that pin the
broken behaviour must fail (including the differential test, which compares with the
genuine fake). The adapter mutants run on the harness's Redis and, for outages, on a
port nothing listens on.
"""

import sys

import pytest

SUITE = """
import asyncio
import pytest
from serpens.fakes import AsyncInMemoryCache, InMemoryCache
from serpens_contract import AsyncCacheContract, CacheCapabilities, CacheContract

INJECTED = CacheCapabilities(clock="injected", ttl_resolution=0.0)


class TtlOffByOne(InMemoryCache):
    # visible at exactly set_time + ttl (">" instead of ">=")
    def get(self, key):
        entry = self._entries.get(key)
        if entry is not None and self._clock() == entry[1]:
            return __import__("json").loads(entry[0])
        return super().get(key)


class DeleteAlwaysTrue(InMemoryCache):
    def delete(self, key):
        super().delete(key)
        return True


class KeepsTuples(InMemoryCache):
    # stores Python objects instead of JSON: "more capable" than Redis
    def set(self, key, value, *, ttl=None):
        super().set(key, value, ttl=ttl)
        self._raw = getattr(self, "_raw", {})
        self._raw[key] = value

    def get(self, key):
        value = super().get(key)
        return self.__dict__.get("_raw", {}).get(key, value) if value is not None else None


class CachesNone(InMemoryCache):
    def get_or_set(self, key, factory, *, ttl=None):
        if key in self._entries:
            return self.get(key)
        value = factory()
        self._entries[key] = ("null", self._clock() + (ttl or 300))
        if value is not None:
            self.set(key, value, ttl=ttl)
        return value


class ClearsEverything(InMemoryCache):
    shared = {}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._entries = ClearsEverything.shared


class NoSingleFlight(AsyncInMemoryCache):
    async def get_or_set(self, key, factory, *, ttl=None):
        hit = await self.get(key)
        if hit is not None:
            return hit
        value = await factory()
        if value is not None:
            await self.set(key, value, ttl=ttl)
        return value


def _suite(mutant):
    class Suite(CacheContract):
        capabilities = INJECTED

        @pytest.fixture
        def open_cache(self, clock):
            return lambda namespace: mutant(clock=clock)

    return Suite


TestTtlOffByOne = _suite(TtlOffByOne)
TestDeleteAlwaysTrue = _suite(DeleteAlwaysTrue)
TestKeepsTuples = _suite(KeepsTuples)
TestCachesNone = _suite(CachesNone)
TestClearsEverything = _suite(ClearsEverything)


class TestNoSingleFlight(AsyncCacheContract):
    capabilities = INJECTED

    @pytest.fixture
    def open_async_cache(self, clock):
        return lambda namespace: NoSingleFlight(clock=clock)
"""

MUST_FAIL = {
    "TestTtlOffByOne": {"test_an_entry_is_visible_strictly_before_its_ttl"},
    "TestDeleteAlwaysTrue": {
        "test_delete_reports_whether_a_live_entry_was_removed",
        "test_differential_against_fake",
    },
    "TestKeepsTuples": {"test_tuples_come_back_as_lists", "test_differential_against_fake"},
    "TestCachesNone": {"test_get_or_set_does_not_store_none"},
    "TestClearsEverything": {"test_clear_removes_only_this_namespace"},
    "TestNoSingleFlight": {
        "test_concurrent_misses_call_the_factory_once",
        "test_cancelling_the_first_caller_does_not_cancel_the_fill",
    },
}


@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_every_mutant(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_mutants=SUITE)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-q", "-k", "not (TtlOffByOne and differential)"
    )  # fmt: skip
    failed: dict[str, set[str]] = {}
    for report in result.reprec.getreports("pytest_runtest_logreport"):  # type: ignore[attr-defined]
        if report.failed:
            _, cls, test = report.nodeid.split("::")
            failed.setdefault(cls, set()).add(test.split("[")[0])
    for mutant, tests in MUST_FAIL.items():
        missed = tests - failed.get(mutant, set())
        assert not missed, f"{mutant} slipped through {sorted(missed)}"


ADAPTER_SUITE = """
import asyncio
import os
import socket

import pytest
import redis
from serpens_contract import AsyncCacheContract, CacheCapabilities, CacheContract
from serpens_redis import AsyncRedisCache, RedisCache

URL = os.environ["MUTANT_REDIS_URL"]


def _unreachable_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{probe.getsockname()[1]}/0"


class DeleteNotFailOpen(RedisCache):
    # DEL sent on the raw client: an outage raises instead of answering False
    def delete(self, key):
        return bool(self.client.delete(self.key(key)))


class GetOrSetDefaultTtl(RedisCache):
    # the filled entry is stored with the default TTL, not the one given
    def get_or_set(self, key, factory, *, ttl=None, cache_none=False):
        return super().get_or_set(key, factory, ttl=None, cache_none=cache_none)


class ClearsByRawPattern(RedisCache):
    # SCAN MATCH on the prefix as given: "a*" clears every namespace starting with "a"
    def clear(self):
        for name in self.client.scan_iter(match=f"{self.prefix}:*"):
            self.client.unlink(name)


class StoredNullIsAHit(RedisCache):
    # a stored JSON null answers get_or_set instead of counting as a miss
    def get_or_set(self, key, factory, *, ttl=None, cache_none=False):
        if self.client.get(self.key(key)) == b"null":
            return None
        return super().get_or_set(key, factory, ttl=ttl, cache_none=cache_none)


class OneFlightForAllKeys(AsyncRedisCache):
    # the single flight ignores the key: concurrent misses on other keys share one fill
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        run = self._flight.run
        self._flight.run = lambda key, fill: run("every key", fill)


class KeepsNoDroppedCancel(AsyncRedisCache):
    # commands through redis-py's own execute_command, which on Python 3.11 drops a
    # cancel meeting the end of its write (asyncio.wait_for): the cancelled caller goes on
    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self._execute = client.execute_command


class RaisesTheCancelBeingHandled(AsyncRedisCache):
    # a dropped cancel counted from zero, not from the cancels asked before the command:
    # a task cleaning up after its own cancel cannot reach Redis
    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        execute = self._execute

        async def counted_from_zero(*args):
            reply = await execute(*args)
            if asyncio.current_task().cancelling():
                raise asyncio.CancelledError
            return reply

        self._execute = counted_from_zero


def _open(mutant, url):
    return lambda namespace: mutant.from_url(url, prefix=f"mutant:{namespace}", fail_open=True)


def _suite(mutant, base=CacheContract):
    sync = base is CacheContract
    reachable = "open_cache" if sync else "open_async_cache"
    unreachable = "open_unreachable_cache" if sync else "open_unreachable_async_cache"

    class Suite(base):
        capabilities = CacheCapabilities(clock="real", ttl_resolution=0.001, outage="fail_open")

    # set under the base's own fixture names, so that they override them
    setattr(Suite, reachable, pytest.fixture(lambda self: _open(mutant, URL)))
    setattr(Suite, unreachable, pytest.fixture(lambda self: _open(mutant, _unreachable_url())))
    return Suite


TestGenuine = _suite(RedisCache)
TestDeleteNotFailOpen = _suite(DeleteNotFailOpen)
TestGetOrSetDefaultTtl = _suite(GetOrSetDefaultTtl)
TestClearsByRawPattern = _suite(ClearsByRawPattern)
TestStoredNullIsAHit = _suite(StoredNullIsAHit)
TestGenuineAsync = _suite(AsyncRedisCache, AsyncCacheContract)
TestOneFlightForAllKeys = _suite(OneFlightForAllKeys, AsyncCacheContract)
TestKeepsNoDroppedCancel = _suite(KeepsNoDroppedCancel, AsyncCacheContract)
TestRaisesTheCancelBeingHandled = _suite(RaisesTheCancelBeingHandled, AsyncCacheContract)
"""

ADAPTER_MUST_FAIL = {
    "TestDeleteNotFailOpen": {"test_an_unreachable_backend_reads_as_misses_and_never_raises"},
    "TestGetOrSetDefaultTtl": {"test_get_or_set_stores_with_the_ttl_it_is_given"},
    "TestClearsByRawPattern": {"test_clear_reads_pattern_characters_in_the_namespace_literally"},
    "TestStoredNullIsAHit": {"test_get_or_set_over_a_stored_null_calls_the_factory"},
    "TestOneFlightForAllKeys": {
        "test_concurrent_misses_on_different_keys_fill_each_key",
        "test_an_unreachable_backend_fills_each_key_with_its_own_factory",
    },
    "TestRaisesTheCancelBeingHandled": {
        "test_a_task_handling_its_own_cancel_can_still_use_the_cache"
    },
}
if sys.version_info < (3, 12):  # Python 3.12's wait_for keeps every cancel
    ADAPTER_MUST_FAIL["TestKeepsNoDroppedCancel"] = {
        "test_a_cancelled_call_ends_cancelled_wherever_the_cancel_lands"
    }


@pytest.mark.redis
@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_every_adapter_mutant(
    pytester: pytest.Pytester, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUTANT_REDIS_URL", redis_url)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_adapter_mutants=ADAPTER_SUITE)
    # only the tests some mutant must fail: the genuine classes pass the same ones
    wanted = " or ".join(sorted({test for tests in ADAPTER_MUST_FAIL.values() for test in tests}))
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-k", wanted)
    failed: dict[str, set[str]] = {}
    passed: set[str] = set()
    for report in result.reprec.getreports("pytest_runtest_logreport"):  # type: ignore[attr-defined]
        _, cls, test = report.nodeid.split("::")
        if report.failed:
            failed.setdefault(cls, set()).add(test.split("[")[0])
        elif report.passed and report.when == "call":
            passed.add(cls)
    for genuine in ("TestGenuine", "TestGenuineAsync"):  # the suite is sound
        assert genuine in passed, f"{genuine} ran nothing"
        assert genuine not in failed, failed.get(genuine)
    for mutant, tests in ADAPTER_MUST_FAIL.items():
        missed = tests - failed.get(mutant, set())
        assert not missed, f"{mutant} slipped through {sorted(missed)}"
