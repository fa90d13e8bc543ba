"""``serpens.database.repository``: 2.9's import path of the repositories, on real databases."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens import database, errors
from serpens.database.repository import AsyncRepository, NotFound, Repository


class Model(DeclarativeBase):
    pass


class Widget(Model):
    __tablename__ = "compat_widgets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class WidgetRepo(Repository[Widget]):
    model = Widget


class AsyncWidgetRepo(AsyncRepository[Widget]):
    model = Widget


@pytest.fixture(name="url", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def _url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'widgets.db'}"
    return str(request.getfixturevalue("fresh_pg_url"))


def test_the_names_are_the_ones_serpens_database_exports() -> None:
    assert Repository is database.Repository
    assert AsyncRepository is database.AsyncRepository
    assert NotFound is database.NotFound is errors.NotFoundError
    assert issubclass(NotFound, LookupError)
    module = importlib.import_module("serpens.database.repository")
    assert module.__all__ == ["AsyncRepository", "NotFound", "Repository"]


def test_the_import_works_in_a_fresh_interpreter() -> None:
    code = "from serpens.database.repository import AsyncRepository, NotFound, Repository"
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_a_2_9_repository_works_through_the_old_path(url: str) -> None:
    Model.metadata.create_all(database.bind(url))
    with database.db_session() as session:
        repo = WidgetRepo(session)
        added = repo.add(Widget(name="gear"))
        assert repo.get_or_raise(added.id).name == "gear"
        with pytest.raises(NotFound, match=r"Widget id=999"):
            repo.get_or_raise(999)


async def test_a_2_9_async_repository_works_through_the_old_path(url: str) -> None:
    engine = database.async_bind(url)
    async with engine.begin() as connection:
        await connection.run_sync(Model.metadata.create_all)
    async with database.async_db_session() as session:
        repo = AsyncWidgetRepo(session)
        added = await repo.add(Widget(name="cog"))
        assert (await repo.get_or_raise(added.id)).name == "cog"
        with pytest.raises(NotFound, match=r"Widget id=999"):
            await repo.get_or_raise(999)
