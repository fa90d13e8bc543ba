"""serpens.testgres.setup()'s waits for PostgreSQL and Redis, in the test's own process.

A refused PostgreSQL is retried for the whole ``wait_timeout`` and named with the driver's
reason; one that accepts and never answers is bounded per attempt; a Redis is up when it
answers ``PING`` (or asks for a password), and a server that cannot be started names the
variable to set.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase

from tests.serpens.database._bounded import in_thread
from tests.serpens.database._testgres_handles import Setup, made_fixture, setup_fixture

__all__ = ["made_fixture", "setup_fixture"]  # the fixtures, found here by pytest

pytestmark = pytest.mark.postgres


class _Listener:
    """A TCP server on 127.0.0.1 that answers each connection with *reply* (or nothing)."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)
            if self.reply is not None:
                try:
                    conn.recv(64)
                    conn.sendall(self.reply)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()
        self.thread.join(5)


@pytest.fixture(name="listener")
def _listener() -> Iterator[Callable[[bytes | None], _Listener]]:
    made: list[_Listener] = []

    def start(reply: bytes | None) -> _Listener:
        made.append(_Listener(reply))
        return made[-1]

    yield start
    for server in made:
        server.close()


class TestWaits:
    def test_a_refused_server_is_retried_for_the_whole_wait_and_named(self, setup: Setup) -> None:
        class Model(DeclarativeBase):
            pass

        started = time.monotonic()
        with pytest.raises(RuntimeError) as caught:
            setup(Model, uri="postgresql://app:s3cr3t-pw@127.0.0.1:1/app", wait_timeout=1.0)
        assert time.monotonic() - started >= 1.0
        message = str(caught.value)
        assert message.startswith(
            "PostgreSQL at postgresql://app:***@127.0.0.1:1/app did not accept connections "
            'within 1s: connection to server at "127.0.0.1", port 1 failed'
        ), message

    def test_a_server_that_never_answers_is_bounded_per_attempt(
        self, setup: Setup, listener: Callable[[bytes | None], _Listener]
    ) -> None:
        class Model(DeclarativeBase):
            pass

        silent = listener(None)
        uri = f"postgresql://app@127.0.0.1:{silent.port}/app"
        elapsed, error = in_thread(
            lambda: setup(Model, uri=uri, wait_timeout=0.5), 15, "setup() on a silent server"
        )
        assert isinstance(error, RuntimeError), error
        assert "did not accept connections within 0.5s" in str(error)
        assert elapsed < 10

    def test_redis_comes_from_redis_url(
        self, setup: Setup, fresh_pg_url: str, redis_url: str
    ) -> None:
        class Model(DeclarativeBase):
            pass

        os.environ["REDIS_URL"] = redis_url
        handle = setup(Model, uri=fresh_pg_url, redis_mode=True)
        assert handle.redis_url == os.environ["REDIS_URL"] == redis_url
        assert f"redis_url={redis_url!r}" in repr(handle)

    def test_a_redis_asking_for_a_password_is_up(
        self, setup: Setup, fresh_pg_url: str, listener: Callable[[bytes | None], _Listener]
    ) -> None:
        class Model(DeclarativeBase):
            pass

        server = listener(b"-NOAUTH Authentication required.\r\n")
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{server.port}/0"
        assert (
            setup(Model, uri=fresh_pg_url, redis_mode=True).redis_url == (os.environ["REDIS_URL"])
        )

    @pytest.mark.parametrize("reply", [None, b"-ERR unknown command\r\n", b""])
    def test_a_redis_that_does_not_pong_fails_after_the_wait_masked(
        self,
        setup: Setup,
        fresh_pg_url: str,
        listener: Callable[[bytes | None], _Listener],
        reply: bytes | None,
    ) -> None:
        class Model(DeclarativeBase):
            pass

        server = listener(reply)
        os.environ["REDIS_URL"] = f"redis://:r3dis-pw@127.0.0.1:{server.port}/0"
        started = time.monotonic()
        with pytest.raises(RuntimeError) as caught:
            setup(Model, uri=fresh_pg_url, redis_mode=True, wait_timeout=0.5)
        assert time.monotonic() - started >= 0.5
        assert str(caught.value) == (
            f"Redis at redis://:***@127.0.0.1:{server.port}/0 did not answer PING within 0.5s"
        )

    @pytest.mark.parametrize(
        ("backend", "variable"), [("postgres", "DATABASE_URL"), ("redis", "REDIS_URL")]
    )
    def test_a_server_that_cannot_start_names_the_variable_to_set(
        self,
        setup: Setup,
        fresh_pg_url: str,
        monkeypatch: pytest.MonkeyPatch,
        backend: str,
        variable: str,
    ) -> None:
        class Model(DeclarativeBase):
            pass

        for name in ("TEST_POSTGRES_URL", "TEST_REDIS_URL"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv(f"SERPENS_TEST_{backend.upper()}_TIER", "env")
        arguments: dict[str, Any] = (
            {} if backend == "postgres" else {"uri": fresh_pg_url, "redis_mode": True}
        )
        with pytest.raises(RuntimeError) as caught:
            setup(Model, **arguments)
        message = str(caught.value)
        assert message.startswith(f"serpens.testgres could not start {backend} for the tests")
        assert message.endswith(f"pass uri=/set {variable}.")


class TestStartedServers:
    """No URL given: setup() starts the servers through serpens.testing (here its env tier)."""

    def test_a_started_postgres_is_owned_and_may_be_truncated(
        self, setup: Setup, fresh_pg_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        class Model(DeclarativeBase):
            pass

        monkeypatch.setenv("SERPENS_TEST_POSTGRES_TIER", "env")
        monkeypatch.setenv("TEST_POSTGRES_URL", fresh_pg_url)
        handle = setup(Model)
        assert handle.owned is True
        assert handle.url == os.environ["DATABASE_URL"]
        assert make_url(handle.url).database == make_url(fresh_pg_url).database
        handle.truncate()  # its own server: no opt-in needed

    def test_a_started_redis_is_exported(
        self,
        setup: Setup,
        fresh_pg_url: str,
        redis_url: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        class Model(DeclarativeBase):
            pass

        monkeypatch.setenv("SERPENS_TEST_REDIS_TIER", "env")
        monkeypatch.setenv("TEST_REDIS_URL", redis_url)
        handle = setup(Model, uri=fresh_pg_url, redis_mode=True)
        assert handle.redis_url == os.environ["REDIS_URL"]
        assert make_url(handle.redis_url).port == make_url(redis_url).port
