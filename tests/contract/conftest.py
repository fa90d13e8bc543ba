"""Fixtures shared by the contract-suite tests."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

# Imported before any pytester run: an inline run snapshots sys.modules and drops what it
# imported on exit, so an SDK first imported inside one would be imported a second time
# afterwards, and httpx (which imports httpcore lazily) would no longer recognise the
# second httpcore's exception classes.
import httpcore  # noqa: F401
import httpx  # noqa: F401
import pytest

from serpens.testing import FaultProxy, RedisServer
from serpens_contract.outage import FakeOutages


@pytest.fixture
def mutant_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis settings for the sandboxed mutant runs.

    Derandomised (the ``ci`` profile), so a differential test meets the same examples
    every run and catches a mutant always or never, not by luck; no shrinking, since a
    mutant run only needs to know that a test fails.
    """
    monkeypatch.setenv("SERPENS_CONTRACT_PROFILE", "ci")
    monkeypatch.setenv("SERPENS_CONTRACT_SHRINK", "0")


@pytest.fixture
def fake_outages() -> FakeOutages:
    """The outage hook of a cell of fakes: track each fake it opens, return ``.outage``."""
    return FakeOutages()


@pytest.fixture
def redis_proxy(redis_server: RedisServer) -> Iterator[FaultProxy]:
    """A FaultProxy in front of the session's Redis, for one test."""
    with FaultProxy(upstream=(redis_server.host, redis_server.port)) as proxy:
        yield proxy


@pytest.fixture
def moto_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    """A FaultProxy in front of moto's server, for one test (build clients on its URL)."""
    address = urlsplit(moto_endpoint)
    assert address.hostname is not None
    assert address.port is not None
    with FaultProxy(upstream=(address.hostname, address.port)) as proxy:
        yield proxy
