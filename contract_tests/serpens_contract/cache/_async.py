"""``AsyncCacheContract``: the suite every :class:`~serpens.ports.AsyncCache` must pass.

The example tests run through :class:`AsyncCacheView` on the suite's event loop; the
tests of concurrent ``get_or_set`` calls (one fill per key, surviving cancellation) are
native and live here.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, ClassVar

import pytest

from serpens.ports import AsyncCache, Cache, JSONValue
from serpens_contract._cancels import cancels_not_honoured
from serpens_contract._suite import ContractSuite
from serpens_contract.cache._capabilities import CacheCapabilities
from serpens_contract.cache._support import (
    AsyncCacheView,
    CacheMaker,
    OpenedCaches,
    _dispose,
    _namespace,
)
from serpens_contract.cache._tests import _CacheTests
from serpens_contract.capabilities import requires
from serpens_contract.outage import CacheOutageCases

AsyncCacheMaker = Callable[[str], AsyncCache]


class AsyncCacheContract(_CacheTests, CacheOutageCases, ContractSuite):
    """Every :class:`~serpens.ports.AsyncCache` must pass these tests.

    Override ``open_async_cache`` to return a callable ``namespace -> AsyncCache``; it
    is called while the suite's event loop runs, so loop-bound clients may be created
    there. The example tests run through :class:`AsyncCacheView`; the concurrency tests
    are native.
    """

    contract = "cache"
    capabilities: ClassVar[CacheCapabilities] = CacheCapabilities()

    @pytest.fixture
    def open_async_cache(self) -> AsyncCacheMaker:
        pytest.fail("override `open_async_cache`: return a callable namespace -> AsyncCache")

    @pytest.fixture
    def runner(self) -> Iterator[asyncio.Runner]:
        with asyncio.Runner() as runner:
            yield runner

    @pytest.fixture
    def make_cache(
        self, open_async_cache: AsyncCacheMaker, runner: asyncio.Runner
    ) -> Iterator[OpenedCaches]:
        async def create(namespace: str) -> AsyncCache:
            return open_async_cache(namespace)

        opened = OpenedCaches(
            lambda namespace: AsyncCacheView(runner.run(create(namespace)), runner)
        )
        yield opened
        opened.dispose_all()

    @pytest.fixture
    def open_async_cache_with_default_ttl(
        self,
    ) -> Callable[[str, float], AsyncCache] | None:
        """Override to test default-TTL expiry: ``(namespace, default_ttl) -> AsyncCache``."""
        return None

    @pytest.fixture
    def make_default_ttl_cache(
        self,
        open_async_cache_with_default_ttl: Callable[[str, float], AsyncCache] | None,
        runner: asyncio.Runner,
    ) -> Iterator[Callable[[str, float], Cache] | None]:
        opener = open_async_cache_with_default_ttl
        if opener is None:
            yield None
            return
        opened: list[AsyncCacheView] = []

        async def create(namespace: str, default_ttl: float) -> AsyncCache:
            return opener(namespace, default_ttl)

        def make(namespace: str, default_ttl: float) -> Cache:
            view = AsyncCacheView(runner.run(create(namespace, default_ttl)), runner)
            opened.append(view)
            return view

        yield make
        for view in opened:
            _dispose(view)

    @pytest.fixture
    def open_unreachable_async_cache(self) -> AsyncCacheMaker:
        """Override when ``outage`` is declared: a cache whose backend cannot be reached."""
        pytest.fail("override `open_unreachable_async_cache`: the suite declares an outage mode")

    @pytest.fixture
    def make_unreachable_cache(
        self, open_unreachable_async_cache: AsyncCacheMaker, runner: asyncio.Runner
    ) -> Iterator[CacheMaker]:
        opened: list[AsyncCacheView] = []

        async def create(namespace: str) -> AsyncCache:
            return open_unreachable_async_cache(namespace)

        def make(namespace: str) -> Cache:
            opened.append(view := AsyncCacheView(runner.run(create(namespace)), runner))
            return view

        yield make
        for view in opened:
            view.close()

    def test_concurrent_misses_call_the_factory_once(self, cache: AsyncCacheView) -> None:
        """Concurrent misses on one key call *factory* once."""
        calls: list[int] = []

        async def factory() -> JSONValue:
            calls.append(1)
            await asyncio.sleep(0.05)
            return "value"

        async def scenario() -> list[JSONValue]:
            return await asyncio.gather(
                *(cache.target.get_or_set("k", factory, ttl=60) for _ in range(20))
            )

        assert cache.runner.run(scenario()) == ["value"] * 20
        assert len(calls) == 1

    def test_concurrent_misses_on_different_keys_fill_each_key(self, cache: AsyncCacheView) -> None:
        """The single flight is per key: concurrent misses on other keys get their own fill."""
        calls: list[str] = []

        def factory(key: str) -> Callable[[], Awaitable[JSONValue]]:
            async def produce() -> JSONValue:
                calls.append(key)
                await asyncio.sleep(0.05)
                return f"value of {key}"

            return produce

        async def scenario() -> list[JSONValue]:
            keys = ["a", "b", "a", "c"]
            return await asyncio.gather(
                *(cache.target.get_or_set(key, factory(key), ttl=60) for key in keys)
            )

        assert cache.runner.run(scenario()) == [
            "value of a",
            "value of b",
            "value of a",
            "value of c",
        ]
        assert sorted(calls) == ["a", "b", "c"]
        assert [cache.get(key) for key in "abc"] == ["value of a", "value of b", "value of c"]

    def test_every_caller_gets_the_fill_even_if_the_key_is_deleted_at_once(
        self, cache: AsyncCacheView
    ) -> None:
        """Each caller of a shared fill gets its value, not a later read of the key.

        Another task deletes the key as the fill ends, before the waiting callers resume.
        """
        deletes: list[asyncio.Task[bool]] = []

        async def factory() -> JSONValue:
            await asyncio.sleep(0.05)
            deletes.append(asyncio.create_task(cache.target.delete("k")))
            return "value"

        async def scenario() -> list[JSONValue]:
            got = await asyncio.gather(
                *(cache.target.get_or_set("k", factory, ttl=60) for _ in range(5))
            )
            await asyncio.gather(*deletes)
            return got

        assert cache.runner.run(scenario()) == ["value"] * 5

    @requires("fails_open")
    def test_an_unreachable_backend_fills_each_key_with_its_own_factory(
        self, make_unreachable_cache: CacheMaker
    ) -> None:
        """Fail-open: concurrent misses on different keys still get their own factory's value."""
        view = make_unreachable_cache(_namespace())
        assert isinstance(view, AsyncCacheView)
        target = view.target

        def factory(key: str) -> Callable[[], Awaitable[JSONValue]]:
            async def produce() -> JSONValue:
                await asyncio.sleep(0.05)
                return f"value of {key}"

            return produce

        async def scenario() -> list[JSONValue]:
            return await asyncio.gather(
                *(target.get_or_set(key, factory(key), ttl=60) for key in "abc")
            )

        assert view.runner.run(scenario()) == ["value of a", "value of b", "value of c"]

    def test_a_fill_failing_after_its_callers_left_reports_nothing_to_the_loop(
        self, cache: AsyncCacheView
    ) -> None:
        """A fill whose every caller was cancelled may still fail: nobody is left to tell.

        The cache retrieves the failure itself, so the event loop's exception handler
        never hears "Task exception was never retrieved" when the fill is collected,
        and nothing is stored.
        """
        release = asyncio.Event()

        async def factory() -> JSONValue:
            await release.wait()
            raise RuntimeError("the fill failed")

        async def scenario() -> tuple[list[dict[str, Any]], bool]:
            loop = asyncio.get_running_loop()
            reports: list[dict[str, Any]] = []
            previous = loop.get_exception_handler()
            loop.set_exception_handler(lambda _loop, context: reports.append(context))
            try:
                async with asyncio.timeout(10):  # a fill that never ends fails, not hangs
                    caller = asyncio.create_task(cache.target.get_or_set("k", factory, ttl=60))
                    await asyncio.sleep(0.01)
                    caller.cancel()
                    await asyncio.wait({caller}, timeout=2)  # the caller leaves at once
                    left = caller.cancelled()
                    release.set()  # then the fill fails (it ends even if the caller stayed)
                    await asyncio.wait({caller}, timeout=5)
                    with pytest.raises((asyncio.CancelledError, RuntimeError)):
                        caller.result()  # read: the task lets go of its frames, and the fill
                    for _ in range(5):  # the fill resumes, fails and is let go of
                        await asyncio.sleep(0.01)
                    gc.collect()
                    await asyncio.sleep(0)
            finally:
                loop.set_exception_handler(previous)
            return reports, left

        assert cache.runner.run(scenario()) == ([], True)
        assert cache.get("k") is None

    def test_a_cancelled_call_ends_cancelled_wherever_the_cancel_lands(
        self, cache: AsyncCacheView
    ) -> None:
        """A ``cancel()`` that finds a call running ends it with ``CancelledError``.

        Each call is cancelled after 0, 1, 2, ... turns of the event loop, so the cancel
        lands at every ``await`` the call makes (taking a connection, writing, reading,
        waiting for a fill). A call may finish before its cancel, but one that a cancel
        found running never returns: Python 3.11's ``asyncio.wait_for`` drops a cancel
        that arrives as the write it waits for completes, and a caller going on past its
        ``asyncio.timeout`` is a call blocking past its deadline.
        """

        async def factory() -> JSONValue:
            await asyncio.sleep(0)
            return "filled"

        target = cache.target
        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "get": lambda: target.get("k"),
            "set": lambda: target.set("k", "value", ttl=60),
            "delete": lambda: target.delete("k"),
            "get_or_set": lambda: target.get_or_set("k", factory, ttl=60),
        }

        async def miss() -> None:
            await target.delete("k")  # get_or_set misses and fills every time

        for name, call in calls.items():
            assert cache.runner.run(cancels_not_honoured(call, before=miss)) == [], name
        # a fill outlives its cancelled callers: this call joins the last one, or fills
        assert cache.runner.run(target.get_or_set("k", factory, ttl=60)) == "filled"

    def test_a_task_handling_its_own_cancel_can_still_use_the_cache(
        self, cache: AsyncCacheView
    ) -> None:
        """Calls a cancelled task makes while it cleans up answer as they would otherwise.

        A task often tidies up before it ends (``except CancelledError: await
        cache.delete(key); raise``), and meanwhile counts the cancel it handles
        (``Task.cancelling()`` is 1). Only a cancel asked while a call runs ends that
        call: a backend that raised again for the one being handled fails every cleanup.
        """
        target = cache.target

        async def factory() -> JSONValue:
            return "filled"

        async def scenario() -> list[Any]:
            started = asyncio.Event()
            replies: list[Any] = []

            async def worker() -> None:
                started.set()
                try:
                    await asyncio.sleep(10)
                except asyncio.CancelledError:
                    await target.set("k", "value", ttl=60)
                    replies.append(await target.get("k"))
                    replies.append(await target.delete("k"))
                    replies.append(await target.get_or_set("k", factory, ttl=60))
                    raise

            task = asyncio.create_task(worker())
            await started.wait()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            assert task.cancelled()  # the cleanup re-raised its cancel
            return replies

        assert cache.runner.run(scenario()) == ["value", True, "filled"]

    def test_cancelling_the_first_caller_does_not_cancel_the_fill(
        self, cache: AsyncCacheView
    ) -> None:
        """The single flight survives the cancellation of the caller that started it."""
        calls: list[int] = []
        started = asyncio.Event()

        async def factory() -> JSONValue:
            calls.append(1)
            started.set()
            await asyncio.sleep(0.05)
            return "value"

        async def scenario() -> JSONValue:
            first = asyncio.create_task(cache.target.get_or_set("k", factory, ttl=60))
            await started.wait()
            second = asyncio.create_task(cache.target.get_or_set("k", factory, ttl=60))
            await asyncio.sleep(0.01)
            first.cancel()
            result = await second
            with pytest.raises(asyncio.CancelledError):
                await first
            return result

        assert cache.runner.run(scenario()) == "value"
        assert len(calls) == 1
        assert cache.get("k") == "value"
