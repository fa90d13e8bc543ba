"""serpens.database.alembic on PostgreSQL in the test's own process: the advisory lock
that serialises concurrent runs, run_migrations' options reaching Alembic, and the ways
``stairway``/``assert_single_head`` take their configuration.

``test_alembic.py`` shows two deploys at once in subprocesses; here the lock is held by
the test itself, with the key the module documents (derived from the version table's
name), so a run that does not wait, waits on another key or never releases it fails here.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import threading
import time
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from serpens.database.alembic import assert_single_head, stairway

pytestmark = pytest.mark.postgres

MIGRATIONS = Path(__file__).parent / "migrations"

# The key of the version table ``alembic_version``: serpens' own, stable across releases
# (a deploy running the previous serpens must wait on the same key).
KEY = int.from_bytes(
    hashlib.blake2b(b"serpens.alembic:alembic_version", digest_size=8).digest(),
    "big",
    signed=True,
)


def _config(url: str, directory: Path = MIGRATIONS) -> Config:
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(directory))
    config.attributes["sqlalchemy.url"] = url
    return config


def _admin(url: str) -> Engine:
    return create_engine(make_url(url).set(drivername="postgresql+psycopg2"), poolclass=NullPool)


def test_a_run_waits_for_the_advisory_lock_and_releases_it(fresh_pg_url: str) -> None:
    admin = _admin(fresh_pg_url)
    errors: list[BaseException] = []

    def upgrade() -> None:
        try:
            command.upgrade(_config(fresh_pg_url), "head")
        except BaseException as exc:
            errors.append(exc)

    try:
        with admin.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": KEY})
            holder.commit()
            worker = threading.Thread(target=upgrade, daemon=True)
            worker.start()
            time.sleep(1.5)
            assert worker.is_alive(), errors  # waiting for the lock
            assert "alembic_version" not in inspect(holder).get_table_names()
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": KEY})
            holder.commit()
            worker.join(60)
        assert not worker.is_alive()
        assert errors == []
        with admin.connect() as other:
            assert other.scalar(text("SELECT version_num FROM alembic_version")) == "0003"
            # released: another session takes it at once
            assert other.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": KEY}) is True
    finally:
        admin.dispose()


def test_run_migrations_options_reach_alembic(fresh_pg_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory)
    (directory / "env.py").write_text(
        "from serpens.database.alembic import run_migrations\n\n"
        'run_migrations(version_table_schema="audit")\n'
    )
    admin = _admin(fresh_pg_url)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql("CREATE SCHEMA audit")
        command.upgrade(_config(fresh_pg_url, directory), "head")
        with admin.connect() as connection:
            assert inspect(connection).get_table_names("audit") == ["alembic_version"]
            assert "alembic_version" not in inspect(connection).get_table_names()
    finally:
        admin.dispose()


def test_an_alembic_ini_path_is_a_configuration(tmp_path: Path, fresh_pg_url: str) -> None:
    ini = tmp_path / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {MIGRATIONS}\n")
    assert assert_single_head(ini) == "0003"
    assert assert_single_head(str(ini)) == "0003"
    assert stairway(ini, fresh_pg_url) == ["0001", "0002", "0003"]


def test_a_url_object_reaches_alembic_with_its_password(fresh_pg_url: str) -> None:
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(MIGRATIONS))
    url = make_url(fresh_pg_url).set(password="pw-s3cret")  # trust auth ignores it
    assert stairway(config, url) == ["0001", "0002", "0003"]
    assert config.attributes["sqlalchemy.url"] == url.render_as_string(hide_password=False)
