"""``UTCDateTime`` refuses a value whose instant it cannot know, with a ``ValidationError``.

Naive datetimes, a ``tzinfo`` whose ``utcoffset()`` is ``None`` (aware in name only:
``astimezone`` would read it as local time) and values that are not datetimes at all
(a ``date``, an ISO string) are refused before anything is sent. SQLAlchemy raises its
``StatementError`` with our error as ``orig``. The type is safe to cache (``cache_ok``):
a statement using it is compiled once, not on every run. Real server: a SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.exc import StatementError

from serpens.errors import FieldError, ValidationError
from serpens_sqlalchemy import UTCDateTime, configure_sqlite

METADATA = sa.MetaData()
EVENTS = sa.Table(
    "utc_validation_events",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime()),
)


class NoOffset(tzinfo):
    """A zone that does not know its offset: ``utcoffset()`` is ``None``."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        """Unknown."""
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        """Unknown."""
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        """No name."""
        return None


@pytest.fixture(name="engine")
def _engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'validation.db'}")
    configure_sqlite(engine)
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(datetime(2024, 1, 1, 12), id="naive"),  # noqa: DTZ001 - the case under test
        pytest.param(datetime(2024, 1, 1, 12, tzinfo=NoOffset()), id="tzinfo-without-offset"),
        pytest.param(date(2024, 1, 1), id="date"),
        pytest.param("2024-01-01T12:00:00+00:00", id="iso-string"),
    ],
)
def test_a_value_without_a_known_instant_is_refused_with_a_validation_error(
    engine: sa.Engine, value: object
) -> None:
    with engine.connect() as conn, pytest.raises(StatementError) as caught:
        conn.execute(EVENTS.insert().values(id=1, at=value))
    error = caught.value.orig
    assert isinstance(error, ValidationError)
    assert isinstance(error, ValueError)
    assert error.errors == [FieldError("", f"got {value!r}")]
    assert str(error) == f"UTCDateTime needs a timezone-aware datetime: got {value!r}"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(EVENTS)).scalar_one() == 0


def test_none_is_stored_and_read_back_as_none(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(EVENTS.insert().values(id=1, at=None))
    with engine.connect() as conn:
        assert conn.execute(sa.select(EVENTS.c.at)).scalar_one() is None
        assert conn.exec_driver_sql("SELECT at IS NULL FROM utc_validation_events").scalar_one()


def test_an_aware_value_is_accepted_and_read_back_as_utc(engine: sa.Engine) -> None:
    written = datetime(2024, 1, 1, 12, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(EVENTS.insert().values(id=1, at=written))
    with engine.connect() as conn:
        assert conn.execute(sa.select(EVENTS.c.at)).scalar_one() == written


def test_a_statement_using_the_type_is_compiled_once_and_then_cached(engine: sa.Engine) -> None:
    statement = sa.select(EVENTS.c.id).where(EVENTS.c.at > datetime(2024, 1, 1, tzinfo=UTC))
    with engine.connect() as conn:
        seen = [conn.execute(statement).context.cache_hit for _ in range(2)]
    assert seen[1] is CacheStats.CACHE_HIT
