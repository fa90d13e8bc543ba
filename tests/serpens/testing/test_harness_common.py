"""The harness machinery every test server shares (``serpens.testing._common``).

A server handle's life (first start timed once, a server of the environment never started
again or restarted, its repr), moving to a free port when a port was taken, stopping what
is left at interpreter exit, the tier search's report, and the waits and port checks the
starters use. A small handle of this module's own stands in for a server: these are the
harness's own rules, and the server starters' tests run them on real servers too.
"""

from __future__ import annotations

import socket
import time

import pytest

from serpens.errors import BackendUnavailableError, ConfigurationError
from serpens.testing._common import (
    TierUnavailableError,
    UrlServerHandle,
    _LiveSet,
    env_endpoint,
    port_is_open,
    select_tier,
    start_on_free_port,
    wait_until,
)


class _Handle(UrlServerHandle):
    """A server handle that starts nothing: it records its starts and stops."""

    backend = "thing"

    def __init__(self, tier: str = "local", url: str | None = None) -> None:
        super().__init__(tier, url)  # type: ignore[arg-type]
        self.failures: list[Exception] = []  # raised by the next starts, in order
        self.start_delay = 0.0
        self.started_on: list[int] = []
        self.events: list[str] = []

    def _local_url(self, port: int) -> str:
        return f"thing://127.0.0.1:{port}"

    def _startup(self) -> None:
        self.started_on.append(self.port)
        time.sleep(self.start_delay)
        if self.failures:
            raise self.failures.pop(0)

    def _shutdown(self) -> None:
        self.events.append(f"stop {self.port}")


def test_a_handle_keeps_the_time_of_its_first_start() -> None:
    handle = _Handle()
    assert (handle.start_seconds, handle.running, handle.owned) == (0.0, False, True)
    handle.start_delay = 0.2
    handle.start()
    first = handle.start_seconds
    assert first >= 0.2
    handle.start_delay = 0.0
    handle.restart()
    assert handle.start_seconds == first  # a restart is not the server's start-up time
    assert handle.started_on == [handle.port, handle.port]  # the same port again
    handle.stop()
    assert handle.events == [f"stop {handle.port}", f"stop {handle.port}"]


def test_a_server_of_the_environment_is_checked_once_and_never_started_or_stopped() -> None:
    handle = _Handle("env", "thing://user:s3cret@127.0.0.1:5")
    assert not handle.owned
    handle.start()  # the env tier's start: its reachability check
    assert handle.running
    handle.stop()
    assert handle.events == []  # never stopped: it is not the harness's
    with pytest.raises(ConfigurationError) as started:
        handle.start()
    assert str(started.value) == (
        "the thing server at thing://user:***@127.0.0.1:5 comes from the environment; "
        "the harness cannot start or stop it"
    )
    with pytest.raises(ConfigurationError, match=r"cannot restart it$"):
        handle.restart()
    assert handle.started_on == [5]


def test_the_repr_names_the_masked_address_the_tier_and_the_state() -> None:
    handle = _Handle("env", "thing://user:s3cret@127.0.0.1:5")
    assert repr(handle) == "<_Handle thing://user:***@127.0.0.1:5 tier=env stopped>"
    handle.start()
    assert repr(handle) == "<_Handle thing://user:***@127.0.0.1:5 tier=env running>"


def test_a_taken_port_moves_the_server_to_another_up_to_three_starts() -> None:
    handle = _Handle()
    handle.failures = [RuntimeError("port taken"), RuntimeError("port taken")]
    assert start_on_free_port(handle, "port taken", handle._move_to) is handle
    assert handle.running
    assert len(handle.started_on) == 3
    assert handle.port == handle.started_on[-1]
    assert handle.url == f"thing://127.0.0.1:{handle.port}"  # the URL moved with it
    handle.stop()

    always = _Handle()
    always.failures = [RuntimeError(f"port taken ({n})") for n in range(4)]
    with pytest.raises(RuntimeError, match=r"^port taken \(2\)$"):
        start_on_free_port(always, "port taken", always._move_to)
    assert len(always.started_on) == 3
    assert not always.running


def test_any_other_start_error_is_raised_at_once() -> None:
    handle = _Handle()
    port = handle.port
    handle.failures = [RuntimeError("no such binary")]
    with pytest.raises(RuntimeError, match=r"^no such binary$"):
        start_on_free_port(handle, "port taken", handle._move_to)
    assert handle.started_on == [port]


def test_what_is_left_running_is_stopped_last_started_first_despite_errors() -> None:
    class Failing(_Handle):
        def _shutdown(self) -> None:
            raise OSError("already gone")

    live = _LiveSet()
    order: list[str] = []
    handles = [_Handle(), Failing(), _Handle()]
    for n, handle in enumerate(handles):
        handle.events = order
        handle.port = n
        handle.start()
        live.add(handle)
    live.discard(_Handle())  # a handle it never held: nothing happens
    live.stop_all()
    assert order == ["stop 2", "stop 0"]  # the failing one raised in between
    assert not any(handle.running for handle in handles)


def test_the_tier_search_reports_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SERPENS_TEST_THING_TIER", raising=False)

    def broken() -> _Handle:
        raise OSError("boom")

    def missing() -> _Handle:
        raise TierUnavailableError("not installed")

    starters = {"local": broken, "embedded": missing}
    with pytest.raises(BackendUnavailableError) as raised:
        select_tier("thing", ["local", "embedded"], starters, None)  # type: ignore[dict-item]
    assert str(raised.value) == (
        "cannot start a thing server for the tests; tried:\n"
        "  - local: failed to start: OSError: boom\n"
        "  - embedded: not installed"
    )


def test_an_environment_server_that_never_answers_fails_after_2_s(
    silent: tuple[str, int],
) -> None:
    url = f"thing://user:s3cret@{silent[0]}:{silent[1]}"
    started = time.monotonic()
    with pytest.raises(TierUnavailableError) as raised:
        env_endpoint("THING_URL", silent, url)
    assert 1.5 <= time.monotonic() - started < 3.0  # its 2 s connect timeout
    assert str(raised.value) == (
        f"THING_URL=thing://user:***@{silent[0]}:{silent[1]} does not accept connections; "
        "start that server or unset THING_URL to let the harness start one"
    )


def test_a_port_check_gives_up_after_its_timeout(silent: tuple[str, int]) -> None:
    started = time.monotonic()
    assert not port_is_open(*silent)
    assert time.monotonic() - started < 0.8  # 0.2 s unless told
    with socket.create_server(("127.0.0.1", 0)) as listening:
        assert port_is_open(*listening.getsockname())


def test_a_wait_polls_often_and_names_what_did_not_happen() -> None:
    calls: list[float] = []

    def third_time() -> bool:
        calls.append(time.monotonic())
        return len(calls) == 3

    started = time.monotonic()
    wait_until(third_time, 5.0, "the third call")
    assert time.monotonic() - started < 0.5  # polled every 10 ms
    with pytest.raises(RuntimeError) as raised:
        wait_until(lambda: False, 0.05, "the thing")
    assert str(raised.value) == "the thing did not happen within 0.05 s"
