"""serpens.migrations (the legacy yoyo runner) applies real migrations to PostgreSQL."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from serpens import migrations
from serpens.database._url import normalize_url
from serpens.errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    MissingExtraError,
    NotFoundError,
)
from tests._examples import EXAMPLES, run_example


@pytest.fixture(name="folder")
def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001.create-users.sql").write_text(
        "-- depends:\nCREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL);\n"
    )
    (folder / "0001.create-users.rollback.sql").write_text("DROP TABLE users;\n")
    (folder / "0002.add-email.py").write_text(
        "from yoyo import step\n"
        "__depends__ = {'0001.create-users'}\n"
        "steps = [step('ALTER TABLE users ADD COLUMN email text',"
        " 'ALTER TABLE users DROP COLUMN email')]\n"
    )
    return folder


def _columns(url: str) -> list[str]:
    engine = create_engine(normalize_url(url, asynchronous=False), poolclass=NullPool)
    try:
        tables = inspect(engine)
        if not tables.has_table("users"):
            return []
        return [c["name"] for c in tables.get_columns("users")]
    finally:
        engine.dispose()


def test_migrate_applies_pending_migrations_once(fresh_pg_url: str, folder: Path) -> None:
    assert fresh_pg_url.startswith("postgresql://")
    url = fresh_pg_url.replace("postgresql://", "postgres://", 1)  # the Heroku-era spelling
    assert migrations.pending(url, folder) == ["0001.create-users", "0002.add-email"]
    assert migrations.migrate(url, folder) == ["0001.create-users", "0002.add-email"]
    assert _columns(fresh_pg_url) == ["id", "name", "email"]
    assert migrations.migrate(url, folder) == []  # idempotent
    assert migrations.rollback(url, folder) == ["0002.add-email"]
    assert _columns(fresh_pg_url) == ["id", "name"]


def test_the_lambda_handler_reads_the_environment(
    fresh_pg_url: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_pg_url.replace("://", "+psycopg2://", 1))
    monkeypatch.setenv("MIGRATIONS_PATH", str(folder))
    assert migrations.migrate_handler({}, None) == {
        "applied": ["0001.create-users", "0002.add-email"]
    }
    assert "email" in _columns(fresh_pg_url)


def test_a_failing_migration_is_rolled_back_and_raises(fresh_pg_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "0001.ok.sql").write_text("CREATE TABLE ok_table (id int);\n")
    (folder / "0002.bad.sql").write_text(
        "-- depends: 0001.ok\nCREATE TABLE half (id int);\nSELECT * FROM no_such_table;\n"
    )
    with pytest.raises(Exception, match="no_such_table"):
        migrations.migrate(fresh_pg_url, folder)
    engine = create_engine(normalize_url(fresh_pg_url, asynchronous=False), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            names = set(connection.scalars(text("SELECT tablename FROM pg_tables")))
    finally:
        engine.dispose()
    assert "ok_table" in names
    assert "half" not in names


def test_configuration_errors_are_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "migrations").mkdir()
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        migrations.migrate(path=tmp_path / "migrations")
    with pytest.raises(NotFoundError, match="nowhere"):
        migrations.migrate("postgresql://u:secret@127.0.0.1:1/db", tmp_path / "nowhere")
    with pytest.raises(ConfigurationError) as raised:  # a malformed URL
        migrations.migrate("postgresql://u:secret@127.0.0.1:nan/db", tmp_path / "migrations")
    assert "secret" not in str(raised.value)
    with pytest.raises(BackendUnavailableError) as refused:  # an outage, not configuration
        migrations.migrate("postgresql://u:secret@127.0.0.1:1/db", tmp_path / "migrations")
    assert "secret" not in str(refused.value)


def test_the_folder_defaults_to_migrations_and_a_query_may_hold_a_url(
    fresh_pg_url: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MIGRATIONS_PATH", raising=False)
    monkeypatch.chdir(folder.parent)  # ./migrations, as a service's working directory has
    # SQLAlchemy's driver name, turned into yoyo's, and "://" twice
    driver = fresh_pg_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    url = f"{driver}?application_name=https://orders.example.com"
    assert migrations.pending(url) == ["0001.create-users", "0002.add-email"]


def test_a_url_without_a_scheme_or_without_yoyo_is_a_configuration_error(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match=r"^invalid database URL: app-db$"):
        migrations.pending("app-db", folder)
    monkeypatch.setitem(sys.modules, "yoyo", None)  # serpens[migrations-yoyo] not installed
    with pytest.raises(MissingExtraError) as missing:
        migrations.pending("postgresql://u@127.0.0.1:1/db", folder)
    assert missing.value.extra == "migrations-yoyo"


def test_a_url_libpq_refuses_is_configuration_not_an_outage(
    fresh_pg_url: str, folder: Path
) -> None:
    # psycopg2 raises ProgrammingError ("invalid dsn"), not OperationalError: no outage
    url = make_url(fresh_pg_url).set(password="s3cr3t-pw")
    with pytest.raises(ConfigurationError) as caught:
        migrations.pending(f"{url.render_as_string(hide_password=False)}?bogus=1", folder)
    assert not isinstance(caught.value, BackendError)
    shown = url.render_as_string(hide_password=True)
    assert str(caught.value) == f"cannot open {shown}?bogus=1 for migrations: ProgrammingError"


def test_the_documented_example_runs(fresh_pg_url: str, tmp_path: Path) -> None:
    result = run_example(
        str(EXAMPLES / "migrations_yoyo.py"),
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": fresh_pg_url},
        strict=True,
    )
    assert result.returncode == 0, result.stderr
