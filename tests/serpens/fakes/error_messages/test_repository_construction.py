"""The exact wording of the in-memory repository's errors at construction and in outages.

What it is given instead of a model or database, models whose defaults or columns it
cannot emulate, and a simulated outage.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigurationError,
    ValidationError,
)
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_contract._repository_models import Product
from tests.serpens.fakes.error_messages._error_cases import (
    _down,
    _observed,
    _products,
    _untyped,
)


class _EmulationBase(DeclarativeBase):
    pass


class _RandomDefault(_EmulationBase):
    """A server default the fake cannot evaluate."""

    __tablename__ = "error_messages_random_default"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    score: Mapped[float] = mapped_column(sa.Float, server_default=sa.text("random()"))


class _WordDefault(_EmulationBase):
    """A literal server default that is no value of its (integer) column."""

    __tablename__ = "error_messages_word_default"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    tries: Mapped[int] = mapped_column(sa.Integer, server_default="none")


class _Computed(_EmulationBase):
    """A computed column, which only a SQL server evaluates."""

    __tablename__ = "error_messages_computed"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    twice: Mapped[int] = mapped_column(sa.Integer, sa.Computed("id * 2"))


class _ZonedText(sa.TypeDecorator[dt.datetime]):
    """A user's zone-aware type the repository rules do not know (not UTCDateTime)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True


class _Event(_EmulationBase):
    """A zone-aware column of a user's type, and a not-null column of bytes."""

    __tablename__ = "error_messages_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    at: Mapped[dt.datetime | None] = mapped_column(_ZonedText)
    digest: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)


def _events(*digests: bytes) -> InMemoryRepository[_Event]:
    repo = InMemoryRepository(_Event, database=InMemoryDatabase())
    repo.bulk_insert([{"digest": digest} for digest in digests])
    return repo


REPOSITORY_CONSTRUCTION_CASES = [
    # construction
    pytest.param(
        lambda: InMemoryRepository(_untyped("session")),
        ConfigurationError,
        (
            "InMemoryRepository takes the model class (and database= or session=), not a "
            "str: the fake needs no SQLAlchemy session"
        ),
        [],
        id="repository-given-a-session",
    ),
    pytest.param(
        lambda: InMemoryRepository(Product, database=_untyped({})),
        ConfigurationError,
        "InMemoryRepository(database=...) needs an InMemoryDatabase, not a dict",
        [],
        id="repository-given-another-database",
    ),
    pytest.param(
        InMemoryRepository,
        ConfigurationError,
        "InMemoryRepository needs a model: set `model = X` or pass model=X",
        [],
        id="repository-without-a-model",
    ),
    pytest.param(
        lambda: InMemoryRepository(_RandomDefault),
        ConfigurationError,
        (
            "the in-memory repository cannot emulate the default of _RandomDefault.score "
            "('random()'); use a Python-side default, now() or a literal"
        ),
        [],
        id="repository-default-it-cannot-emulate",
    ),
    pytest.param(
        lambda: InMemoryRepository(_WordDefault),
        ConfigurationError,
        (
            "the in-memory repository cannot read the server default 'none' of "
            "_WordDefault.tries as a value of its column type"
        ),
        [],
        id="repository-literal-default-of-another-type",
    ),
    pytest.param(
        lambda: InMemoryRepository(_Computed),
        ConfigurationError,
        "the in-memory repository cannot emulate computed column _Computed.twice",
        [],
        id="repository-computed-column",
    ),
    pytest.param(
        lambda: InMemoryRepository(int),
        ValidationError,
        "<class 'int'> is not a SQLAlchemy-mapped class",
        [],
        id="repository-model-not-mapped",
    ),
    pytest.param(
        lambda: _events().add(_Event(digest=b"a", at=dt.datetime(2026, 1, 1))),  # noqa: DTZ001
        ValidationError,
        (
            "a timezone-aware column needs a timezone-aware datetime: at: "
            "got datetime.datetime(2026, 1, 1, 0, 0)"
        ),
        [("at", "got datetime.datetime(2026, 1, 1, 0, 0)")],
        id="repository-naive-datetime-in-a-zone-aware-user-type",
    ),
    pytest.param(
        lambda: _events(b"a", b"b").seek(limit=5, order_by="digest"),  # refused before a page
        ValidationError,
        (
            "keyset pagination of _Event needs non-nullable columns a cursor holds: "
            "order_by: digest cannot be used"
        ),
        [("order_by", "digest cannot be used")],
        id="repository-seek-by-a-type-no-cursor-holds",
    ),
    pytest.param(
        lambda: _down(_products()).count(),
        BackendUnavailableError,
        "InMemoryDatabase: simulated outage, the backend is unreachable",
        [],
        id="repository-outage",
    ),
    pytest.param(
        lambda: _down(_products(), timeout=True).count(),
        BackendTimeoutError,
        "InMemoryDatabase: simulated outage, the backend did not answer",
        [],
        id="repository-outage-timeout",
    ),
]


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), REPOSITORY_CONSTRUCTION_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
