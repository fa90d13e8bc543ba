"""serpens.testgres from unittest and pytest, each in a subprocess of its own (it binds globals)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from serpens import testgres
from serpens.database import Base

pytestmark = pytest.mark.postgres

# Models are declared AFTER setup() on purpose: create_all must wait for the first connection.
SUITE = """
import asyncio
import os
import unittest

from sqlalchemy import Integer, String, select, text
from sqlalchemy.orm import Mapped, mapped_column

from serpens import database, testgres
from serpens.database import Base, TimestampMixin

handle = testgres.setup(
    Base,
    async_mode=True,
    redis_mode=REDIS_MODE,
    default_schema="app,extra",
    uri=os.environ["PG"],
    allow_truncate=True,  # a database of its own, created by the test
)


class Widget(TimestampMixin, Base):
    __tablename__ = "widgets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


class Ledger(Base):
    __tablename__ = "ledger"
    __table_args__ = {"schema": "books"}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class TestWithTestgres(unittest.TestCase):
    def setUp(self):
        handle.truncate()

    def test_sync_factory_is_bound_and_tables_exist(self):
        with database.db_session() as session:
            session.add(Widget(name="sync"))
        with database.SessionLocal() as session:
            self.assertEqual(session.scalars(select(Widget.name)).all(), ["sync"])
            path = session.execute(text("SELECT current_schemas(false)")).scalar_one()
            self.assertEqual(path, ["app", "extra"])
            table_schema = session.execute(text(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'widgets'"
            )).scalar_one()
            self.assertEqual(table_schema, "app")
            schemas = set(session.scalars(text("SELECT nspname FROM pg_namespace")))
            self.assertTrue({"app", "extra", "books"} <= schemas)

    def test_async_factory_is_bound_to_the_same_database(self):
        async def scenario():
            async with database.async_db_session() as session:
                session.add(Widget(name="async"))
            async with database.AsyncSessionLocal() as session:
                return (await session.scalars(select(Widget.name))).all()

        self.assertEqual(asyncio.run(scenario()), ["async"])
        with database.SessionLocal() as session:
            self.assertEqual(session.scalars(select(Widget.name)).all(), ["async"])

    def test_environment_is_exported(self):
        self.assertEqual(os.environ["DATABASE_URL"], os.environ["PG"])
        self.assertEqual(os.environ.get("REDIS_URL"), os.environ.get("EXPECTED_REDIS"))
"""


def _env(pg_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(PG=pg_url, **extra)
    return env


def test_unittest_runner(fresh_pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "test_suite.py").write_text(SUITE.replace("REDIS_MODE", "False"))
    result = subprocess.run(
        [sys.executable, "-m", "unittest", "-v", "test_suite"],
        cwd=tmp_path,
        env=_env(fresh_pg_url, PYTHONWARNINGS="error"),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Ran 3 tests" in result.stderr
    assert "OK" in result.stderr


def test_pytest_runner_with_redis(
    fresh_pg_url: str, redis_url: str, pytester: pytest.Pytester
) -> None:
    pytester.makeini(
        "[pytest]\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_suite=SUITE.replace("REDIS_MODE", "True"))
    for name, value in _env(fresh_pg_url, REDIS_URL=redis_url, EXPECTED_REDIS=redis_url).items():
        pytester._monkeypatch.setenv(name, value)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=3)


def test_the_handle_repr_masks_passwords() -> None:
    handle = testgres.TestDatabase(
        url="postgresql://app:s3cr3t-pw@db:5432/app",
        redis_url="redis://:r3dis-pw@cache:6379/0",
        metadata=Base.metadata,
        schemas=["app"],
    )
    shown = repr(handle)
    assert "s3cr3t-pw" not in shown
    assert "r3dis-pw" not in shown
    assert "app:***@db:5432" in shown


def test_unreachable_server_is_a_clear_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="did not accept connections") as caught:
        testgres.setup(Base, uri="postgresql://app:s3cr3t-pw@127.0.0.1:1/app", wait_timeout=0.3)
    assert "s3cr3t-pw" not in str(caught.value)
    assert "app:***@127.0.0.1:1" in str(caught.value)


START_SCRIPT = """
import os, socket
from urllib.parse import urlsplit
from sqlalchemy import Integer, select
from sqlalchemy.orm import Mapped, mapped_column
from serpens import database, testgres
from serpens.database import Base

handle = testgres.setup(Base)


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


with database.db_session() as session:
    session.add(Thing())
with database.SessionLocal() as session:
    assert session.scalars(select(Thing.id)).all() == [1]
assert os.environ["DATABASE_URL"] == handle.url
assert handle.owned
handle.truncate()  # its own throw-away server: no opt-in needed
with database.SessionLocal() as session:
    assert session.scalars(select(Thing.id)).all() == []
