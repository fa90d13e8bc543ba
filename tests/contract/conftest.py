"""Fixtures shared by the contract-suite tests."""

from __future__ import annotations

# Imported before any pytester run: an inline run snapshots sys.modules and drops what it
# imported on exit, so an SDK first imported inside one would be imported a second time
# afterwards, and httpx (which imports httpcore lazily) would no longer recognise the
# second httpcore's exception classes.
import os
import sqlite3
from collections.abc import Iterator
from functools import cache

import httpcore  # noqa: F401
import httpx  # noqa: F401
import pytest

from serpens.testing import FaultProxy, RedisServer
from serpens_contract.outage import FakeOutages


@pytest.fixture(autouse=True)
def _fresh_model_info() -> None:
    """Under mutation testing, every test builds the repository rules' model info afresh.

    ``model_info`` caches what it reads off a mapped class per process, so only the first
    test of a run would call the column rules (types, lengths, keys) and mutmut, which
    maps each function to the tests that call it, would check their mutants against that
    one test. Outside a mutation run (mutmut sets ``MUTANT_UNDER_TEST``) this does nothing.
    """
    if "MUTANT_UNDER_TEST" in os.environ:
        from serpens._rules import repository  # noqa: PLC0415 - only in a mutation run

        repository._CACHE.clear()


@cache
def _postgres_version(url: str) -> str:
    import psycopg2  # noqa: PLC0415 - only where a PostgreSQL cell runs

    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone() or ("?",)
    connection.close()
    return str(version).split()[0]


@cache
def _redis_version(url: str) -> str:
    import redis  # noqa: PLC0415 - only where a Redis cell runs

    with redis.Redis.from_url(url) as client:
        return str(client.info("server")["redis_version"])


def _backend(request: pytest.FixtureRequest) -> str | None:
    """What the cell's server is, from the session fixtures it uses."""
    names = set(request.fixturenames)
    cls = request.cls.__name__ if request.cls is not None else ""
    if {"postgres_url", "postgres_server"} & names:
        server = request.getfixturevalue("postgres_server")
        return f"PostgreSQL {_postgres_version(server.url)} ({server.tier} tier)"
    if {"redis_url", "redis_server"} & names:
        server = request.getfixturevalue("redis_server")
        return f"Redis {_redis_version(server.url)} ({server.tier} tier)"
    if {"moto_endpoint", "moto_server"} & names:
        import moto  # noqa: PLC0415

        server = request.getfixturevalue("moto_server")
        return f"moto {moto.__version__} server ({server.tier} tier)"
    if {"pubsub_emulator_host", "pubsub_emulator"} & names:
        emulator = request.getfixturevalue("pubsub_emulator")
        return f"Pub/Sub emulator ({emulator.tier} tier)"
    if "sqlite" in cls.lower():
        return f"SQLite {sqlite3.sqlite_version}"
    return None


@pytest.fixture(autouse=True)
def _server_in_contract_report(request: pytest.FixtureRequest) -> None:
    """Name the server and its version on the contract report's row of each cell."""
    backend = _backend(request)
    if backend is not None:
        request.node.user_properties.append(("serpens_backend", backend))


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
