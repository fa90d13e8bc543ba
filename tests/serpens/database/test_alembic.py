"""serpens.database.alembic against real PostgreSQL (and SQLite) with a sample migration set."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from serpens.database.alembic import assert_single_head, migration_url, stairway
from serpens.errors import ConfigurationError

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(url: str | None = None, directory: Path = MIGRATIONS) -> Config:
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(directory))
    if url is not None:
        config.attributes["sqlalchemy.url"] = url
    return config


def _state(url: str) -> tuple[set[str], list[str]]:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg2"), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            versions = (
                list(connection.scalars(text("SELECT version_num FROM alembic_version")))
                if "alembic_version" in tables
                else []
            )
    finally:
        engine.dispose()
    return tables - {"alembic_version"}, versions


@pytest.mark.postgres
class TestRunMigrations:
    def test_upgrade_and_downgrade_online_with_database_url(
        self, fresh_pg_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # postgres:// as Heroku-style platforms hand it out; migrations use psycopg2.
        monkeypatch.setenv("DATABASE_URL", fresh_pg_url.replace("postgresql://", "postgres://"))
        config = _config()
        command.upgrade(config, "head")
        assert _state(fresh_pg_url) == ({"users", "orders"}, ["0003"])
        command.downgrade(config, "0001")
        assert _state(fresh_pg_url) == ({"users"}, ["0001"])
        command.downgrade(config, "base")
        assert _state(fresh_pg_url) == (set(), [])

    def test_models_match_the_migrations(self, fresh_pg_url: str) -> None:
        config = _config(fresh_pg_url)
        command.upgrade(config, "head")
        command.check(config)  # raises when autogenerate would emit operations

    async def test_runs_while_an_event_loop_is_running(self, fresh_pg_url: str) -> None:
        # An async URL is fine too: migrations always use the sync driver.
        async_url = fresh_pg_url.replace("postgresql://", "postgresql+asyncpg://")
        command.upgrade(_config(async_url), "head")
        assert _state(fresh_pg_url) == ({"users", "orders"}, ["0003"])

    def test_a_caller_supplied_connection_is_used(self, fresh_pg_url: str) -> None:
        engine = create_engine(make_url(fresh_pg_url).set(drivername="postgresql+psycopg2"))
        config = _config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
        engine.dispose()
        assert _state(fresh_pg_url) == ({"users"}, ["0002"])

    def test_failed_migration_leaves_nothing_half_done(
        self, fresh_pg_url: str, tmp_path: Path
    ) -> None:
        directory = tmp_path / "migrations"
        shutil.copytree(MIGRATIONS, directory)
        (directory / "versions" / "0004_broken.py").write_text(
            'revision = "0004"\ndown_revision = "0003"\n\n'
            "from alembic import op\n\n\n"
            "def upgrade():\n"
            '    op.execute("CREATE TABLE half (id int)")\n'
            '    op.execute("SELECT missing_function()")\n\n\n'
            "def downgrade():\n    pass\n"
        )
        with pytest.raises(DBAPIError):
            command.upgrade(_config(fresh_pg_url, directory), "head")
        assert "half" not in _state(fresh_pg_url)[0]


class TestOfflineAndSQLite:
    def test_offline_mode_renders_sql_without_a_database(self) -> None:
        config = _config("postgresql://app:s3cr3t@db.invalid/app")
        buffer = io.StringIO()
        config.output_buffer = buffer
        command.upgrade(config, "head", sql=True)
        script = buffer.getvalue()
        assert "CREATE TABLE users" in script
        assert "ALTER TABLE users ADD COLUMN email VARCHAR(200)" in script
        assert "UPDATE alembic_version SET version_num='0003'" in script

    def test_sqlite_uses_batch_mode(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
        config = _config(url)
        command.upgrade(config, "head")
        command.downgrade(config, "0001")  # drop_column on SQLite needs batch mode
        engine = create_engine(url)
        columns = {c["name"] for c in inspect(engine).get_columns("users")}
        engine.dispose()
        assert columns == {"id", "name"}

    def test_url_precedence(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", "postgres://env@h/db")
        config = _config()
        assert migration_url(config).render_as_string() == "postgresql+psycopg2://env@h/db"
        config.set_main_option("sqlalchemy.url", "postgresql://ini@h/db")
        assert migration_url(config).username == "ini"
        config.attributes["sqlalchemy.url"] = "postgresql+asyncpg://attr@h/db"
        assert migration_url(config).username == "attr"
        assert migration_url(config, "postgresql://arg@h/db").username == "arg"

    def test_missing_url_is_a_configuration_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        with pytest.raises(ConfigurationError, match="DATABASE_URL"):
            migration_url(_config())

    def test_single_head(self, tmp_path: Path) -> None:
        assert assert_single_head(MIGRATIONS) == "0003"
        directory = tmp_path / "migrations"
        shutil.copytree(MIGRATIONS, directory)
        (directory / "versions" / "0003b_branch.py").write_text(
            'revision = "0003b"\ndown_revision = "0002"\n\n\n'
            "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
        )
        with pytest.raises(ConfigurationError, match="one migration head"):
            assert_single_head(directory)


@pytest.mark.postgres
class TestStairway:
    def test_walks_every_revision_and_ends_at_head(self, fresh_pg_url: str) -> None:
        assert stairway(MIGRATIONS, fresh_pg_url) == ["0001", "0002", "0003"]
        assert _state(fresh_pg_url) == ({"users", "orders"}, ["0003"])

    def test_catches_a_downgrade_that_forgets_to_drop(
        self, fresh_pg_url: str, tmp_path: Path
    ) -> None:
        directory = tmp_path / "migrations"
        shutil.copytree(MIGRATIONS, directory)
        (directory / "versions" / "0004_leaky.py").write_text(
            'revision = "0004"\ndown_revision = "0003"\n\n'
            "import sqlalchemy as sa\nfrom alembic import op\n\n\n"
            "def upgrade():\n"
            '    op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True))\n\n\n'
            "def downgrade():\n    pass  # forgot op.drop_table\n"
        )
        with pytest.raises(DBAPIError, match="audit"):
            stairway(_config(fresh_pg_url, directory))


@pytest.mark.postgres
def test_concurrent_runs_are_serialised(fresh_pg_url: str, tmp_path: Path) -> None:
    """Two deploys at once (e.g. Lambdas): the advisory lock lets exactly one migrate."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory)
    # A slow first step makes the two runs overlap despite interpreter start-up jitter.
    first = directory / "versions" / "0001_users.py"
    first.write_text(
        first.read_text().replace(
            "def upgrade() -> None:\n",
            'def upgrade() -> None:\n    op.execute("SELECT pg_sleep(0.6)")\n',
        )
    )
    script = (
        "import sys\nfrom alembic import command\nfrom alembic.config import Config\n"
        "config = Config()\nconfig.set_main_option('script_location', sys.argv[1])\n"
        "command.upgrade(config, 'head')\n"
    )
    env = {**os.environ, "DATABASE_URL": fresh_pg_url}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(directory)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = [(run.wait(timeout=60), run.communicate()[1]) for run in runs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    assert _state(fresh_pg_url) == ({"users", "orders"}, ["0003"])
