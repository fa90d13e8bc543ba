"""Session-scoped real servers for the whole test suite (see docs/testing.md).

Each server starts lazily, the first time a test asks for its fixture, and is stopped at
the end of the session. The terminal summary names the tier each backend came from.
A backend that cannot start errors the tests that need it; nothing is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar
from urllib.parse import urlsplit

import pytest

from serpens import _tracing
from serpens.errors import mask_url
from serpens.testing import (
    FaultProxy,
    MotoServer,
    PostgresServer,
    PubSubEmulator,
    RedisServer,
    ServerHandle,
    start_moto,
    start_postgres,
    start_pubsub_emulator,
    start_redis,
)

_STARTED: list[ServerHandle] = []
_NOTES: list[str] = []
_WORKER_LINES: list[str] = []  # pytest-xdist: what the workers reported
_H = TypeVar("_H", bound=ServerHandle)


def _track(handle: _H) -> _H:
    _STARTED.append(handle)
    return handle


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (tier chosen by ``SERPENS_TEST_POSTGRES_TIER``)."""
    with _track(start_postgres()) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """``postgresql://postgres@127.0.0.1:PORT/postgres`` (add the driver suffix yourself)."""
    return postgres_server.url


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's Redis server (tier chosen by ``SERPENS_TEST_REDIS_TIER``)."""
    with _track(start_redis()) as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """``redis://127.0.0.1:PORT/0``."""
    return redis_server.url


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto's server; while the session runs, boto3 and aiobotocore clients point at it."""
    with _track(start_moto()) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", server.url)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        yield server


@pytest.fixture(scope="session")
def moto_endpoint(moto_server: MotoServer) -> str:
    """``http://127.0.0.1:PORT``; ``AWS_ENDPOINT_URL`` and test credentials are set."""
    return moto_server.url


@pytest.fixture
def moto_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    """A FaultProxy in front of moto's server, for one test (build clients on its URL)."""
    address = urlsplit(moto_endpoint)
    assert address.hostname is not None
    assert address.port is not None
    with FaultProxy(upstream=(address.hostname, address.port)) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def pubsub_emulator() -> Iterator[PubSubEmulator]:
    """The session's Pub/Sub emulator; ``PUBSUB_EMULATOR_HOST`` points at it meanwhile."""
    with _track(start_pubsub_emulator()) as emulator, pytest.MonkeyPatch.context() as patch:
        patch.setenv("PUBSUB_EMULATOR_HOST", emulator.host)
        yield emulator


@pytest.fixture(scope="session")
def pubsub_emulator_host(pubsub_emulator: PubSubEmulator) -> str:
    """``127.0.0.1:PORT``, also set as ``PUBSUB_EMULATOR_HOST`` for the session."""
    return pubsub_emulator.host


@pytest.fixture
def tier_note() -> Callable[[str], None]:
    """Add a line to the "serpens test servers" summary: what a test checked, or could not."""
    return _NOTES.append


# fixture -> marker, so `-m "not postgres"` deselects every test that needs that server
_MARKERS = {
    "postgres_server": "postgres",
    "postgres_url": "postgres",
    "redis_server": "redis",
    "redis_url": "redis",
    "moto_server": "aws",
    "moto_endpoint": "aws",
    "pubsub_emulator": "pubsub",
    "pubsub_emulator_host": "pubsub",
}


@pytest.fixture(name="traced", params=[True, False], ids=["traced", "untraced"])
def _traced(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both paths of a traced client: with opentelemetry (installed here) and without it."""
    traced: bool = request.param
    if not traced:
        monkeypatch.setattr(_tracing, "_installed", False)
    return traced


@pytest.fixture(name="untraced")
def _untraced(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as one without opentelemetry: traced calls take their plain path."""
    monkeypatch.setattr(_tracing, "_installed", False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the backends its fixtures need (``-m "not pubsub"`` works)."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        for marker in sorted({_MARKERS[name] for name in names if name in _MARKERS}):
            item.add_marker(marker)


def _summary_lines() -> list[str]:
    lines = [
        f"{handle.backend}: tier={handle.tier} {mask_url(handle.address)} "
        f"started in {handle.start_seconds:.2f} s"
        for handle in _STARTED
    ]
    return lines + _NOTES


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker, hand this worker's summary lines to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["serpens_test_servers"] = _summary_lines()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """On pytest-xdist's controller, gather each worker's servers and notes."""
    del error
    lines = getattr(node, "workeroutput", {}).get("serpens_test_servers", [])
    worker = getattr(getattr(node, "gateway", None), "id", "?")
    _WORKER_LINES.extend(f"{line} [{worker}]" for line in lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which tier each backend used, where, how long it took to start, and test notes."""
    lines = _summary_lines() + _WORKER_LINES
    if not lines:
        return
    terminalreporter.section("serpens test servers")
    for line in lines:
        terminalreporter.write_line(line)
