"""The fail-open guard: when the breaker opens and closes, and what its warnings say.

:class:`~serpens_redis._failopen.FailOpen` is sans-I/O: these tests drive it with an
injected clock and real redis-py exceptions, and read the warnings from the real
``serpens.cache`` logger. They pin its defaults (3 failures, 0.5 s, 10 s), the exact
boundaries, that only consecutive failures count, and the counts and masking of its
summaries; the cache cells see none of these through the port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import redis

from serpens_redis._failopen import FailOpen, guard_for

_REFUSED = redis.exceptions.ConnectionError("Error 111 connecting to redis://app:pw1@h:1.")
_MASKED = "ConnectionError: Error 111 connecting to redis://app:***@h:1."
_NAME = "redis://h:1/0"


class _Clock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(name="warnings")
def _warnings(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The messages of the ``serpens.cache`` logger so far."""
    caplog.set_level(logging.WARNING, logger="serpens.cache")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "serpens.cache"]


def _is_open(guard: FailOpen) -> bool:
    """``guard.is_open``, read through a call: mypy would narrow the property itself."""
    return guard.is_open


def _summary(operation: str, error: str, failures: int, skipped: int) -> str:
    return (
        f"cache backend {_NAME} failed on {operation} ({error}); serving misses. "
        f"Since the last warning: {failures} more failures, {skipped} calls skipped the backend"
    )


def test_by_default_three_consecutive_failures_open_the_breaker_for_half_a_second() -> None:
    clock = _Clock()
    guard = FailOpen(_NAME, clock=clock)
    for _ in range(2):
        guard.failed("GET", _REFUSED)
    assert guard.allow()
    assert not _is_open(guard)
    guard.failed("GET", _REFUSED)
    assert _is_open(guard)
    clock.now = 0.49
    assert not guard.allow()
    clock.now = 0.5  # the cool-down is over at exactly its end: one caller probes
    assert guard.allow()
    assert not guard.allow()  # the others keep skipping while it probes
    clock.now = 0.99
    assert not guard.allow()


def test_a_success_between_failures_starts_the_count_again() -> None:
    guard = FailOpen(_NAME, threshold=3, clock=_Clock())
    for _ in range(2):
        guard.failed("GET", _REFUSED)
    guard.succeeded()
    for _ in range(2):
        guard.failed("GET", _REFUSED)
    assert guard.allow()
    assert not _is_open(guard)


def test_a_guard_never_opened_lets_every_call_through_and_logs_no_recovery(
    warnings: Callable[[], list[str]],
) -> None:
    guard = FailOpen(_NAME, clock=_Clock())
    assert [guard.allow() for _ in range(3)] == [True, True, True]
    guard.succeeded()
    guard.failed("GET", _REFUSED)
    guard.succeeded()
    assert warnings() == [_summary("GET", _MASKED, 0, 0)]


def test_the_first_failure_is_warned_at_once_with_the_error_masked(
    warnings: Callable[[], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    FailOpen(_NAME, clock=_Clock()).failed("SET", _REFUSED)
    assert warnings() == [_summary("SET", _MASKED, 0, 0)]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "pw1" not in caplog.text


def test_later_warnings_wait_ten_seconds_and_count_what_happened_meanwhile(
    warnings: Callable[[], list[str]],
) -> None:
    clock = _Clock()
    guard = FailOpen(_NAME, threshold=1, cooldown=1.0, clock=clock)
    guard.failed("GET", _REFUSED)  # warned; the breaker opens until 1.0
    clock.now = 0.5
    assert [guard.allow() for _ in range(3)] == [False, False, False]
    clock.now = 1.0
    assert guard.allow()
    guard.failed("GET", _REFUSED)  # suppressed: 1 s after the last warning
    clock.now = 9.99
    guard.failed("DEL", _REFUSED)  # suppressed
    clock.now = 10.0
    guard.failed("SET", redis.exceptions.TimeoutError("Timeout reading from h:1"))
    clock.now = 20.0
    guard.failed("GET", redis.exceptions.TimeoutError("Timeout reading from h:1"))
    timeout = "TimeoutError: Timeout reading from h:1"
    assert warnings() == [
        _summary("GET", _MASKED, 0, 0),
        _summary("SET", timeout, 2, 3),
        _summary("GET", timeout, 0, 0),  # the counts start again after each warning
    ]


def test_rejected_writes_are_warned_but_never_open_the_breaker(
    warnings: Callable[[], list[str]],
) -> None:
    clock = _Clock()
    guard = FailOpen(_NAME, threshold=2, warn_interval=1.0, clock=clock)
    for error in (
        redis.exceptions.OutOfMemoryError("OOM command not allowed"),
        redis.exceptions.ReadOnlyError("You can't write against a read only replica."),
    ):
        for _ in range(3):
            guard.failed("SET", error)
            assert guard.allow()
        clock.now += 1.0
    assert warnings() == [
        _summary("SET", "OutOfMemoryError: OOM command not allowed", 0, 0),
        _summary("SET", "ReadOnlyError: You can't write against a read only replica.", 2, 0),
    ]


def test_recovery_is_logged_once_when_an_open_breaker_closes(
    warnings: Callable[[], list[str]],
) -> None:
    clock = _Clock()
    guard = FailOpen(_NAME, threshold=2, cooldown=0.5, clock=clock)
    guard.failed("GET", _REFUSED)
    guard.failed("GET", _REFUSED)
    assert _is_open(guard)
    clock.now = 0.5
    assert guard.allow()
    guard.succeeded()
    guard.succeeded()
    assert not _is_open(guard)
    assert [guard.allow() for _ in range(2)] == [True, True]
    assert warnings()[1:] == [f"cache backend {_NAME} is reachable again"]
    guard.failed("GET", _REFUSED)  # the count starts from zero again: one is not two
    assert not _is_open(guard)
    guard.failed("GET", _REFUSED)
    assert _is_open(guard)


def test_a_guard_for_a_client_is_named_by_its_server_without_the_password() -> None:
    client = redis.Redis.from_url("redis://app:pw1@127.0.0.1:6390/2")
    try:
        guard = guard_for(client)
    finally:
        client.close()
    assert guard.name == "redis://127.0.0.1:6390/2"
    assert (guard.threshold, guard.cooldown, guard.warn_interval) == (3, 0.5, 10.0)
