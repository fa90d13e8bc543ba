"""serpens.database.alembic in the test's own process: autogenerate's defaults, batch
rendering, a connection the caller gives, a failure inside a running event loop, offline
SQL, and the stairway over a merge.

Autogenerate renders batch operations on SQLite, and elsewhere when ``render_as_batch``
asks, both by URL and through a connection the caller places in
``config.attributes["connection"]`` (Alembic's cookbook pattern);
a migration that fails in the worker thread ``run_migrations`` moves to under an event
loop raises its own error; ``stairway`` walks a history whose branches merge, stepping
each revision alone (Alembic's ``-1`` from a merge is an ambiguous walk, and a branch's
``down_revision`` as the target took a sibling branch's head down too).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from serpens.database.alembic import stairway

MIGRATIONS = Path(__file__).parent / "migrations"

_ENV = """
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

from serpens.database import UTCDateTime
from serpens.database.alembic import run_migrations

metadata = MetaData()
Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),  # the migrations made String(100)
    Column("email", String(200), nullable=True),
    Column("nickname", String(20), nullable=True),  # no migration adds these two
    Column("seen_at", UTCDateTime(), nullable=True),
)
Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
)

run_migrations(target_metadata=metadata{options})
"""


def _config(directory: Path, url: str | None = None) -> Config:
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(directory))
    if url is not None:
        config.attributes["sqlalchemy.url"] = url
    return config


def _migrations(tmp_path: Path, options: str = "") -> Path:
    """The sample migrations under *tmp_path*, their env.py's models ahead of them."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory)
    (directory / "env.py").write_text(_ENV.format(options=options))
    return directory


def _drift_rendered(url: str, directory: Path, *, given: bool) -> str:
    """Upgrade, then autogenerate: through a connection of the caller's own, or by URL."""
    engine = create_engine(url, poolclass=NullPool)
    config = _config(directory, None if given else url)
    try:
        with engine.begin() as connection:
            if given:
                config.attributes["connection"] = connection
            command.upgrade(config, "head")
            script = command.revision(config, message="drift", autogenerate=True)
    finally:
        engine.dispose()
    assert script is not None
    assert not isinstance(script, list)
    return Path(script.path).read_text()


@pytest.mark.parametrize("given", [True, False], ids=["given", "url"])
def test_sqlite_renders_batch_operations(tmp_path: Path, given: bool) -> None:
    url = f"sqlite:///{tmp_path / 'given.db'}"
    rendered = _drift_rendered(url, _migrations(tmp_path), given=given)
    assert "with op.batch_alter_table('users', schema=None) as batch_op:" in rendered
    assert "batch_op.add_column(sa.Column('nickname'" in rendered


@pytest.mark.postgres
@pytest.mark.parametrize("given", [True, False], ids=["given", "url"])
@pytest.mark.parametrize(("options", "batch"), [("", False), (", render_as_batch=True", True)])
def test_postgresql_renders_batch_operations_when_asked(
    fresh_pg_url: str, tmp_path: Path, options: str, batch: bool, given: bool
) -> None:
    url = make_url(fresh_pg_url).set(drivername="postgresql+psycopg2")
    directory = _migrations(tmp_path, options)
    rendered = _drift_rendered(url.render_as_string(hide_password=False), directory, given=given)
    assert ("batch_op.add_column(sa.Column('nickname'" in rendered) is batch
    assert ("op.add_column('users', sa.Column('nickname'" in rendered) is not batch


@pytest.mark.postgres
def test_autogenerate_by_default_compares_types_in_the_default_schema_with_plain_types(
    fresh_pg_url: str, tmp_path: Path
) -> None:
    """The defaults of ``run_migrations``: ``compare_type`` on, ``include_schemas`` off,
    serpens' ``render_item``: a changed length is a change, another schema's table is not
    this app's, and a ``UTCDateTime`` column renders as ``sa.DateTime(timezone=True)``."""
    url = make_url(fresh_pg_url).set(drivername="postgresql+psycopg2")
    admin = create_engine(url, poolclass=NullPool)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql("CREATE SCHEMA elsewhere")
            connection.exec_driver_sql("CREATE TABLE elsewhere.stray (id integer)")
    finally:
        admin.dispose()
    rendered = _drift_rendered(
        url.render_as_string(hide_password=False), _migrations(tmp_path), given=False
    )
    assert "existing_type=sa.VARCHAR(length=100)" in rendered
    assert "type_=sa.String(length=50)" in rendered
    assert "sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True)" in rendered
    assert "serpens" not in rendered
    assert "stray" not in rendered


