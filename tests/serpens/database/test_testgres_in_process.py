"""serpens.testgres.setup() called in the test's own process, on the session's PostgreSQL.

``test_testgres.py`` runs whole suites in subprocesses (setup() binds globals, registers
an exit hook and wraps unittest); here each promise is checked where a failure points at
the line: the defaults, the schemas on both sides, where the URLs come from, the tables
made for late models (first connection, unittest's run start, the conftest hook),
and truncation with its opt-ins (the waits for the servers: ``test_testgres_waits.py``).
"""

from __future__ import annotations

import os
import unittest
from typing import Any

import pytest
from sqlalchemy import Identity, Integer, String, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool

from serpens import database, testgres
from serpens.errors import ConfigurationError, NotInitializedError
from tests.serpens.database._testgres_handles import Setup, made_fixture, setup_fixture

__all__ = ["made_fixture", "setup_fixture"]  # the fixtures, found here by pytest

pytestmark = pytest.mark.postgres


def _tables(url: str) -> set[tuple[str | None, str]]:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg2"), poolclass=NullPool)
    try:
        found = inspect(engine)
        return {(s, t) for s in ("public", "app", "books") for t in found.get_table_names(s)}
    finally:
        engine.dispose()


class TestDefaults:
    def test_only_the_sync_side_is_bound_and_nothing_may_be_truncated(
        self, setup: Setup, fresh_pg_url: str
    ) -> None:
        class Model(DeclarativeBase):
            pass

        class Item(Model):
            __tablename__ = "items"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)

        handle = setup(Model, uri=fresh_pg_url)
        assert handle.url == os.environ["DATABASE_URL"] == fresh_pg_url
        assert (handle.owned, handle.allow_truncate, handle.redis_url) == (False, False, None)
        assert handle.schemas == []
        assert "REDIS_URL" not in os.environ
        with pytest.raises(NotInitializedError):
            database.get_async_engine()
        with database.db_session() as session:
            session.add(Item(id=1))
        with pytest.raises(ConfigurationError, match="will not truncate"):
            handle.truncate()

    def test_the_url_comes_from_database_url(self, setup: Setup, fresh_pg_url: str) -> None:
        class Model(DeclarativeBase):
            pass

        os.environ["DATABASE_URL"] = fresh_pg_url
        handle = setup(Model)
        assert (handle.url, handle.owned) == (fresh_pg_url, False)


class TestSchemas:
    async def test_default_schema_is_created_and_on_both_sides_search_path(
        self, setup: Setup, fresh_pg_url: str
    ) -> None:
        class Model(DeclarativeBase):
            pass

        class Widget(Model):
            __tablename__ = "widgets"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)

        class Ledger(Model):
            __tablename__ = "ledger"
            __table_args__ = {"schema": "books"}  # noqa: RUF012 - SQLAlchemy's spelling
            id: Mapped[int] = mapped_column(Integer, primary_key=True)

        handle = setup(Model, uri=fresh_pg_url, default_schema=" app , extra ", async_mode=True)
        assert handle.schemas == ["app", "extra"]
        assert _tables(fresh_pg_url) == {("app", "widgets"), ("books", "ledger")}
        current = text("SELECT current_schemas(false)")
        with database.SessionLocal() as session:
            assert session.execute(current).scalar_one() == ["app", "extra"]
        async with database.AsyncSessionLocal() as async_session:
            assert (await async_session.execute(current)).scalar_one() == ["app", "extra"]
        assert isinstance(database.get_async_engine().pool, NullPool)


