"""Code written for serpens 2.9.0 keeps running unchanged: ``serpens.database`` and
``serpens.migrations``.

Each test is a 2.9.0 call site run against PostgreSQL, in a database of its own: the
legacy yoyo runner, the README's FastAPI dependencies and sessions, the optimistic
locking recipe, ``Repository`` and ``bind``.

A failure here means a service pinned to 2.9.0 breaks on upgrade; change the library,
not this module (the deliberate differences are listed in docs/migrating-from-2.9.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# --------------------------------------------------------------------------- migrations


@pytest.fixture(name="own_database")
def _own_database(postgres_url: str) -> Iterator[str]:
    """A database of its own, so yoyo's bookkeeping tables never reach other tests."""
    from sqlalchemy import create_engine  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.pool import NullPool  # noqa: PLC0415

    from serpens.database._url import normalize_url  # noqa: PLC0415

    name = f"compat_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        normalize_url(postgres_url, asynchronous=False),
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_the_legacy_yoyo_runner_is_kept(own_database: str, tmp_path: Path) -> None:
    from serpens import migrations  # noqa: PLC0415

    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001.users.sql").write_text("CREATE TABLE users (id int);\n")
    (folder / "0001.users.rollback.sql").write_text("DROP TABLE users;\n")
    assert migrations.migrate(own_database, folder) == ["0001.users"]
    assert migrations.migrate(own_database, folder) == []
    assert migrations.rollback(own_database, folder) == ["0001.users"]


# --------------------------------------------------------------------------- database sessions


@pytest.fixture(name="legacy_db")
async def _legacy_db(own_database: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``DATABASE_URL`` set to a database with a versioned ``legacy_notes`` table; nothing bound.

    Returns the mapped class; both engines are disposed afterwards.
    """
    from sqlalchemy import Column, Integer, String  # noqa: PLC0415
    from sqlalchemy.orm import DeclarativeBase  # noqa: PLC0415

    from serpens import database  # noqa: PLC0415

    class Model(DeclarativeBase):
        pass

    class Note(Model):  # no annotations: this module's are strings and these names are local
        __tablename__ = "legacy_notes"
        id = Column(Integer, primary_key=True)
        body = Column(String(20))
        version = Column(Integer, nullable=False)
        __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's spelling

    Model.metadata.create_all(database.bind(own_database))
    database.dispose()
    monkeypatch.setenv("DATABASE_URL", own_database)
    yield Note
    database.dispose()
    await database.async_dispose()


class TestDatabase:
    async def test_the_readme_fastapi_dependencies_commit_and_bind_on_first_use(
        self, legacy_db: Any
    ) -> None:
        import httpx  # noqa: PLC0415
        from fastapi import Depends, FastAPI  # noqa: PLC0415
        from sqlalchemy import select  # noqa: PLC0415

        from serpens.database import (  # noqa: PLC0415
            db_session,
            fastapi_async_session,
            fastapi_session,
        )

        app = FastAPI()

        # The README's `db: Session = Depends(fastapi_session)`, unannotated: this module's
        # annotations are strings FastAPI would resolve in the module, not in this test.
        @app.post("/notes/{i}")
        def create(i: int, db=Depends(fastapi_session)):  # noqa: B008 - the README
            db.add(legacy_db(id=i, body="sync"))
            return {"ok": True}

        @app.post("/async-notes/{i}")
        async def acreate(i: int, db=Depends(fastapi_async_session)):  # noqa: B008
            db.add(legacy_db(id=i, body="async"))
            return {"ok": True}

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.post("/notes/1")).status_code == 200
            assert (await client.post("/async-notes/2")).status_code == 200
        with db_session() as session:  # 2.9.0 committed both: no db.commit() in the handlers
            assert session.scalars(select(legacy_db.body).order_by(legacy_db.id)).all() == [
                "sync",
                "async",
            ]

    async def test_the_optimistic_locking_recipe_catches_stale_data_error(
        self, legacy_db: Any
    ) -> None:
        from sqlalchemy.exc import IntegrityError  # noqa: PLC0415
        from sqlalchemy.orm.exc import StaleDataError  # noqa: PLC0415

        from serpens.database import async_db_session, db_session  # noqa: PLC0415

        with db_session() as session:
            session.add(legacy_db(id=1, body="v1"))

        def handler() -> None:
            with db_session() as session:
                note = session.get(legacy_db, 1)
                with db_session() as other:  # a concurrent update
                    other.get(legacy_db, 1).body = "other"
                note.body = "mine"

        async def duplicate() -> None:
            async with async_db_session() as session:
                session.add(legacy_db(id=1, body="dup"))

        with pytest.raises(StaleDataError):
            handler()
        with pytest.raises(IntegrityError):
            await duplicate()

    def test_bulk_add_flush_false_and_paginate_s_default_page_of_20(self, legacy_db: Any) -> None:
        from serpens.database import Repository, db_session  # noqa: PLC0415

        with db_session() as session:
            repo = Repository(session, legacy_db)
            batch = [legacy_db(id=i, body="p") for i in range(1, 61)]
            assert len(repo.bulk_add(batch, flush=False)) == 60
        with db_session() as session:
            rows, total = Repository(session, legacy_db).paginate(page=2)
            assert ([r.id for r in rows], total) == (list(range(21, 41)), 60)

    async def test_bind_and_async_bind_take_pool_use_lifo_positionally(
        self, legacy_db: Any, own_database: str
    ) -> None:
        from serpens import database  # noqa: PLC0415

        assert database.bind(own_database, False).pool._pool.use_lifo is False  # type: ignore[attr-defined]
        engine = database.async_bind(own_database, False)
        assert engine.sync_engine.pool._pool.use_lifo is False  # type: ignore[attr-defined]


def test_bind_without_a_url_is_the_argument_error_2_9_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """2.9.0 passed ``None`` to ``create_engine``: ``except ArgumentError`` caught it."""
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    from serpens import database  # noqa: PLC0415
    from serpens.errors import ConfigurationError  # noqa: PLC0415

    monkeypatch.delenv("DATABASE_URL", raising=False)
    database.dispose()
    for bind in (database.bind, database.async_bind):
        with pytest.raises(ArgumentError) as raised:
            bind()
        assert isinstance(raised.value, ConfigurationError)
        assert "DATABASE_URL is not set" in str(raised.value)
