"""moto's server for tests of the AWS adapters over real HTTP: env URL or in-process thread."""

from __future__ import annotations

import logging
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from serpens._extras import require
from serpens.testing._common import (
    LOOPBACK,
    ServerHandle,
    Tier,
    env_endpoint,
    env_setting,
    select_tier,
)

__all__ = ["MotoServer", "start_moto"]

ENV_URL = "TEST_AWS_ENDPOINT_URL"
_ORDER: tuple[Tier, ...] = ("env", "inproc")


class MotoServer(ServerHandle):
    """moto's ``ThreadedMotoServer`` on a free port of 127.0.0.1 (or the environment's endpoint).

    Point SDK clients at :attr:`url` (``endpoint_url=`` or ``AWS_ENDPOINT_URL``) with any
    credentials, for example ``testing``/``testing`` in ``us-east-1``.

    Attributes:
        url: ``http://127.0.0.1:PORT``, or ``TEST_AWS_ENDPOINT_URL``.
        tier: ``inproc`` (a thread of this process) or ``env``.
    """

    backend = "moto"

    def __init__(self, tier: Tier = "inproc", *, url: str | None = None) -> None:
        super().__init__(tier)
        self.url = url or ""
        self._port = 0  # 0 lets the OS pick; a restart reuses the port picked first
        self._server: Any = None

    @property
    def address(self) -> str:
        """The endpoint URL."""
        return self.url or f"http://{LOOPBACK}:?"

    def _startup(self) -> None:
        if not self.owned:
            parts = urlsplit(self.url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            env_endpoint(ENV_URL, (parts.hostname or LOOPBACK, port), self.url)
            return
        server_module = require("moto.server", "test")  # the test extra, loaded on first use
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
        server = server_module.ThreadedMotoServer(
            ip_address=LOOPBACK, port=self._port, verbose=False
        )
        server.start()
        host, self._port = server.get_host_and_port()
        self._server = server
        self.url = f"http://{host}:{self._port}"

    def _shutdown(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def reset(self) -> None:
        """Forget every resource (queues, tables, ...) moto holds: cheap per-test isolation."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - a test endpoint
            pass


def _start_env() -> MotoServer:
    return MotoServer("env", url=env_setting(ENV_URL)).start()


def start_moto(tier: str | None = None) -> MotoServer:
    """Start moto's server in a thread on a free port of 127.0.0.1 (or use the env's endpoint).

    Tiers, in order: ``env`` (``TEST_AWS_ENDPOINT_URL``, e.g. a moto server you run
    yourself), ``inproc`` (``ThreadedMotoServer``). *tier*, or else
    ``SERPENS_TEST_AWS_TIER``, forces one.

    Raises:
        ConfigurationError: the forced tier is not one of the above.
        BackendUnavailableError: no tier could start (e.g. moto is not installed).
    """
    return select_tier(
        "aws", _ORDER, {"env": _start_env, "inproc": lambda: MotoServer("inproc").start()}, tier
    )
