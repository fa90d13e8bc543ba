"""The conftest fixtures start lazily, report their tier, mask passwords, and clean up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from serpens.testing import RedisServer, start_redis

CONFTEST = Path(__file__).resolve().parents[2] / "conftest.py"

USES_REDIS = """
import redis

def test_ping(redis_url):
    client = redis.Redis.from_url(redis_url.replace(":sekret@", "@"))
    assert client.ping()
    client.close()
"""


INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
"""


def _project(pytester: pytest.Pytester, **tests: str) -> None:
    """A test project using serpens' own conftest, as a user's suite would copy it."""
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(**tests)


@pytest.fixture(name="outer_redis")
def _outer_redis() -> Iterator[RedisServer]:
    with start_redis("local") as server:
        yield server


def test_summary_names_tier_url_and_start_time(pytester: pytest.Pytester) -> None:
    _project(pytester, test_uses_redis=USES_REDIS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.re_match_lines(
        [r".*serpens test servers.*", r"redis: tier=\w+ redis://127\.0\.0\.1:\d+/0 started in \d"]
    )


def test_summary_masks_the_password_of_an_env_url(
    pytester: pytest.Pytester, outer_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_REDIS_URL", outer_redis.url.replace("redis://", "redis://:sekret@"))
    monkeypatch.delenv("SERPENS_TEST_REDIS_TIER", raising=False)
    _project(pytester, test_uses_redis=USES_REDIS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["redis: tier=env redis://:***@127.0.0.1:*/0 started in *"])
    assert "sekret" not in result.stdout.str()


def test_unused_backends_never_start(pytester: pytest.Pytester) -> None:
    _project(pytester, test_plain="def test_nothing():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "serpens test servers" not in result.stdout.str()


def test_a_backend_that_cannot_start_errors_the_test_never_skips(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERPENS_TEST_REDIS_TIER", "env")
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)
    _project(pytester, test_uses_redis=USES_REDIS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*BackendUnavailableError: cannot start a redis server*"])


DOCS_EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"

USES_DOCS_CONFTEST = """
import os

import psycopg2
import redis


def test_database_url(database_url):
    assert os.environ["DATABASE_URL"] == database_url
    connection = psycopg2.connect(database_url)
    connection.close()


def test_redis(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    assert client.ping()
    client.close()
"""


def test_docs_conftest_example_works_in_a_user_suite(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makeconftest((DOCS_EXAMPLES / "testing_conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_service=USES_DOCS_CONFTEST)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_tests_are_marked_with_the_backends_they_need(pytester: pytest.Pytester) -> None:
    _project(pytester, test_uses_redis=USES_REDIS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-m", "not redis")
    result.assert_outcomes(deselected=1)
    assert "serpens test servers" not in result.stdout.str()
