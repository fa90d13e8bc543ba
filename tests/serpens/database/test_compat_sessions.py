"""serpens 2.9 call shapes of the session helpers, on SQLite and a real PostgreSQL.

A service written for 2.9 never calls ``bind()`` before ``db_session()``, calls ``bind()``
again to get "the engine", and passes ``statement_timeout_ms=0`` (or a string from its
config) to mean "the default". These keep working.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Integer, String, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens import database


class Model(DeclarativeBase):
    pass


class Item(Model):
    __tablename__ = "compat_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


@pytest.fixture(
    name="env_url", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def _env_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """``DATABASE_URL`` set to a database holding the model's table; nothing bound."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'compat.db'}"
    else:
        url = str(request.getfixturevalue("fresh_pg_url"))
    engine = database.bind(url)
    Model.metadata.create_all(engine)
    database.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    return url


class TestBindOnFirstUse:
    def test_db_session_binds_from_database_url(self, env_url: str) -> None:
        with database.db_session() as session:
            session.add(Item(name="first"))
        engine = database.get_engine()
        assert engine.url.database == make_url(env_url).database
        with database.db_session() as session:
            assert session.scalars(select(Item.name)).all() == ["first"]
        assert database.get_engine() is engine  # bound once, reused

    async def test_async_db_session_binds_from_database_url(self, env_url: str) -> None:
        async with database.async_db_session() as session:
            session.add(Item(name="async"))
        engine = database.get_async_engine()
        async with database.async_db_session() as session:
            assert (await session.scalars(select(Item.name))).all() == ["async"]
        assert database.get_async_engine() is engine

    def test_an_explicit_bind_wins_over_database_url(
        self, env_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        other = f"sqlite:///{tmp_path / 'other.db'}"
        Model.metadata.create_all(database.bind(other))
        monkeypatch.setenv("DATABASE_URL", env_url)
        with database.db_session() as session:
            session.add(Item(name="other"))
        assert database.get_engine().url.database == str(tmp_path / "other.db")


class TestBindReturnsTheBoundEngine:
    def test_bind_without_a_url_returns_the_engine_already_bound(self, env_url: str) -> None:
        engine = database.bind(env_url)
        assert database.bind() is engine
        assert database.get_engine() is engine
        with database.db_session() as session:  # still usable: not disposed
            assert session.scalar(select(1)) == 1

    async def test_async_bind_without_a_url_returns_the_engine_already_bound(
        self, env_url: str
    ) -> None:
        engine = database.async_bind(env_url)
        assert database.async_bind() is engine
        async with database.async_db_session() as session:
            assert await session.scalar(select(1)) == 1

    def test_bind_without_a_url_and_nothing_bound_reads_database_url(self, env_url: str) -> None:
        engine = database.bind()
        assert database.bind() is engine

    def test_bind_with_options_rebuilds(self, env_url: str) -> None:
        first = database.bind(env_url)
        second = database.bind(echo=True)
        assert second is not first
        assert second.echo is True


@pytest.mark.postgres
class TestStatementTimeoutOverride:
    """``<= 0`` or ``None`` keep the engine's 5 s default; numeric strings work."""

    @staticmethod
    def _timeout(value: object) -> str:
        with database.db_session(statement_timeout_ms=value) as session:  # type: ignore[arg-type]
            return str(session.execute(text("SHOW statement_timeout")).scalar_one())

    @pytest.mark.parametrize("value", [None, 0, -1, "0", "-250", 0.0])
    def test_none_zero_and_negative_keep_the_engine_default(
        self, fresh_pg_url: str, value: object
    ) -> None:
        database.bind(fresh_pg_url)
        assert self._timeout(value) == "5s"  # never "0" (disabled)

    @pytest.mark.parametrize(
        ("value", "shown"),
        [
            ("300", "300ms"),
            (" 1200 ", "1200ms"),
            (450, "450ms"),
            ("250.9", "250ms"),
            (99.9, "99ms"),
        ],
    )
    def test_positive_numbers_and_numeric_strings_apply(
        self, fresh_pg_url: str, value: object, shown: str
    ) -> None:
        database.bind(fresh_pg_url)
        assert self._timeout(value) == shown

    def test_one_millisecond_is_a_timeout_not_the_default(self, fresh_pg_url: str) -> None:
        database.bind(fresh_pg_url)
        with database.db_session(statement_timeout_ms=1) as session:
            try:
                shown = str(session.execute(text("SHOW statement_timeout")).scalar_one())
            except DBAPIError as exc:  # cancelled within the millisecond: applied all the same
                shown = "1ms" if getattr(exc.orig, "pgcode", None) == "57014" else repr(exc)
        assert shown == "1ms"

    async def test_async_zero_keeps_the_default_and_a_string_applies(
        self, fresh_pg_url: str
    ) -> None:
        database.async_bind(fresh_pg_url)
        async with database.async_db_session(statement_timeout_ms=0) as session:
            assert (await session.execute(text("SHOW statement_timeout"))).scalar_one() == "5s"
        async with database.async_db_session(statement_timeout_ms="150") as session:
            assert (await session.execute(text("SHOW statement_timeout"))).scalar_one() == "150ms"