@pytest.mark.postgres
async def test_a_failure_inside_a_running_event_loop_is_raised_as_it_is(
    fresh_pg_url: str,
) -> None:
    """The worker thread's own error reaches the caller, not an error of the hand-over."""
    missing = make_url(fresh_pg_url).set(database="serpens_no_such_database")
    config = _config(MIGRATIONS, missing.render_as_string(hide_password=False))
    with pytest.raises(OperationalError, match="serpens_no_such_database"):
        command.upgrade(config, "head")


_STEP = """
revision = {revision!r}
down_revision = {down!r}

from alembic import op


def upgrade():
    op.execute("CREATE TABLE t_{revision} (id integer)")
    op.execute("INSERT INTO steps (step) VALUES ('up {revision}')")


def downgrade():
    op.execute("DROP TABLE t_{revision}")
    op.execute("INSERT INTO steps (step) VALUES ('down {revision}')")
"""


def test_the_stairway_steps_each_revision_of_branches_and_their_merge(tmp_path: Path) -> None:
    """Up, down and up again, that revision alone: a sibling branch's head stays applied."""
    directory = tmp_path / "merged"
    (directory / "versions").mkdir(parents=True)
    shutil.copy(MIGRATIONS / "script.py.mako", directory / "script.py.mako")
    (directory / "env.py").write_text(
        "from serpens.database.alembic import run_migrations\n\nrun_migrations()\n"
    )
    history = {"a1": None, "b2": "a1", "c2": "a1", "d3": ("b2", "c2")}
    for revision, down in history.items():
        (directory / "versions" / f"{revision}.py").write_text(
            _STEP.format(revision=revision, down=down)
        )
    url = f"sqlite:///{tmp_path / 'merged.db'}"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:  # the log: a table no migration owns
            connection.exec_driver_sql("CREATE TABLE steps (n integer primary key, step text)")
        walked = stairway(directory, url)
        with engine.connect() as connection:
            steps = [row[0] for row in connection.exec_driver_sql("SELECT step FROM steps")]
            heads = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert [row[0] for row in heads] == ["d3"]
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert (walked[0], sorted(walked[1:3]), walked[3]) == ("a1", ["b2", "c2"], "d3")
    assert steps == [f"{way} {r}" for r in walked for way in ("up", "down", "up")]
    assert tables == {"alembic_version", "steps", "t_a1", "t_b2", "t_c2", "t_d3"}


def test_offline_sql_holds_literal_values_and_the_options(tmp_path: Path) -> None:
    """``--sql`` renders a migration's values inline and honours run_migrations' options."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory)
    (directory / "env.py").write_text(
        "from serpens.database.alembic import run_migrations\n\n"
        'run_migrations(version_table_schema="audit")\n'
    )
    (directory / "versions" / "0004_seed.py").write_text(
        'revision = "0004"\ndown_revision = "0003"\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n\n"
        "def upgrade():\n"
        '    users = sa.table("users", sa.column("name", sa.String))\n'
        '    op.execute(users.insert().values(name="seed"))\n\n\n'
        "def downgrade():\n    pass\n"
    )
    config = _config(directory, "postgresql://app:s3cr3t@db.invalid/app")
    buffer = io.StringIO()
    config.output_buffer = buffer
    command.upgrade(config, "head", sql=True)
    script = buffer.getvalue()
    assert "INSERT INTO users (name) VALUES ('seed')" in script
    assert "UPDATE audit.alembic_version SET version_num='0004'" in script