class TestLateModels:
    def test_created_at_the_first_connection_of_the_engine(
        self, setup: Setup, fresh_pg_url: str
    ) -> None:
        class Model(DeclarativeBase):
            pass

        setup(Model, uri=fresh_pg_url)

        class Late(Model):
            __tablename__ = "late"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)

        with database.db_session() as session:
            session.add(Late(id=1))

    def test_created_when_a_unittest_run_starts(self, setup: Setup, fresh_pg_url: str) -> None:
        class Model(DeclarativeBase):
            pass

        setup(Model, uri=fresh_pg_url)

        class Late(Model):
            __tablename__ = "late_unittest"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)

        unittest.TestResult().startTestRun()
        assert _tables(fresh_pg_url) == {("public", "late_unittest")}

    @pytest.mark.parametrize(
        ("module", "hooked"), [("suite.conftest", True), ("conftest", True), ("myconftest", False)]
    )
    def test_a_conftest_gets_a_first_hook_creating_them(
        self, made: list[testgres.TestDatabase], fresh_pg_url: str, module: str, hooked: bool
    ) -> None:
        class Model(DeclarativeBase):
            pass

        namespace: dict[str, Any] = {
            "__name__": module,
            "testgres": testgres,
            "Model": Model,
            "url": fresh_pg_url,
        }
        exec("handle = testgres.setup(Model, uri=url)", namespace)
        made.append(namespace["handle"])
        assert ("pytest_runtestloop" in namespace) is hooked
        if not hooked:
            return
        hook = namespace["pytest_runtestloop"]
        assert hook.pytest_impl["tryfirst"] is True

        class Late(Model):
            __tablename__ = "late_pytest"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)

        hook(None)
        assert _tables(fresh_pg_url) == {("public", "late_pytest")}

    def test_a_hook_the_conftest_has_is_kept(
        self, made: list[testgres.TestDatabase], fresh_pg_url: str
    ) -> None:
        class Model(DeclarativeBase):
            pass

        def own_hook(session: object) -> None:
            del session

        namespace: dict[str, Any] = {"__name__": "conftest", "pytest_runtestloop": own_hook}
        namespace.update(testgres=testgres, Model=Model, url=fresh_pg_url)
        exec("handle = testgres.setup(Model, uri=url)", namespace)
        made.append(namespace["handle"])
        assert namespace["pytest_runtestloop"] is own_hook

    def test_create_all_connects_only_for_new_tables(self, setup: Setup, fresh_pg_url: str) -> None:
        class Model(DeclarativeBase):
            pass

        handle = setup(Model, uri=fresh_pg_url)
        handle.url = "postgresql://nobody@127.0.0.1:1/none"
        handle.create_all()  # nothing new: no connection to the (now unreachable) server

        class Late(Model):
            __tablename__ = "late_again"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)

        with pytest.raises(Exception, match="port 1 failed"):
            handle.create_all()


class _Rows(DeclarativeBase):
    pass


class _Row(_Rows):
    __tablename__ = "truncated_rows"
    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(10))


class _Entry(_Rows):
    __tablename__ = "truncated_entries"
    __table_args__ = {"schema": "books"}  # noqa: RUF012 - SQLAlchemy's spelling
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


def _fill_and_truncate(handle: testgres.TestDatabase) -> None:
    with database.db_session() as session:
        session.add_all([_Row(name="a"), _Row(name="b"), _Entry(id=7)])
    handle.truncate()
    with database.SessionLocal() as session:
        assert session.scalars(select(_Entry.id)).all() == []
        assert session.scalars(select(_Row.id)).all() == []
    with database.db_session() as session:
        row = _Row(name="c")
        session.add(row)
        session.flush()
        assert row.id == 1  # RESTART IDENTITY


class TestTruncate:
    def test_allow_truncate_empties_every_table_and_restarts_identities(
        self, setup: Setup, fresh_pg_url: str
    ) -> None:
        _fill_and_truncate(setup(_Rows, uri=fresh_pg_url, allow_truncate=True))

    def test_the_environment_opts_in_too(
        self, setup: Setup, fresh_pg_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        handle = setup(_Rows, uri=fresh_pg_url)
        monkeypatch.setenv("TESTGRES_ALLOW_TRUNCATE", "1")
        _fill_and_truncate(handle)

    def test_the_refusal_says_how_to_opt_in_with_the_password_masked(
        self, setup: Setup, fresh_pg_url: str
    ) -> None:
        url = make_url(fresh_pg_url).set(password="s3cr3t-pw")
        handle = setup(_Rows, uri=url.render_as_string(hide_password=False))
        with pytest.raises(ConfigurationError) as caught:
            handle.truncate()
        message = str(caught.value)
        assert "allow_truncate=True" in message
        assert "TESTGRES_ALLOW_TRUNCATE=1" in message
        assert "s3cr3t-pw" not in message
        assert f"{url.host}:{url.port}" in message

    def test_no_tables_is_nothing_to_do(self, setup: Setup, fresh_pg_url: str) -> None:
        class Model(DeclarativeBase):
            pass

        setup(Model, uri=fresh_pg_url, allow_truncate=True).truncate()


class TestTeardown:
    async def test_it_unbinds_both_sides_and_runs_every_stopper_last_first(
        self, setup: Setup, fresh_pg_url: str
    ) -> None:
        class Model(DeclarativeBase):
            pass

        handle = setup(Model, uri=fresh_pg_url, async_mode=True)
        async with database.AsyncSessionLocal() as session:
            await session.execute(text("SELECT 1"))
        stopped: list[str] = []
        handle._stoppers.extend([lambda: stopped.append("first"), lambda: stopped.append("last")])
        handle.teardown()
        assert stopped == ["last", "first"]
        assert handle._stoppers == []
        with pytest.raises(NotInitializedError):
            database.get_engine()
