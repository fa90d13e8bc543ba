"""Both migration runners bound their connect, and only their connect.

A :class:`~serpens.testing.FaultProxy` in front of PostgreSQL freezes (accepts, never
answers) or refuses. ``run_migrations`` (Alembic's ``env.py``) and ``serpens.migrations``
(yoyo) must give up after ``DB_CONNECT_TIMEOUT`` (plus a margin) instead of waiting in
``psycopg2.connect`` for the operating system; yoyo reports the outage as
``BackendTimeoutError``/``BackendUnavailableError``, not ``ConfigurationError``, with the
password masked. A slow but healthy server is not cut short: a migration statement that
runs past ``DB_STATEMENT_TIMEOUT_MS`` and ``DB_CLIENT_TIMEOUT_MS`` still completes.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from serpens import migrations
from serpens.errors import BackendTimeoutError, BackendUnavailableError, ConfigurationError
from serpens.testing import FaultProxy
from tests._postgres_probes import _proxy  # noqa: F401 - fixture
from tests.serpens.database._bounded import in_thread

CONNECT_S = 1
BUDGET_S = CONNECT_S + 1.5  # libpq's timer, the first import of yoyo, a shared runner
HANG_S = 15.0  # where the test gives up on a connect that is not bounded at all
SLOW_STATEMENT_S = 0.6

ENV_PY = """
from serpens.database.alembic import run_migrations

run_migrations()
"""
SLOW_REVISION = f"""
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.execute("CREATE TABLE slow_made (id integer)")
    op.execute("SELECT pg_sleep({SLOW_STATEMENT_S})")


def downgrade() -> None:
    op.execute("DROP TABLE slow_made")
"""
SLOW_YOYO = f"""
from yoyo import step

steps = [
    step("CREATE TABLE slow_yoyo (id integer)"),
    step("DO $$ BEGIN PERFORM pg_sleep({SLOW_STATEMENT_S}); END $$"),
]
"""


@pytest.fixture(autouse=True)
def _short_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    """A connect bound of 1 s, and statement bounds far below the slow migration step."""
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", str(CONNECT_S))
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "100")
    monkeypatch.setenv("DB_CLIENT_TIMEOUT_MS", "200")
    monkeypatch.setenv("DB_PING_TIMEOUT_MS", "100")


@pytest.fixture(name="alembic_dir")
def _alembic_dir(tmp_path: Path) -> Path:
    (tmp_path / "versions").mkdir()
    (tmp_path / "env.py").write_text(ENV_PY)
    (tmp_path / "versions" / "0001_slow.py").write_text(SLOW_REVISION)
    return tmp_path


@pytest.fixture(name="yoyo_dir")
def _yoyo_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "yoyo"
    folder.mkdir()
    (folder / "0001.slow.py").write_text(SLOW_YOYO)
    return folder


def _config(directory: Path, url: str) -> Config:
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(directory))
    config.attributes["sqlalchemy.url"] = url
    return config


def _in_thread(call: Callable[[], Any]) -> tuple[float, BaseException | None]:
    return in_thread(call, HANG_S, "the migration run")


def _with_password(url: str) -> str:
    return make_url(url).set(password="s3cretPW").render_as_string(hide_password=False)


def test_alembic_gives_up_on_a_frozen_server_at_the_connect_timeout(
    proxy: FaultProxy, fresh_pg_url: str, alembic_dir: Path
) -> None:
    proxy.freeze()
    config = _config(alembic_dir, proxy.url_for(fresh_pg_url))
    elapsed, error = _in_thread(lambda: command.upgrade(config, "head"))
    print(f"\nalembic upgrade, frozen server: {elapsed:.2f} s -> {type(error).__name__}")
    assert isinstance(error, OperationalError), repr(error)  # the driver's, as in 2.9
    assert "timeout expired" in str(error)
    assert elapsed < BUDGET_S


def test_alembic_lets_a_long_migration_statement_finish(
    proxy: FaultProxy, fresh_pg_url: str, alembic_dir: Path
) -> None:
    config = _config(alembic_dir, proxy.url_for(fresh_pg_url))
    started = time.monotonic()
    command.upgrade(config, "head")  # pg_sleep(0.6) past every statement bound above
    assert time.monotonic() - started >= SLOW_STATEMENT_S


@pytest.mark.parametrize(
    ("fault", "expected"),
    [("freeze", BackendTimeoutError), ("refuse", BackendUnavailableError)],
)
def test_yoyo_reports_an_outage_within_the_connect_timeout(
    fault: str,
    expected: type[Exception],
    proxy: FaultProxy,
    fresh_pg_url: str,
    yoyo_dir: Path,
) -> None:
    getattr(proxy, fault)()
    url = _with_password(proxy.url_for(fresh_pg_url))
    elapsed, error = _in_thread(lambda: migrations.pending(url, yoyo_dir))
    print(f"\nyoyo pending, {fault}: {elapsed:.2f} s -> {type(error).__name__}: {error}")
    assert isinstance(error, expected), repr(error)
    assert not isinstance(error, ConfigurationError)
    assert "s3cretPW" not in str(error)
    assert "***" in str(error)
    assert elapsed < BUDGET_S


def test_yoyo_lets_a_long_migration_statement_finish(fresh_pg_url: str, yoyo_dir: Path) -> None:
    started = time.monotonic()
    assert migrations.migrate(fresh_pg_url, yoyo_dir) == ["0001.slow"]
    assert time.monotonic() - started >= SLOW_STATEMENT_S
    assert migrations.pending(fresh_pg_url, yoyo_dir) == []


def test_yoyo_keeps_a_connect_timeout_the_url_sets(
    proxy: FaultProxy, fresh_pg_url: str, yoyo_dir: Path
) -> None:
    proxy.freeze()
    url = proxy.url_for(fresh_pg_url) + "?connect_timeout=3"
    elapsed, error = _in_thread(lambda: migrations.pending(url, yoyo_dir))
    assert isinstance(error, BackendTimeoutError), repr(error)
    assert elapsed >= 2.5  # the URL's 3 s, not DB_CONNECT_TIMEOUT's 1 s
