"""A Pub/Sub emulator for tests: env host, the gcloud emulator, or the in-process one.

Clients find the emulator through ``PUBSUB_EMULATOR_HOST`` (read when a client is
constructed), so set it to :attr:`PubSubEmulator.host` before creating clients; the
``pubsub_emulator_host`` pytest fixture does that for the whole session.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

from serpens.testing._binaries import launch_failure
from serpens.testing._common import (
    LOOPBACK,
    ServerHandle,
    Tier,
    TierUnavailableError,
    env_endpoint,
    env_setting,
    free_port,
    port_is_open,
    select_tier,
)
from serpens.testing._process import (
    make_scratch_dir,
    remove_tree,
    stop_process,
    wait_for_process,
)

__all__ = ["GCLOUD_EMULATOR", "PubSubEmulator", "start_pubsub_emulator"]

ENV_HOST = "PUBSUB_EMULATOR_HOST"
GCLOUD_EMULATOR = Path(
    "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
)
"""Where Debian's ``google-cloud-cli-pubsub-emulator`` package installs the emulator."""
_ORDER: tuple[Tier, ...] = ("env", "local", "inproc")
_START_TIMEOUT_S = 30.0  # the JVM usually opens its port in 1-2 s
_INPROC_MODULE = "serpens.testing.pubsub_emulator"


class PubSubEmulator(ServerHandle):
    """A Pub/Sub emulator for tests.

    Attributes:
        host: ``127.0.0.1:PORT``, the value for ``PUBSUB_EMULATOR_HOST``.
        tier: ``env``, ``local`` (the gcloud emulator) or ``inproc``.
    """

    backend = "pubsub"

    def __init__(
        self, tier: Tier, *, host: str | None = None, executable: Path | None = None
    ) -> None:
        super().__init__(tier)
        self.executable = executable
        self.host = host or f"{LOOPBACK}:{free_port()}"
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._inproc: Any = None

    @property
    def address(self) -> str:
        """``host:port`` of the emulator."""
        return self.host

    @property
    def url(self) -> str:
        """The emulator as a URL (``http://host:port``), for reports and logs."""
        return f"http://{self.host}"

    def _startup(self) -> None:
        if self.tier == "env":
            hostname, _, port = self.host.rpartition(":")
            if not port.isdigit():
                raise TierUnavailableError(f"{ENV_HOST}={self.host!r} is not host:port")
            env_endpoint(ENV_HOST, (hostname or LOOPBACK, int(port)), self.host)
        elif self.tier == "local":
            self._start_gcloud()
        else:
            self._start_inproc()

    def _start_gcloud(self) -> None:
        assert self.executable is not None  # noqa: S101 - the local tier always has one
        hostname, _, port = self.host.rpartition(":")
        self._dir = make_scratch_dir("serpens-pubsub-")
        log = (self._dir / "emulator.log").open("wb")
        try:
            with log:
                self._process = subprocess.Popen(  # noqa: S603 - a fixed, known executable
                    [str(self.executable), f"--host={hostname}", f"--port={port}"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self._dir,
                    start_new_session=True,  # its own process group: the JVM is stopped with it
                )
        except (PermissionError, FileNotFoundError) as exc:
            self._shutdown()
            raise launch_failure(self.tier, "cloud-pubsub-emulator", self.executable, exc) from exc
        try:
            self._wait_ready(hostname, int(port))
        except BaseException:
            self._shutdown()
            raise

    def _wait_ready(self, hostname: str, port: int) -> None:
        assert self._process is not None  # noqa: S101 - set just before
        assert self._dir is not None  # noqa: S101
        wait_for_process(
            self._process,
            lambda: port_is_open(hostname, port),
            f"the Pub/Sub emulator listening on {self.host}",
            program="cloud-pubsub-emulator",
            timeout=_START_TIMEOUT_S,
            log=self._dir / "emulator.log",
            interval=0.05,
            tier=self.tier,
            binary=self.executable,
        )

    def _start_inproc(self) -> None:
        try:
            module = importlib.import_module(_INPROC_MODULE)
            emulator_class = module.InProcessPubSubEmulator
        except (ImportError, AttributeError) as exc:
            raise TierUnavailableError(
                f"the in-process emulator {_INPROC_MODULE}.InProcessPubSubEmulator is not "
                f"importable ({type(exc).__name__}: {exc}); install 'serpens[gcp]'"
            ) from exc
        emulator = emulator_class()
        start = getattr(emulator, "start", None)
        if callable(start):
            start()
        self._inproc = emulator
        self.host = _emulator_host(emulator)

    def _shutdown(self) -> None:
        process, self._process = self._process, None
        stop_process(process, group=True)  # the JVM and its launcher script
        emulator, self._inproc = self._inproc, None
        if emulator is not None:
            emulator.stop()
        if self._dir is not None:
            remove_tree(self._dir)
            self._dir = None


def _emulator_host(emulator: Any) -> str:
    """``host:port`` of an in-process emulator (``.host``, else ``.port`` on 127.0.0.1)."""
    host = getattr(emulator, "host", None)
    if isinstance(host, str) and ":" in host:
        return host
    port = getattr(emulator, "port", None)
    if isinstance(port, int):
        return f"{LOOPBACK}:{port}"
    raise RuntimeError("the in-process emulator exposes neither .host ('h:p') nor .port")


def _gcloud_executable() -> Path:
    """The gcloud SDK's emulator: the Debian location, else next to ``gcloud`` on PATH."""
    candidates = [GCLOUD_EMULATOR]
    gcloud = shutil.which("gcloud")
    if gcloud is not None:
        sdk_root = Path(gcloud).resolve().parent.parent
        candidates.append(sdk_root / "platform" / "pubsub-emulator" / "bin" / GCLOUD_EMULATOR.name)
    for candidate in candidates:
        if candidate.is_file():
            if shutil.which("java") is None:
                raise TierUnavailableError(f"{candidate} needs java on PATH, which is missing")
            return candidate
    raise TierUnavailableError(
        f"the gcloud Pub/Sub emulator is not installed (looked at {GCLOUD_EMULATOR} and next to "
        "gcloud on PATH; install google-cloud-cli-pubsub-emulator)"
    )


def _start_env() -> PubSubEmulator:
    return PubSubEmulator("env", host=env_setting(ENV_HOST)).start()


def start_pubsub_emulator(tier: str | None = None) -> PubSubEmulator:
    """Start (or find) a Pub/Sub emulator for tests; the first tier that works wins.

    Tiers, in order: ``env`` (``PUBSUB_EMULATOR_HOST``), ``local`` (the gcloud emulator,
    which needs Java), ``inproc`` (serpens' in-process gRPC emulator). *tier*, or else
    ``SERPENS_TEST_PUBSUB_TIER``, forces one.

    Raises:
        ConfigurationError: the forced tier is not one of the above.
        BackendUnavailableError: no tier could start; the message says why for each.
    """
    return select_tier(
        "pubsub",
        _ORDER,
        {
            "env": _start_env,
            "local": lambda: PubSubEmulator("local", executable=_gcloud_executable()).start(),
            "inproc": lambda: PubSubEmulator("inproc").start(),
        },
        tier,
    )