print(urlsplit(handle.url).port)
"""


def test_starts_a_throwaway_server_without_a_url(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "TEST_POSTGRES_URL", "SERPENS_TEST_POSTGRES_TIER"}
    }
    result = subprocess.run(
        [sys.executable, "-c", START_SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    port = int(result.stdout.strip().splitlines()[-1])
    with pytest.raises(OSError):  # stopped at exit
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()


def test_a_server_that_cannot_start_is_a_clear_runtime_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("TEST_POSTGRES_URL", raising=False)
    monkeypatch.setenv("SERPENS_TEST_POSTGRES_TIER", "env")
    with pytest.raises(RuntimeError, match="could not start postgres"):
        testgres.setup(Base)


# -- 2.9's positional order; tables before the first test; truncation only when safe ----

POSITIONAL = """
import os
from serpens import database, testgres
from serpens.database import Base

handle = testgres.setup(Base, os.environ["PG"], "app", True, False)
assert handle.url == os.environ["PG"]
assert handle.schemas == ["app"]
assert handle.redis_url is None
database.get_async_engine()  # async_mode=True, the fourth positional parameter
print("ok")
"""


def test_the_positional_order_is_2_9s(fresh_pg_url: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", POSITIONAL],
        cwd=tmp_path,
        env=_env(fresh_pg_url),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


# The first thing the tests do is a raw psycopg2 connection, never serpens' engines; the
# model is declared after setup(), in the test module.
RAW_CONFTEST = """
import os
from serpens import testgres
from serpens.database import Base

handle = testgres.setup(Base, uri=os.environ["PG"])
"""

EARLY_MODELS = """
from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column
from serpens.database import Base


class Early(Base):
    __tablename__ = "early"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
"""

RAW_TESTS = """
import os
import unittest

import psycopg2
from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from serpens.database import Base


class Late(Base):
    __tablename__ = "late"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class TestRawConnection(unittest.TestCase):
    def test_tables_exist_for_a_raw_connection(self):
        with psycopg2.connect(os.environ["PG"]) as connection, connection.cursor() as cursor:
            cursor.execute("INSERT INTO late (id) VALUES (1)")
            cursor.execute("INSERT INTO early (id) VALUES (1)")
            cursor.execute("SELECT count(*) FROM late")
            self.assertEqual(cursor.fetchone(), (1,))
"""


def test_tables_exist_before_the_first_test_under_unittest(
    fresh_pg_url: str, tmp_path: Path
) -> None:
    # unittest: the package __init__ calls setup() (with a model imported before it), and
    # the test module declares another model afterwards.
    package = tmp_path / "suite"
    package.mkdir()
    (package / "models.py").write_text(EARLY_MODELS)
    (package / "__init__.py").write_text("from suite import models\n" + RAW_CONFTEST)
    (package / "test_raw.py").write_text(RAW_TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "unittest", "-v", "suite.test_raw"],
        cwd=tmp_path,
        env=_env(fresh_pg_url, PYTHONWARNINGS="error"),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Ran 1 test" in result.stderr


def test_tables_exist_before_the_first_test_under_pytest(
    fresh_pg_url: str, pytester: pytest.Pytester
) -> None:
    pytester.makeini(
        "[pytest]\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        conftest="import models\n" + RAW_CONFTEST, models=EARLY_MODELS, test_raw=RAW_TESTS
    )
    for name, value in _env(fresh_pg_url).items():
        pytester._monkeypatch.setenv(name, value)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


TRUNCATE = """
import os, sys
from sqlalchemy import Integer, select
from sqlalchemy.orm import Mapped, mapped_column
from serpens import database, testgres
from serpens.database import Base
from serpens.errors import ConfigurationError


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


handle = testgres.setup(Base, **eval(sys.argv[1]))
with database.db_session() as session:
    session.add(Row(id=1))
try:
    handle.truncate()
except ConfigurationError as exc:
    print("refused:", exc)
with database.SessionLocal() as session:
    print("rows:", len(session.scalars(select(Row.id)).all()))
"""


def _truncate(pg_url: str, tmp_path: Path, kwargs: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", TRUNCATE, kwargs],
        cwd=tmp_path,
        env=_env(pg_url, **env),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("source", ["uri", "DATABASE_URL"])
def test_a_database_it_did_not_start_is_never_truncated_without_opt_in(
    fresh_pg_url: str, tmp_path: Path, source: str
) -> None:
    url = make_url(fresh_pg_url).set(password="s3cr3t-pw").render_as_string(hide_password=False)
    if source == "uri":
        out = _truncate(url, tmp_path, "{'uri': os.environ['PG']}")
    else:
        out = _truncate(url, tmp_path, "{}", DATABASE_URL=url)
    assert "refused: serpens.testgres will not truncate" in out
    assert "allow_truncate=True" in out
    assert "TESTGRES_ALLOW_TRUNCATE=1" in out
    assert "s3cr3t-pw" not in out
    assert "rows: 1" in out  # the data is still there


def test_the_opt_in_truncates(fresh_pg_url: str, tmp_path: Path) -> None:
    out = _truncate(fresh_pg_url, tmp_path, "{'uri': os.environ['PG'], 'allow_truncate': True}")
    assert (out.strip(), "refused" in out) == ("rows: 0", False)
    out = _truncate(
        fresh_pg_url, tmp_path, "{'uri': os.environ['PG']}", TESTGRES_ALLOW_TRUNCATE="1"
    )
    assert out.strip() == "rows: 0"
