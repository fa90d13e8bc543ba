"""docs/database.md's Alembic and testgres examples, run inside a small service project.

The project has what the examples import: ``myapp/models.py``, an ``alembic/`` folder
whose ``env.py`` is the documented one, the sample migrations, the documented stairway
test as ``test_migrations.py`` and the documented testgres set-up as ``conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
MIGRATIONS = Path(__file__).parent / "migrations"
MODELS = """
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
"""
TESTGRES_RUN = """
import asyncio, os, runpy

import redis
from sqlalchemy import select, text

db = runpy.run_path("conftest.py")["db"]

from myapp.models import User
from serpens.database import async_db_session, db_session

with db_session() as sess:
    sess.add(User(name="ana"))
with db_session() as sess:  # the tables were created in the default schema
    assert sess.execute(text("SELECT name FROM app.users")).scalar_one() == "ana"


async def read() -> str:
    async with async_db_session() as sess:
        return (await sess.scalars(select(User))).one().name


assert asyncio.run(read()) == "ana"
db.truncate()
with db_session() as sess:
    assert sess.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
print("ok")
"""


@pytest.fixture(name="project")
def _project(tmp_path: Path) -> Path:
    (tmp_path / "myapp").mkdir()
    (tmp_path / "myapp" / "__init__.py").write_text("")
    (tmp_path / "myapp" / "models.py").write_text(MODELS)
    alembic = tmp_path / "alembic"
    shutil.copytree(MIGRATIONS / "versions", alembic / "versions")
    shutil.copy(MIGRATIONS / "script.py.mako", alembic)
    shutil.copy(EXAMPLES / "alembic_env.py", alembic / "env.py")
    shutil.copy(EXAMPLES / "alembic_test_migrations.py", tmp_path / "test_migrations.py")
    shutil.copy(EXAMPLES / "testgres_conftest.py", tmp_path / "conftest.py")
    return tmp_path


def _run(project: Path, code: str, *args: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_URL"))}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code, *args],
        cwd=project,
        env={**clean, "PYTHONPATH": str(project), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.postgres
def test_the_documented_env_py_and_stairway_test_migrate_to_head(
    project: Path, fresh_pg_url: str
) -> None:
    run_test = (
        "import sys; from test_migrations import test_migrations; test_migrations(sys.argv[1])"
    )
    _run(project, run_test, fresh_pg_url)
    engine = create_engine(
        make_url(fresh_pg_url).set(drivername="postgresql+psycopg2"), poolclass=NullPool
    )
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            head = connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()
    assert (tables, head) == ({"users", "orders", "alembic_version"}, "0003")


@pytest.mark.postgres
@pytest.mark.redis
def test_the_documented_testgres_setup_wires_postgres_and_redis(
    project: Path, fresh_pg_url: str, redis_url: str
) -> None:
    out = _run(
        project,
        TESTGRES_RUN,
        DATABASE_URL=fresh_pg_url,
        REDIS_URL=redis_url,
        TESTGRES_ALLOW_TRUNCATE="1",  # a database of its own: the documented CI opt-in
    )
    assert out.strip() == "ok"
