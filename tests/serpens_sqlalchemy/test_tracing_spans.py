"""The repository's OpenTelemetry spans (``serpens_sqlalchemy/_tracing.py``) beyond the sync ones.

``tests/serpens/test_tracing_clients.py`` records the sync repository's spans on SQLite.
These pin what the first mutation round of the module found unobserved: the async
repository's spans on asyncpg (a wrapper that returned the coroutine unawaited still named
its spans, but closed them before the call ran, so a failure was never marked), the span
of a call on an unbound session (no made-up ``db.system``; the call's own error), and the
table a model declared with ``__table__`` names (its class name until 2026-12-05). Real
SDK with an in-memory exporter; real PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.exc import UnboundExecutionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConflictError
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository
from tests.serpens._tracing_sdk import _named, _sdk_provider, _spans  # noqa: F401 - fixtures
from tests.serpens_sqlalchemy._engines import async_engine_with_tables


class _Base(DeclarativeBase):
    pass


class Memo(_Base):
    __tablename__ = "tracing_memos"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str]


class Reflected(_Base):
    """A model over a ``Table`` of its own: no ``__tablename__``."""

    __table__ = sa.Table(
        "tracing_reflected",
        _Base.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.String(20)),
    )


@pytest.fixture(name="engine")
async def _engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    async for engine in async_engine_with_tables(_Base.metadata, postgres_url=postgres_url):
        yield engine


async def test_a_failed_async_repository_call_marks_its_span(
    spans: InMemorySpanExporter, engine: AsyncEngine
) -> None:
    async with AsyncSession(engine) as session:
        repo = AsyncSQLAlchemyRepository[Memo](session, Memo)
        await repo.add(Memo(id=1, text="a"))
        with pytest.raises(ConflictError):
            await repo.add(Memo(id=1, text="b"))
    first, failed = [s for s in spans.get_finished_spans() if s.name == "add tracing_memos"]
    assert first.status.is_ok is True
    assert failed.status.is_ok is False
    assert [event.name for event in failed.events] == ["exception"]
    assert failed.kind is SpanKind.CLIENT
    assert dict(failed.attributes or {}) == {
        "db.system": "postgresql",
        "db.system.name": "postgresql",
        "db.collection.name": "tracing_memos",
        "db.operation.name": "add",
    }


def test_a_call_on_an_unbound_session_names_no_database_system(
    spans: InMemorySpanExporter,
) -> None:
    repo = SQLAlchemyRepository[Memo](Session(), Memo)
    with pytest.raises(UnboundExecutionError):  # the call's own error, not the span's
        repo.count()
    count = _named(spans, "count tracing_memos")
    assert count.status.is_ok is False
    assert dict(count.attributes or {}) == {
        "db.collection.name": "tracing_memos",
        "db.operation.name": "count",
    }


def test_a_model_declared_with_its_table_is_named_by_that_table(
    spans: InMemorySpanExporter,
) -> None:
    engine = sa.create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    try:
        with Session(engine) as session:
            repo = SQLAlchemyRepository[Reflected](session, Reflected)
            repo.add(Reflected(id=1, text="a"))
            assert repo.exists(id=1) is True
    finally:
        engine.dispose()
    assert [s.name for s in spans.get_finished_spans()] == [
        "add tracing_reflected",
        "exists tracing_reflected",
    ]
    exists = _named(spans, "exists tracing_reflected")
    assert dict(exists.attributes or {})["db.collection.name"] == "tracing_reflected"
