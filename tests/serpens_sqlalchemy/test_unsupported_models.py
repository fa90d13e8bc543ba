"""A model serpens' rules do not support: refused by name, and left alone in a shared session.

Joined-table inheritance maps a subclass's primary key over two tables; the rules read one
table per model, so a repository of such a model is a ``ConfigurationError`` (it was a bare
``KeyError``). A service may still write such objects itself in a session its repositories
share: the check a repository runs on every model's changed objects before a flush leaves
them to SQLAlchemy, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConfigurationError, ValidationError
from serpens.fakes import InMemoryRepository
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository


class _Base(DeclarativeBase):
    pass


class _Animal(_Base):
    __tablename__ = "unsupported_animals"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    __mapper_args__: ClassVar[dict[str, Any]] = {
        "polymorphic_on": "kind",
        "polymorphic_identity": "animal",
    }


class _Dog(_Animal):
    __tablename__ = "unsupported_dogs"
    id: Mapped[int] = mapped_column(sa.ForeignKey("unsupported_animals.id"), primary_key=True)
    bark: Mapped[str] = mapped_column(sa.String(5))
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": "dog"}


class _Note(_Base):
    __tablename__ = "unsupported_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str | None] = mapped_column(sa.String(10))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'unsupported.db'}")
    _Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_a_repository_of_a_joined_table_subclass_is_refused_by_name(engine: sa.Engine) -> None:
    with Session(engine) as sess:
        for build in (
            lambda: SQLAlchemyRepository(sess, _Dog),
            lambda: AsyncSQLAlchemyRepository(sess, _Dog),  # type: ignore[arg-type]
            lambda: InMemoryRepository(_Dog),
        ):
            with pytest.raises(ConfigurationError, match="_Dog maps its primary key over several"):
                build()
    assert InMemoryRepository(_Animal).count() == 0  # the base class's own table is fine


def test_a_shared_session_s_objects_of_such_a_model_are_left_to_sqlalchemy(
    engine: sa.Engine,
) -> None:
    with Session(engine, autoflush=False, expire_on_commit=False) as sess:
        notes = SQLAlchemyRepository(sess, _Note)
        sess.add(_Dog(bark="woof"))  # written by the service itself, not by a repository
        notes.add(_Note(text="fed"))  # flushes the dog first, unchecked: as before
        with pytest.raises(ValidationError, match="text"):
            notes.add(_Note(text="x" * 11))  # the repository's own model is checked
        sess.add(_Dog(bark="grr"))
        dog_count = sa.select(sa.func.count()).select_from(_Dog)
        notes.flush()
        sess.commit()
        assert sess.scalar(dog_count) == 2
        assert [n.text for n in notes.list()] == ["fed"]
