"""``serpens._watchdog.Watchdog``: sockets past their deadline are shut down, others are not.

Each test uses its own ``Watchdog`` over a local socket pair, so the process's watchdog
(and the adapters using it) are left alone.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest

from serpens._watchdog import Watchdog, _Armed, watchdog


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    left, right = socket.socketpair()
    left.settimeout(5.0)
    right.settimeout(5.0)
    yield left, right
    left.close()
    right.close()


def _wait_fired(armed: _Armed, within: float) -> float:
    start = time.monotonic()
    while not armed.fired:
        if time.monotonic() - start > within:
            break
        time.sleep(0.005)
    return time.monotonic() - start


def test_a_call_past_its_deadline_has_its_socket_shut_and_disarm_says_so(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, _ = pair
    dog = Watchdog()
    armed = dog.arm(left, 0.05)
    started = time.monotonic()
    assert left.recv(1) == b""  # the blocked read ends at the deadline, not the timeout
    assert time.monotonic() - started < 2.0
    assert dog.disarm(armed) is True


def test_a_call_disarmed_in_time_keeps_its_socket_and_disarm_says_not_fired(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, right = pair
    dog = Watchdog()
    armed = dog.arm(left, 0.05)
    assert dog.disarm(armed) is False
    time.sleep(0.2)  # well past the deadline
    right.sendall(b"x")
    assert left.recv(1) == b"x"
    assert dog.disarm(armed) is False


def test_a_bare_descriptor_is_shut_down_but_left_open_for_its_driver(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, _ = pair
    dog = Watchdog()
    armed = dog.arm(left.fileno(), 0.05)
    assert left.recv(1) == b""
    assert dog.disarm(armed) is True
    os.fstat(left.fileno())  # still open: the watchdog detached, it did not close
    assert left.fileno() >= 0


def test_a_shorter_deadline_armed_after_a_longer_one_still_fires_on_time(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, right = pair
    dog = Watchdog()
    long_call = dog.arm(right, 30.0)
    short_call = dog.arm(left, 0.05)
    assert _wait_fired(short_call, 3.0) < 2.0
    assert dog.disarm(short_call) is True
    assert dog.disarm(long_call) is False


def test_a_socket_closed_before_its_deadline_harms_nothing_and_later_calls_still_fire(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, _ = pair
    dog = Watchdog()
    gone = socket.socket()
    early = dog.arm(gone, 0.01)
    gone.close()
    armed = dog.arm(left, 0.1)
    assert left.recv(1) == b""
    assert dog.disarm(early) is True
    assert dog.disarm(armed) is True


def test_a_closed_socket_objects_descriptor_reused_by_another_connection_is_left_alone(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    dog = Watchdog()
    gone = socket.socket()
    number = gone.fileno()
    early = dog.arm(gone, 0.05)
    gone.close()  # the driver closed it on its own read timeout
    reused, peer = socket.socketpair()  # the lowest free descriptor: the closed one's
    try:
        assert number in (reused.fileno(), peer.fileno())
        holder = reused if reused.fileno() == number else peer
        other = peer if holder is reused else reused
        _wait_fired(early, 3.0)
        time.sleep(0.05)
        other.sendall(b"y")
        holder.settimeout(2.0)
        assert holder.recv(1) == b"y"  # not shut down by the stale deadline
    finally:
        reused.close()
        peer.close()
    assert dog.disarm(early) is True


def test_a_call_disarmed_in_time_does_not_stop_later_deadlines(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, right = pair
    dog = Watchdog()
    quick = dog.arm(right, 0.05)
    assert dog.disarm(quick) is False
    armed = dog.arm(left, 0.3)
    assert left.recv(1) == b""
    assert dog.disarm(armed) is True


def test_a_call_armed_while_the_thread_idles_still_fires(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, right = pair
    dog = Watchdog()
    first = dog.arm(right, 0.02)
    _wait_fired(first, 3.0)
    time.sleep(0.1)  # the heap is empty: the thread waits for the next call
    armed = dog.arm(left, 0.05)
    assert _wait_fired(armed, 3.0) < 2.0
    assert dog.disarm(armed) is True


def test_a_deadline_does_not_fire_early(pair: tuple[socket.socket, socket.socket]) -> None:
    left, right = pair
    dog = Watchdog()
    armed = dog.arm(left, 0.8)
    time.sleep(0.3)
    assert armed.fired is False
    right.sendall(b"z")
    assert left.recv(1) == b"z"
    assert _wait_fired(armed, 3.0) < 2.5
    assert dog.disarm(armed) is True


def test_the_deadline_thread_is_one_named_daemon_shared_by_calls(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, right = pair
    dog = Watchdog()
    first = dog.arm(left, 30.0)
    thread = dog._thread
    assert thread is not None
    assert thread.daemon
    assert thread.name == "serpens-deadlines"
    second = dog.arm(right, 30.0)
    assert dog._thread is thread
    dog.disarm(first)
    dog.disarm(second)


def test_the_process_has_one_watchdog() -> None:
    assert isinstance(watchdog, Watchdog)
