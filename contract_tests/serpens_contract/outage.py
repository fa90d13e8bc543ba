"""Outage cases of the contract suites: each port's outage promise, tested for real.

Every port's docstring says what happens when its backend is down: strict
implementations raise :class:`~serpens.errors.BackendUnavailableError` (the backend
refuses or resets the connection) or :class:`~serpens.errors.BackendTimeoutError` (it
accepts and never answers), and they do it within their configured timeout; fail-open
caches miss on read, do nothing on write and never raise. Once the backend is back, the
same implementation object works again. The mixins here (``CacheOutageCases``,
``QueueOutageCases``, ``ParametersOutageCases``, ...) turn those sentences into tests,
and each port's suite inherits its mixin.

A cell wires them with two class-level declarations:

- ``outage_capabilities = OutageCapabilities(mode=..., kinds=..., deadline=...)``:
  strict or fail-open, which faults its hook can inject, and the timeout it configured;
  the capability report prints it on the cell's row.
- an ``outage`` fixture returning a hook ``kind -> context manager``: inside the
  ``with`` block the backend behind every implementation the test opened is down in that
  way (``"refused"``, ``"frozen"`` or ``"reset"``); leaving the block heals it. Adapter
  cells put a :class:`serpens.testing.FaultProxy` in front of their server, build the
  implementation on ``proxy.url_for(url)`` and return :func:`proxy_outage`; cells of
  fakes track what they open in a :class:`FakeOutages` and return its ``outage``.

A cell that declares no kinds (the default) gets every outage case as a reported skip.
Each call is made on a watched thread (or under ``asyncio.wait_for`` for async ports),
so an implementation that blocks past its deadline fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, TypeVar

import pytest

from serpens.errors import BackendError, BackendTimeoutError, BackendUnavailableError
from serpens_contract.capabilities import register_capability, requires

__all__ = [
    "ALL_KINDS",
    "OUTAGE_KINDS",
    "TRICKLE_BYTES",
    "TRICKLE_EVERY",
    "CacheOutageCases",
    "DocumentOutageCases",
    "FakeOutages",
    "HttpOutageCases",
    "OutageCapabilities",
    "OutageHook",
    "OutageKind",
    "ParametersOutageCases",
    "PublisherOutageCases",
    "QueueOutageCases",
    "RateLimitOutageCases",
    "SecretsOutageCases",
    "proxy_outage",
]

OutageKind = Literal["refused", "frozen", "reset", "trickled"]
"""``refused``: the port is closed; ``frozen``: connections are accepted and never answered;
``reset``: every open and new connection is reset (TCP RST); ``trickled``: answers arrive a
byte at a time, each read well within a read timeout, the whole far past any deadline
(the HTTP, cache and queue suites' case: a call must end by its deadline, not by a
per-read one)."""

OUTAGE_KINDS: tuple[OutageKind, ...] = ("refused", "frozen", "reset", "trickled")

TRICKLE_BYTES, TRICKLE_EVERY = 1, 0.05
"""A trickled backend forwards 1 byte every 50 ms: a 150-byte HTTP head takes 7.5 s."""

OutageHook = Callable[[OutageKind], AbstractContextManager[object]]
"""``kind -> context manager``: the backend is down in that way inside the ``with`` block."""


@dataclass(frozen=True)
class OutageCapabilities:
    """How an implementation meets an outage, and which outages its cell can inject.

    Attributes:
        mode: ``"strict"`` (calls raise ``BackendUnavailableError`` /
            ``BackendTimeoutError``) or ``"fail_open"`` (a cache: reads miss, writes do
            nothing, nothing raises).
        kinds: the faults the cell's ``outage`` hook injects; empty means no hook (every
            outage case is a reported skip). In-process implementations have no backend
            to take down.
        deadline: the implementation's configured timeout in seconds, as the cell set it
            (a socket or read timeout, a publish timeout, a request timeout).
        margin: seconds allowed past ``deadline`` for scheduling and the error's own
            bookkeeping.
        recovery: seconds within which calls succeed again after the backend is back
            (pools reconnecting, a fail-open breaker's cool-down).
    """

    mode: Literal["strict", "fail_open"] = "strict"
    kinds: frozenset[OutageKind] = frozenset()
    deadline: float = 1.0
    margin: float = 0.5
    recovery: float = 5.0

    @property
    def budget(self) -> float:
        """Seconds one call may take during an outage: ``deadline + margin``."""
        return self.deadline + self.margin

    def __str__(self) -> str:
        if not self.kinds:
            return f"{self.mode.replace('_', '-')}, no outage hook"
        kinds = ", ".join(kind for kind in OUTAGE_KINDS if kind in self.kinds)
        return (
            f"{self.mode.replace('_', '-')}; {kinds} within {self.deadline:g} s + {self.margin:g} s"
        )


ALL_KINDS: frozenset[OutageKind] = frozenset({"refused", "frozen", "reset"})
"""The connection faults every suite's outage cases inject. The HTTP, cache, queue,
document, parameter and secret suites also have a ``trickled`` case, which their cells
declare with ``ALL_KINDS | {"trickled"}``."""
_TIMING_OUT: frozenset[OutageKind] = frozenset({"frozen", "trickled"})


def _injects(kind: OutageKind) -> Callable[[OutageCapabilities | None], bool]:
    return lambda c: c is not None and kind in c.kinds


_CONTRACTS = (
    "cache",
    "queue",
    "publisher",
    "document",
    "http",
    "rate_limit",
    "parameters",
    "secrets",
)
for _contract in _CONTRACTS:
    register_capability(
        _contract,
        "strict_outage",
        lambda c: c is not None and c.mode == "strict",
        "outages raise BackendUnavailableError or BackendTimeoutError (not fail-open)",
        source="outage_capabilities",
    )
    register_capability(
        _contract,
        "fail_open",
        lambda c: c is not None and c.mode == "fail_open",
        "fail-open: reads miss, writes do nothing, nothing raises during an outage",
        source="outage_capabilities",
    )
    for _kind in OUTAGE_KINDS:
        register_capability(
            _contract,
            f"outage_{_kind}",
            _injects(_kind),
            f"the cell's `outage` hook injects a {_kind} backend",
            source="outage_capabilities",
        )


class _Switchable(Protocol):
    def start_outage(self, *, timeout: bool = False) -> None: ...

    def end_outage(self) -> None: ...


_F = TypeVar("_F", bound=_Switchable)


class FakeOutages:
    """The outage hook of a cell of fakes: every tracked fake is down at once.

    ``"frozen"`` and ``"trickled"`` map to ``outage(timeout=True)``
    (``BackendTimeoutError``), the other kinds to ``outage()``
    (``BackendUnavailableError``).
    """

    def __init__(self) -> None:
        self._fakes: list[_Switchable] = []

    def track(self, fake: _F) -> _F:
        """Remember *fake* (returned unchanged) so that :meth:`outage` reaches it."""
        self._fakes.append(fake)
        return fake

    @contextmanager
    def outage(self, kind: OutageKind) -> Iterator[None]:
        """Every tracked fake is in outage inside the block."""
        fakes = list(self._fakes)
        for fake in fakes:
            fake.start_outage(timeout=kind in _TIMING_OUT)
        try:
            yield
        finally:
            for fake in fakes:
                fake.end_outage()


class _FaultSwitch(Protocol):
    def refuse(self) -> AbstractContextManager[object]: ...

    def freeze(self) -> AbstractContextManager[object]: ...

    def reset(self) -> AbstractContextManager[object]: ...

    def trickle(
        self, nbytes: int, every: float, *, direction: Literal["both", "upstream", "downstream"]
    ) -> AbstractContextManager[object]: ...


def proxy_outage(proxy: _FaultSwitch) -> OutageHook:
    """The outage hook of an adapter cell built on a :class:`serpens.testing.FaultProxy`."""
    faults: dict[OutageKind, Callable[[], AbstractContextManager[object]]] = {
        "refused": proxy.refuse,
        "frozen": proxy.freeze,
        "reset": proxy.reset,
        "trickled": lambda: proxy.trickle(TRICKLE_BYTES, TRICKLE_EVERY, direction="downstream"),
    }
    return lambda kind: faults[kind]()


def _expected(kind: OutageKind) -> type[BackendError]:
    return BackendTimeoutError if kind in _TIMING_OUT else BackendUnavailableError


class _Probe:
    """Runs each call on a watched thread and checks how, and how fast, it ends."""

    def __init__(self, capabilities: OutageCapabilities, kind: OutageKind) -> None:
        self.capabilities = capabilities
        self.kind = kind
        self.blocked: list[threading.Thread] = []
        self.timings: dict[str, float] = {}

    def _run(self, label: str, call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = call()
            except BaseException as exc:  # noqa: BLE001 - reported by the test thread
                box["error"] = exc

        budget = self.capabilities.budget
        started = time.monotonic()
        worker = threading.Thread(target=target, name=f"outage-{label}", daemon=True)
        worker.start()
        worker.join(budget)
        elapsed = time.monotonic() - started
        if worker.is_alive():
            self.blocked.append(worker)
            pytest.fail(
                f"{label} during a {self.kind} outage still blocked after {elapsed:.2f} s "
                f"(deadline {self.capabilities.deadline:g} s + margin "
                f"{self.capabilities.margin:g} s)"
            )
        self.timings[label] = elapsed
        return box.get("value"), box.get("error")

    def raises(self, label: str, call: Callable[[], Any]) -> BaseException:
        """*call* must raise this kind's serpens error within the budget."""
        value, error = self._run(label, call)
        expected = _expected(self.kind)
        if error is None:
            pytest.fail(f"{label} during a {self.kind} outage returned {value!r}, not an error")
        if not isinstance(error, expected):
            raise AssertionError(  # noqa: TRY004 - a failed expectation, reported as such
                f"{label} during a {self.kind} outage raised {type(error).__name__}: "
                f"{error}; expected {expected.__name__}"
            ) from error
        return error

    def returns(self, label: str, call: Callable[[], Any]) -> Any:
        """*call* must return (never raise) within the budget; its value is returned."""
        value, error = self._run(label, call)
        if error is not None:
            raise AssertionError(
                f"{label} raised {type(error).__name__} during a {self.kind} outage on a "
                f"fail-open implementation: {error}"
            ) from error
        return value


@contextmanager
def _down(
    outage: OutageHook, kind: OutageKind, capabilities: OutageCapabilities
) -> Iterator[_Probe]:
    """The backend is down inside the block; calls that blocked are awaited after healing."""
    probe = _Probe(capabilities, kind)
    try:
        with outage(kind):
            yield probe
    finally:
        for worker in probe.blocked:  # healed now: a blocked call can finish
            worker.join(capabilities.budget + 10)


def _recovers(check: Callable[[], bool], capabilities: OutageCapabilities, what: str) -> None:
    """*check* must return True within ``recovery`` seconds after the backend is back."""
    deadline = time.monotonic() + capabilities.recovery
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except BackendError as exc:
            last = exc
        time.sleep(0.05)
    detail = f"; last error {type(last).__name__}: {last}" if last else ""
    pytest.fail(f"{what} did not recover within {capabilities.recovery:g} s{detail}")


async def _arecovers(
    check: Callable[[], Awaitable[bool]], capabilities: OutageCapabilities, what: str
) -> None:
    deadline = time.monotonic() + capabilities.recovery
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if await asyncio.wait_for(check(), capabilities.budget):
                return
        except BackendError as exc:
            last = exc
        await asyncio.sleep(0.05)
    detail = f"; last error {type(last).__name__}: {last}" if last else ""
    pytest.fail(f"{what} did not recover within {capabilities.recovery:g} s{detail}")


async def _araises(
    label: str, call: Awaitable[Any], kind: OutageKind, capabilities: OutageCapabilities
) -> float:
    """*call* must raise this kind's serpens error within the budget; the time it took."""
    started = time.monotonic()
    try:
        value = await asyncio.wait_for(call, capabilities.budget)
    except BackendError as exc:
        expected = _expected(kind)
        if not isinstance(exc, expected):
            raise AssertionError(  # noqa: TRY004 - a failed expectation, reported as such
                f"{label} during a {kind} outage raised {type(exc).__name__}: {exc}; "
                f"expected {expected.__name__}"
            ) from exc
        return time.monotonic() - started
    except TimeoutError:  # wait_for gave up: the call itself never ended
        pytest.fail(
            f"{label} during a {kind} outage still blocked after "
            f"{time.monotonic() - started:.2f} s (deadline {capabilities.deadline:g} s + "
            f"margin {capabilities.margin:g} s)"
        )
    pytest.fail(f"{label} during a {kind} outage returned {value!r}, not an error")


class _OutageCases:
    """What every outage mixin declares: the capabilities and the hook fixture."""

    outage_capabilities: ClassVar[OutageCapabilities] = OutageCapabilities()

    @pytest.fixture
    def outage(self) -> OutageHook:
        """``kind -> context manager`` taking the backend down; override it in the cell."""
        pytest.fail(
            "override `outage`: return a hook kind -> context manager "
            "(serpens_contract.outage.proxy_outage(proxy) or FakeOutages().outage)"
        )


def _ns() -> str:
    return f"o{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------- cache


class CacheOutageCases(_OutageCases):
    """Outage cases of ``CacheContract`` and ``AsyncCacheContract`` (fixture ``make_cache``)."""

    def _strict(
        self, make_cache: Callable[[str], Any], outage: OutageHook, kind: OutageKind
    ) -> None:
        capabilities = self.outage_capabilities
        cache = make_cache(_ns())
        cache.set("kept", "before")
        with _down(outage, kind, capabilities) as probe:
            probe.raises("get_or_set", lambda: cache.get_or_set("new", lambda: "made"))
            probe.raises("get", lambda: cache.get("kept"))
            probe.raises("clear", cache.clear)
            if kind != "frozen":  # frozen, each call waits its deadline: one of each path
                probe.raises("set", lambda: cache.set("new", 1))
                probe.raises("delete", lambda: cache.delete("kept"))
        self._recovered(cache, kind)

    def _fail_open(
        self, make_cache: Callable[[str], Any], outage: OutageHook, kind: OutageKind
    ) -> None:
        capabilities = self.outage_capabilities
        cache = make_cache(_ns())
        cache.set("kept", "before")
        with _down(outage, kind, capabilities) as probe:
            # get_or_set first, on a fresh connection and a closed breaker: its worst case
            made = probe.returns("get_or_set", lambda: cache.get_or_set("new", lambda: "made"))
            assert made == "made"
            assert probe.returns("get", lambda: cache.get("kept")) is None
            assert probe.returns("set", lambda: cache.set("new", 1)) is None
            assert probe.returns("delete", lambda: cache.delete("kept")) is False
            assert probe.returns("clear", cache.clear) is None
        self._recovered(cache, kind)

    def _recovered(self, cache: Any, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        if kind != "frozen":  # a frozen write may still land once the backend thaws
            _recovers(lambda: cache.get("kept") == "before", capabilities, "get of a kept entry")

        def write_then_read() -> bool:
            cache.set("after", 2)
            return bool(cache.get("after") == 2)

        _recovers(write_then_read, capabilities, "set then get")

    def _case(self, make_cache: Callable[[str], Any], outage: OutageHook, kind: OutageKind) -> None:
        if self.outage_capabilities.mode == "fail_open":
            self._fail_open(make_cache, outage, kind)
        else:
            self._strict(make_cache, outage, kind)

    @requires("outage_refused")
    def test_a_refused_backend_raises_unavailable_or_misses_in_time(
        self, make_cache: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """Strict: every call raises BackendUnavailableError within its deadline.

        Fail-open: reads miss, writes do nothing, nothing raises, in time. Both recover.
        """
        self._case(make_cache, outage, "refused")

    @requires("outage_frozen")
    def test_a_frozen_backend_raises_timeout_or_misses_in_time(
        self, make_cache: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """Strict: every call raises BackendTimeoutError within its deadline.

        Fail-open: reads miss, writes do nothing, nothing raises, in time. Both recover.
        """
        self._case(make_cache, outage, "frozen")

    @requires("outage_reset")
    def test_a_reset_backend_raises_unavailable_or_misses_in_time(
        self, make_cache: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """Strict: every call raises BackendUnavailableError within its deadline.

        Fail-open: reads miss, writes do nothing, nothing raises, in time. Both recover.
        """
        self._case(make_cache, outage, "reset")

    @requires("outage_trickled")
    def test_a_trickling_backend_ends_a_read_by_its_deadline(
        self, make_cache: Callable[[str], Any], outage: OutageHook
    ) -> None:
        """A large entry trickled back a byte at a time: ``get`` ends within its deadline.

        Strict: it raises BackendTimeoutError; fail-open: it misses. Each read gets data
        well within a read timeout, so only a deadline on the whole call ends it. The
        entry reads whole again once the backend is back.
        """
        capabilities = self.outage_capabilities
        cache = make_cache(_ns())
        big = "x" * 2000  # 100 s at one byte every 50 ms
        cache.set("big", big)
        with _down(outage, "trickled", capabilities) as probe:
            if capabilities.mode == "fail_open":
                assert probe.returns("get", lambda: cache.get("big")) is None
            else:
                probe.raises("get", lambda: cache.get("big"))
        _recovers(lambda: cache.get("big") == big, capabilities, "get of the large entry")


# --------------------------------------------------------------------------- queue


class QueueOutageCases(_OutageCases):
    """Outage cases of ``QueueContract`` / ``AsyncQueueContract`` (fixture ``open_queue``)."""

    def _strict(self, open_queue: Callable[..., Any], outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        queue = open_queue(_ns(), fifo=False)
        queue.send("before")
        (held,) = queue.receive(max_messages=1, visibility_timeout=30)
        with _down(outage, kind, capabilities) as probe:
            probe.raises("send", lambda: queue.send("during"))
            probe.raises("receive", lambda: queue.receive(max_messages=1))
            probe.raises("change_visibility", lambda: queue.change_visibility(held, 0))
            probe.raises("ack", lambda: queue.ack(held))
        _recovers(lambda: bool(queue.send("after")), capabilities, "send")
        # frozen: a receive held by the freeze may still take messages on thaw, and the
        # frozen ack may have reached the broker (its outcome is unknown to the caller)
        if kind == "frozen":
            return
        # the held message, neither acknowledged nor changed, is released once it is back
        _recovers(lambda: queue.change_visibility(held, 0) is None, capabilities, "release")
        seen: list[str] = []

        def delivered() -> bool:
            seen.extend(m.body for m in queue.receive(max_messages=10, visibility_timeout=30))
            return "before" in seen

        _recovers(delivered, capabilities, "receive of a message sent before the outage")

    @requires("strict_outage", "outage_refused")
    def test_a_refused_backend_raises_unavailable_in_time(
        self, open_queue: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Send, receive, ack and change_visibility raise in time; messages survive."""
        self._strict(open_queue, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    def test_a_frozen_backend_raises_timeout_in_time(
        self, open_queue: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Send, receive, ack and change_visibility time out in time; messages survive."""
        self._strict(open_queue, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    def test_a_reset_backend_raises_unavailable_in_time(
        self, open_queue: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Send, receive, ack and change_visibility raise in time; messages survive."""
        self._strict(open_queue, outage, "reset")

    @requires("strict_outage", "outage_trickled")
    def test_a_trickling_backend_ends_a_receive_by_its_deadline(
        self, open_queue: Callable[..., Any], outage: OutageHook
    ) -> None:
        """A large message trickled back: receive raises BackendTimeoutError in time.

        Each read gets data well within a read timeout, so only a deadline on the whole
        call ends it. The message survives.
        """
        capabilities = self.outage_capabilities
        queue = open_queue(_ns(), fifo=False)
        big = "x" * 2000  # 100 s at one byte every 50 ms
        queue.send(big)
        with _down(outage, "trickled", capabilities) as probe:
            probe.raises("receive", lambda: queue.receive(max_messages=1, visibility_timeout=1))

        def delivered() -> bool:
            return any(m.body == big for m in queue.receive(max_messages=10, visibility_timeout=30))

        _recovers(delivered, capabilities, "receive of the large message")


# ----------------------------------------------------------------------- publisher


class PublisherOutageCases(_OutageCases):
    """Outage cases of ``PublisherContract`` (fixture ``session``)."""

    def _strict(self, session: Any, outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        topic = session.topic()
        session.publisher.publish(topic, b"before")
        with _down(outage, kind, capabilities) as probe:
            probe.raises("publish", lambda: session.publisher.publish(topic, b"during"))
            # an ordered publish too: a client that retries it (Google's SDK does, for ten
            # minutes, unless told not to) or waits without a deadline would hang here
            probe.raises(
                "ordered publish",
                lambda: session.publisher.publish(topic, b"during", ordering_key="k"),
            )
        _recovers(lambda: bool(session.publisher.publish(topic, b"after")), capabilities, "publish")
        _recovers(
            lambda: bool(session.publisher.publish(topic, b"after-ordered", ordering_key="k")),
            capabilities,
            "ordered publish",
        )
        data = {message.data for message in session.rig.read(topic, 3)}
        assert {b"before", b"after", b"after-ordered"} <= data

    @requires("strict_outage", "outage_refused")
    def test_a_refused_backend_raises_unavailable_in_time(
        self, session: Any, outage: OutageHook
    ) -> None:
        """Publish, ordered or not, raises BackendUnavailableError in time; then publishes."""
        self._strict(session, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    def test_a_frozen_backend_raises_timeout_in_time(
        self, session: Any, outage: OutageHook
    ) -> None:
        """Publish, ordered or not, raises BackendTimeoutError in time; then publishes."""
        self._strict(session, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    def test_a_reset_backend_raises_unavailable_in_time(
        self, session: Any, outage: OutageHook
    ) -> None:
        """Publish, ordered or not, raises BackendUnavailableError in time; then publishes."""
        self._strict(session, outage, "reset")


# ------------------------------------------------------------------------ document


class DocumentOutageCases(_OutageCases):
    """Outage cases of ``DocumentStoreContract`` (fixture ``tables``)."""

    def _strict(self, tables: Any, outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        store, people, _ = tables
        store.put(people, {"id": "kept", "name": "Ana"})
        with _down(outage, kind, capabilities) as probe:
            probe.raises("get", lambda: store.get(people, {"id": "kept"}))
            probe.raises("put", lambda: store.put(people, {"id": "new", "name": "Bo"}))
            if kind not in _TIMING_OUT:  # each call waits its deadline: one read, one write
                probe.raises("delete", lambda: store.delete(people, {"id": "kept"}))
        if kind not in _TIMING_OUT:  # a late write may still land once the backend thaws
            _recovers(
                lambda: store.get(people, {"id": "kept"}) == {"id": "kept", "name": "Ana"},
                capabilities,
                "get of a kept item",
            )

        def write_then_read() -> bool:
            store.put(people, {"id": "after", "name": "Cy"})
            return bool(store.get(people, {"id": "after"}) == {"id": "after", "name": "Cy"})

        _recovers(write_then_read, capabilities, "put then get")

    @requires("strict_outage", "outage_refused")
    def test_a_refused_backend_raises_unavailable_in_time(
        self, tables: Any, outage: OutageHook
    ) -> None:
        """get, put and delete raise BackendUnavailableError in time; then it recovers."""
        self._strict(tables, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    def test_a_frozen_backend_raises_timeout_in_time(self, tables: Any, outage: OutageHook) -> None:
        """get, put and delete raise BackendTimeoutError in time; then it recovers."""
        self._strict(tables, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    def test_a_reset_backend_raises_unavailable_in_time(
        self, tables: Any, outage: OutageHook
    ) -> None:
        """get, put and delete raise BackendUnavailableError in time; then it recovers."""
        self._strict(tables, outage, "reset")

    @requires("strict_outage", "outage_trickled")
    def test_a_trickling_backend_ends_each_call_by_its_deadline(
        self, tables: Any, outage: OutageHook
    ) -> None:
        """Answers trickled back: get and put raise BackendTimeoutError in time.

        Each read gets data well within a read timeout, so only a deadline on the whole
        answer ends a call (a cut answer must not parse as a short one). It recovers.
        """
        self._strict(tables, outage, "trickled")


# ---------------------------------------------------------------------- parameters


class _StoreOutageCases(_OutageCases):
    """The strict outage cases of a read-only store, one per kind, through ``_strict``."""

    def _strict(self, rig: Any, base: str, outage: OutageHook, kind: OutageKind) -> None:
        raise NotImplementedError

    @requires("strict_outage", "outage_refused")
    def test_a_refused_backend_raises_unavailable_in_time(
        self, rig: Any, base: str, outage: OutageHook
    ) -> None:
        """Reads raise BackendUnavailableError in time; then they return what was stored."""
        self._strict(rig, base, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    def test_a_frozen_backend_raises_timeout_in_time(
        self, rig: Any, base: str, outage: OutageHook
    ) -> None:
        """A read raises BackendTimeoutError in time; then reads return what was stored."""
        self._strict(rig, base, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    def test_a_reset_backend_raises_unavailable_in_time(
        self, rig: Any, base: str, outage: OutageHook
    ) -> None:
        """Reads raise BackendUnavailableError in time; then they return what was stored."""
        self._strict(rig, base, outage, "reset")

    @requires("strict_outage", "outage_trickled")
    def test_a_trickling_backend_ends_a_read_by_its_deadline(
        self, rig: Any, base: str, outage: OutageHook
    ) -> None:
        """An answer trickled back: a read raises BackendTimeoutError in time.

        Never a short answer (a missing parameter or secret); then reads return what was
        stored.
        """
        self._strict(rig, base, outage, "trickled")


class ParametersOutageCases(_StoreOutageCases):
    """Outage cases of ``ParameterStoreContract`` (fixture ``rig``; names under ``base``).

    The port only reads: parameters are created through the rig (as a deployment would)
    before the outage and after it. During the outage a read of names that exist, and of
    one that does not, must raise: an empty answer would pass for "no such parameter".
    """

    def _strict(self, rig: Any, base: str, outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        kept = {f"{base}/db/host": "db.internal", f"{base}/db/password": "hunter2"}
        rig.put(f"{base}/db/host", "db.internal")
        rig.put(f"{base}/db/password", "hunter2", "SecureString")
        names = [*kept, f"{base}/missing"]
        with _down(outage, kind, capabilities) as probe:
            probe.raises("get_parameters", lambda: rig.store.get_parameters(names))
            if kind not in _TIMING_OUT:  # each call waits its deadline: one call
                probe.raises(
                    "get_parameters_by_path", lambda: rig.store.get_parameters_by_path(base)
                )
        _recovers(
            lambda: rig.store.get_parameters(names) == kept,
            capabilities,
            "get_parameters of parameters stored before the outage",
        )
        assert rig.store.get_parameters_by_path(base) == kept
        rig.put(f"{base}/db/host", "db.replaced")
        assert rig.store.get_parameters([f"{base}/db/host"]) == {f"{base}/db/host": "db.replaced"}


class SecretsOutageCases(_StoreOutageCases):
    """Outage cases of ``SecretStoreContract`` (fixture ``rig``; names under ``base``).

    During the outage a secret that does not exist must raise the outage's error, not
    ``NotFoundError``: the store cannot know, and "missing" is a different answer.
    """

    def _strict(self, rig: Any, base: str, outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        arn = rig.put(f"{base}/db", "hunter2")
        with _down(outage, kind, capabilities) as probe:
            probe.raises("get_secret", lambda: rig.store.get_secret(f"{base}/db"))
            if kind not in _TIMING_OUT:  # each call waits its deadline: one call
                probe.raises("get_secret (missing)", lambda: rig.store.get_secret(f"{base}/no"))
        _recovers(
            lambda: rig.store.get_secret(f"{base}/db") == "hunter2",
            capabilities,
            "get_secret of a secret stored before the outage",
        )
        assert rig.store.get_secret(arn) == "hunter2"
        assert rig.put(f"{base}/db", "rotated") == arn
        assert rig.store.get_secret(f"{base}/db") == "rotated"


# ---------------------------------------------------------------------------- http


class HttpOutageCases(_OutageCases):
    """Outage cases of ``HttpClientContract`` (fixtures ``client`` and ``url``).

    Requests pass ``timeout=deadline``: the per-request timeout is the HTTP port's knob.
    """

    async def _strict(
        self, client: Any, url: Callable[[str], str], outage: OutageHook, kind: OutageKind
    ) -> None:
        capabilities = self.outage_capabilities
        deadline = capabilities.deadline
        assert (await client.get(url("/echo/before"), timeout=deadline)).status_code == 200
        with outage(kind):
            await _araises("GET", client.get(url("/echo/x"), timeout=deadline), kind, capabilities)
            await _araises(
                "POST",
                client.post(url("/echo/x"), json={"a": 1}, timeout=deadline),
                kind,
                capabilities,
            )

        async def answered() -> bool:
            response = await client.get(url("/echo/after"), timeout=deadline)
            return bool(response.status_code == 200)

        await _arecovers(answered, capabilities, "GET")

    @requires("strict_outage", "outage_refused")
    async def test_a_refused_backend_raises_unavailable_in_time(
        self, client: Any, url: Callable[[str], str], outage: OutageHook
    ) -> None:
        """Requests raise BackendUnavailableError in time; then they succeed again."""
        await self._strict(client, url, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    async def test_a_frozen_backend_raises_timeout_in_time(
        self, client: Any, url: Callable[[str], str], outage: OutageHook
    ) -> None:
        """Requests raise BackendTimeoutError at their timeout; then they succeed again."""
        await self._strict(client, url, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    async def test_a_reset_backend_raises_unavailable_in_time(
        self, client: Any, url: Callable[[str], str], outage: OutageHook
    ) -> None:
        """Requests raise BackendUnavailableError in time; then they succeed again."""
        await self._strict(client, url, outage, "reset")

    @requires("strict_outage", "outage_trickled")
    async def test_a_trickling_backend_raises_timeout_by_the_deadline(
        self, client: Any, url: Callable[[str], str], outage: OutageHook
    ) -> None:
        """Requests raise BackendTimeoutError at their timeout; then they succeed again.

        The server answers a byte at a time, each within any read timeout: only a deadline
        on the whole request ends it.
        """
        await self._strict(client, url, outage, "trickled")


# ---------------------------------------------------------------------- rate limit


class RateLimitOutageCases(_OutageCases):
    """Outage cases of ``RateLimitContract`` (fixture ``make``): a shared quota's backend."""

    async def _strict(self, make: Callable[..., Any], outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        limiter = make(1000, burst=1000)
        await limiter.acquire()
        with outage(kind):
            await _araises("acquire", limiter.acquire(), kind, capabilities)

        async def acquired() -> bool:
            await limiter.acquire()
            return True

        await _arecovers(acquired, capabilities, "acquire")

    @requires("strict_outage", "outage_refused")
    async def test_a_refused_backend_raises_unavailable_in_time(
        self, make: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Acquire raises BackendUnavailableError in time; then it grants again."""
        await self._strict(make, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    async def test_a_frozen_backend_raises_timeout_in_time(
        self, make: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Acquire raises BackendTimeoutError in time; then it grants again."""
        await self._strict(make, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    async def test_a_reset_backend_raises_unavailable_in_time(
        self, make: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Acquire raises BackendUnavailableError in time; then it grants again."""
        await self._strict(make, outage, "reset")
