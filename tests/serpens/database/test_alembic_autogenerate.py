"""``alembic revision --autogenerate`` of ``TimestampMixin`` models, then ``upgrade head``.

Run as a service would: the Alembic CLI in a fresh project (``alembic init``), the
documented one-line ``env.py``, a real PostgreSQL (and SQLite). serpens 2.9 users got a
migration naming ``serpens_sqlalchemy._types.UTCDateTime`` without importing it, and
``upgrade`` died with ``NameError``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from serpens.database._url import normalize_url

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"

MODELS = """
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from serpens.database import Base, TimestampMixin, UTCDateTime


class User(TimestampMixin, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Audit(Base):
    __tablename__ = "audits"
    id: Mapped[int] = mapped_column(primary_key=True)
    seen_at = mapped_column(UTCDateTime(), nullable=True)
"""

CUSTOM_ENV = """
from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from myapp.models import Base
from serpens.database.alembic import migration_url, render_item

engine = create_engine(migration_url(context.config), poolclass=NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_item=render_item
    )
    with context.begin_transaction():
        context.run_migrations()
"""


def _alembic(project: Path, url: str, *args: str) -> str:
    return _run(project, url, "-m", "alembic", *args)


def _run(project: Path, url: str, *args: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_URL"))}
    pythonpath = os.pathsep.join([str(project), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-W", "error", *args],
        cwd=project,
        env={**clean, "PYTHONPATH": pythonpath, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result.stdout + result.stderr


ROUND_TRIP = """
from sqlalchemy import select
from myapp.models import User
from serpens.database import db_session

with db_session() as session:  # binds from DATABASE_URL on first use
    session.add(User(name="ana"))
with db_session() as session:
    created = session.scalars(select(User.created_at)).one()
print(created.tzname(), "aware" if created.utcoffset() is not None else "naive")
"""


def _python(project: Path, url: str, code: str) -> str:
    return _run(project, url, "-c", code)


def _project(root: Path, url: str, env_py: str | None) -> Path:
    project = root / "service"
    project.mkdir()
    _alembic(project, url, "init", "alembic")  # Alembic's own template, as a user starts
    ini = project / "alembic.ini"  # the README's minimal ini: the URL comes from DATABASE_URL
    lines = ini.read_text().splitlines()
    ini.write_text(
        "\n".join("sqlalchemy.url =" if x.startswith("sqlalchemy.url") else x for x in lines)
    )
    (project / "myapp").mkdir()
    (project / "myapp" / "__init__.py").write_text("")
    (project / "myapp" / "models.py").write_text(MODELS)
    if env_py is None:
        shutil.copy(EXAMPLES / "alembic_env.py", project / "alembic" / "env.py")
    else:
        (project / "alembic" / "env.py").write_text(env_py)
    return project


def _migrations(project: Path) -> list[Path]:
    return sorted((project / "alembic" / "versions").glob("*.py"), key=lambda p: p.stat().st_mtime)


@pytest.fixture(name="url", params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
def _url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return str(request.getfixturevalue("fresh_pg_url"))


@pytest.mark.parametrize("env_py", [None, CUSTOM_ENV], ids=["documented-env", "custom-env"])
def test_autogenerate_then_upgrade_head(tmp_path: Path, url: str, env_py: str | None) -> None:
    project = _project(tmp_path, url, env_py)
    _alembic(project, url, "revision", "--autogenerate", "-m", "users")
    (first,) = _migrations(project)
    source = first.read_text()
    assert "serpens" not in source  # no import path into the library's internals
    assert "sa.Column('created_at', sa.DateTime(timezone=True)" in source
    assert "sa.Column('seen_at', sa.DateTime(timezone=True)" in source

    _alembic(project, url, "upgrade", "head")  # was NameError: serpens_sqlalchemy

    engine = create_engine(normalize_url(url, asynchronous=False), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            columns = {c["name"]: c for c in inspect(connection).get_columns("users")}
            assert set(columns) == {"id", "name", "created_at", "updated_at"}
            if connection.dialect.name == "postgresql":
                assert columns["created_at"]["type"].timezone is True
    finally:
        engine.dispose()

    # The models round-trip aware UTC datetimes through the migrated table.
    out = _python(project, url, ROUND_TRIP)
    assert out.strip() == "UTC aware"

    # Models and migrations agree: a second autogenerate finds nothing to do.
    _alembic(project, url, "revision", "--autogenerate", "-m", "nothing")
    second = _migrations(project)[-1].read_text()
    upgrade = second.split("def upgrade()")[1].split("def downgrade()")[0]
    assert "op." not in upgrade, upgrade

    _alembic(project, url, "downgrade", "base")


# A database created by serpens 2.9 (or by hand): every constraint has PostgreSQL's
# default name (accounts_pkey, accounts_email_key, logins_account_id_fkey).
DATABASE_29 = """
CREATE TABLE accounts (
    id SERIAL PRIMARY KEY,
    email VARCHAR(100) NOT NULL UNIQUE,
    code VARCHAR(10) NOT NULL,
    UNIQUE (code, email)
);
CREATE TABLE logins (
    id SERIAL PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id)
);
CREATE INDEX ix_logins_account_id ON logins (account_id);
"""

MODELS_29 = """
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from serpens.database import {import_base}
{define_base}

class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("code", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
    code: Mapped[str] = mapped_column(String(10))


class Login(Base):
    __tablename__ = "logins"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
"""

BASES = {
    "Base": ("Base", ""),
    "declarative_base": ("declarative_base", "Base = declarative_base()"),
    "naming_convention": (
        "declarative_base\nfrom serpens.database._base import NAMING_CONVENTION",
        "Base = declarative_base(naming_convention=NAMING_CONVENTION)",
    ),
}


@pytest.mark.postgres
@pytest.mark.parametrize("base", list(BASES))
def test_autogenerate_against_default_constraint_names(
    tmp_path: Path, fresh_pg_url: str, base: str
) -> None:
    """serpens 2.9's ``Base`` had no naming convention: its databases must diff clean."""
    engine = create_engine(normalize_url(fresh_pg_url, asynchronous=False), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(DATABASE_29)
    finally:
        engine.dispose()
    project = _project(tmp_path, fresh_pg_url, None)
    import_base, define_base = BASES[base]
    (project / "myapp" / "models.py").write_text(
        MODELS_29.format(import_base=import_base, define_base=define_base)
    )

    _alembic(project, fresh_pg_url, "revision", "--autogenerate", "-m", "upgrade from 2.9")
    (revision,) = _migrations(project)
    upgrade = revision.read_text().split("def upgrade()")[1].split("def downgrade()")[0]
    if base == "naming_convention":  # the opt-in renames every unique constraint
        # Alembic 1.13 writes the old name bare, later versions in op.f()
        assert re.search(r"op\.drop_constraint\((op\.f\()?'accounts_email_key'", upgrade), upgrade
        assert "op.create_unique_constraint(op.f('uq_accounts_email')" in upgrade, upgrade
    else:
        assert "op." not in upgrade, upgrade
