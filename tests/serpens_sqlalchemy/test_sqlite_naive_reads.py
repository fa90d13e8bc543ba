"""A loaded object whose zone SQLite dropped can still be changed and flushed.

SQLite keeps no offset: a ``DateTime(timezone=True)`` value reads back naive. The check
before a flush looked at every value of a changed object, so changing any other attribute
of a loaded row was refused ("expected a timezone-aware datetime"). A flush writes only a
loaded object's changed attributes, and only those are checked now; a new object's every
value still is, and a naive datetime or an over-long string assigned to a loaded object is
still refused before the flush. Real servers: a SQLite file (pysqlite, aiosqlite).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ValidationError
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository, configure_sqlite
from tests.serpens_sqlalchemy._engines import async_engine_with_tables

AT = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
NAIVE = datetime(2024, 1, 1, 9, 0)  # noqa: DTZ001 - the value under test


class _Base(DeclarativeBase):
    pass


class Meeting(_Base):
    __tablename__ = "naive_read_meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(20))
    starts: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


@pytest.fixture(name="engine")
def _engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'meetings.db'}")
    configure_sqlite(engine)
    _Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(name="async_engine")
async def _async_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async for engine in async_engine_with_tables(_Base.metadata, sqlite_path=tmp_path / "m.db"):
        yield engine


def _stored(engine: sa.Engine) -> tuple[str, datetime]:
    with Session(engine) as sess:
        meeting = SQLAlchemyRepository(sess, Meeting).get_or_raise(1)
        return meeting.title, meeting.starts


def _load(sess: Session) -> tuple[SQLAlchemyRepository[Meeting], Meeting]:
    repo = SQLAlchemyRepository(sess, Meeting)
    meeting = repo.get_or_raise(1)
    assert meeting.starts.tzinfo is None  # SQLite dropped the offset
    return repo, meeting


@pytest.fixture(name="stored")
def _stored_row(engine: sa.Engine) -> sa.Engine:
    with Session(engine) as sess:
        SQLAlchemyRepository(sess, Meeting).add(Meeting(id=1, title="planning", starts=AT))
        sess.commit()
    return engine


def test_a_loaded_object_with_a_naive_read_back_is_flushed_with_another_change(
    stored: sa.Engine,
) -> None:
    with Session(stored) as sess:
        repo, meeting = _load(sess)
        meeting.title = "review"
        repo.flush()
        sess.commit()
    assert _stored(stored) == ("review", AT.replace(tzinfo=None))


def test_a_naive_datetime_assigned_to_a_loaded_object_is_still_refused(
    stored: sa.Engine,
) -> None:
    with Session(stored) as sess:
        repo, meeting = _load(sess)
        meeting.title = "review"
        meeting.starts = NAIVE
        with pytest.raises(ValidationError, match="timezone-aware") as caught:
            repo.flush()
        assert [e.path for e in caught.value.errors] == ["starts"]
        assert sess.is_active  # refused before the flush: the unit of work stays usable
        sess.rollback()
    assert _stored(stored) == ("planning", AT.replace(tzinfo=None))


def test_an_over_long_string_assigned_to_a_loaded_object_is_still_refused(
    stored: sa.Engine,
) -> None:
    with Session(stored) as sess:
        repo, meeting = _load(sess)
        meeting.title = "x" * 21
        with pytest.raises(ValidationError) as caught:
            repo.flush()
        assert [e.path for e in caught.value.errors] == ["title"]


def test_a_new_object_with_a_naive_datetime_is_still_refused(stored: sa.Engine) -> None:
    with Session(stored) as sess:
        repo, _ = _load(sess)
        sess.add(Meeting(id=2, title="retro", starts=NAIVE))  # not through add: the flush checks
        with pytest.raises(ValidationError, match="timezone-aware"):
            repo.flush()


async def test_the_async_repository_flushes_a_loaded_object_with_a_naive_read_back(
    async_engine: AsyncEngine,
) -> None:
    async with AsyncSession(async_engine) as sess:
        await AsyncSQLAlchemyRepository(sess, Meeting).add(Meeting(id=1, title="a", starts=AT))
        await sess.commit()
    async with AsyncSession(async_engine) as sess:
        repo = AsyncSQLAlchemyRepository(sess, Meeting)
        meeting = await repo.get_or_raise(1)
        assert meeting.starts.tzinfo is None
        meeting.title = "b"
        await repo.flush()
        await sess.commit()
        meeting.starts = NAIVE
        with pytest.raises(ValidationError, match="timezone-aware"):
            await repo.flush()
    async with AsyncSession(async_engine) as sess:
        found = await AsyncSQLAlchemyRepository(sess, Meeting).get_or_raise(1)
        assert (found.title, found.starts) == ("b", AT.replace(tzinfo=None))
