"""What the SQL repositories send, where their results alone cannot tell.

A ``seek`` or a ``get_by`` that read the whole table, a page past the end that asked for
its (no) rows, an ``upsert`` that read its row back with a second ``SELECT``, or an
``upsert_many`` that looked for another class's row by the first column of a composite
conflict key only would return the same pages and rows in the contract suites, whose
tables are small and whose hierarchy's conflict keys are single columns; an upsert must
also skip an ``onupdate`` that has no value to set (a ``Sequence``), as a flush's
``UPDATE`` does. These pin the statements, on PostgreSQL (psycopg2; each test's tables in
a schema of its own) and SQLite (a file per test); the composite key on the fake too,
which must refuse the same upsert.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConflictError
from serpens.fakes import InMemoryRepository, InMemorySession
from serpens_sqlalchemy import AsyncRepository, Repository
from tests.serpens_sqlalchemy._engines import (
    async_engine_with_tables,
    engine_with_tables,
    sent_statements,
)


class _Base(DeclarativeBase):
    pass


class Row(_Base):
    __tablename__ = "round_trip_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20), unique=True)
    note: Mapped[str | None] = mapped_column(sa.String(20))


class Counted(_Base):
    """A column whose ``onupdate`` is a ``Sequence``: SQLAlchemy draws from it on INSERT only."""

    __tablename__ = "round_trip_counted"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20), unique=True)
    note: Mapped[str | None] = mapped_column(sa.String(20))
    serial: Mapped[int | None] = mapped_column(onupdate=sa.Sequence("round_trip_serial"))


class Member(_Base):
    """A single-table hierarchy whose rows are unique by a composite key."""

    __tablename__ = "round_trip_members"
    __table_args__ = (sa.UniqueConstraint("team", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    team: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.String(20))
    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "member"}  # noqa: RUF012


class Captain(Member):
    __mapper_args__ = {"polymorphic_identity": "captain"}  # noqa: RUF012


def _own_schema(postgres_url: str) -> Iterator[sa.Engine]:
    """A psycopg2 engine whose tables live in a schema of this test's own, dropped after."""
    plain = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    schema = f"round_trips_{uuid.uuid4().hex[:10]}"
    with plain.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        _Base.metadata.create_all(conn.execution_options(schema_translate_map={None: schema}))
    yield plain.execution_options(schema_translate_map={None: schema})
    with plain.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    plain.dispose()


@pytest.fixture(name="engine", params=["psycopg2", "sqlite"])
def _engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        yield from engine_with_tables(request, tmp_path, _Base.metadata)
    else:
        yield from _own_schema(request.getfixturevalue("postgres_url"))


@pytest.fixture(name="pg_engine")
def _pg_engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from _own_schema(postgres_url)


def _rows_read(engine: sa.Engine) -> list[int]:
    """How many rows each ``SELECT`` *engine* runs from now on returns (psycopg2's count)."""
    counts: list[int] = []

    def record(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            counts.append(args[1].rowcount)

    sa.event.listen(engine, "after_cursor_execute", record)
    return counts


def test_a_seek_reads_one_row_past_its_page(pg_engine: sa.Engine) -> None:
    """Keyset paging costs its page: ``LIMIT limit + 1``, the one more telling if there is more."""
    with Session(pg_engine) as sess:
        repo = Repository(sess, Row)
        repo.bulk_insert([{"name": f"n{i:02}"} for i in range(10)])
        counts = _rows_read(pg_engine)
        first = repo.seek(limit=3)
        second = repo.seek(after=first.next_cursor, limit=3)
    assert [r.name for r in [*first.items, *second.items]] == [f"n{i:02}" for i in range(6)]
    assert second.next_cursor is not None
    assert counts == [4, 4]


def test_a_get_by_reads_one_row_of_many_that_match(pg_engine: sa.Engine) -> None:
    """``LIMIT 1``: the first match by primary key, not every match carried to the client."""
    with Session(pg_engine) as sess:
        repo = Repository(sess, Row)
        repo.bulk_insert([{"name": f"n{i}", "note": "same"} for i in range(10)])
        counts = _rows_read(pg_engine)
        found = repo.get_by(note="same")
    assert (found is not None and found.name, counts) == ("n0", [1])


async def test_a_page_past_the_end_is_the_count_alone(tmp_path: Path) -> None:
    """The total tells that page 2 of 5 rows in pages of 5 is empty: no query for its items."""
    async for engine in async_engine_with_tables(_Base.metadata, sqlite_path=tmp_path / "r.db"):
        async with AsyncSession(engine) as sess:
            repo = AsyncRepository(sess, Row)
            await repo.bulk_insert([{"name": f"n{i}"} for i in range(5)])
            sent = sent_statements(engine.sync_engine)
            past = await repo.paginate(page=2, size=5)
            assert (past.items, past.total) == ([], 5)
            assert len(sent) == 1
            assert "count(" in sent[0].lower()
            last = await repo.paginate(page=1, size=5)
            assert (len(last.items), last.total, len(sent)) == (5, 5, 3)


def test_an_upsert_returns_its_row_from_its_own_statement(engine: sa.Engine) -> None:
    """``INSERT ... ON CONFLICT ... RETURNING``: no ``SELECT`` after it, inserting or updating."""
    with Session(engine, expire_on_commit=False) as sess:
        repo = Repository(sess, Row)
        sent = sent_statements(engine)
        first = repo.upsert(
            {"name": "a", "note": "x"}, conflict_on=["name"], update_fields=["note"]
        )
        again = repo.upsert(
            {"name": "a", "note": "y"}, conflict_on=["name"], update_fields=["note"]
        )
        sess.commit()
    assert (first is again, again.note) == (True, "y")
    verbs = [s.lstrip().split()[0].upper() for s in sent]
    assert verbs.count("INSERT") == 2
    assert "SELECT" not in verbs


def test_an_upsert_leaves_a_sequence_onupdate_as_an_update_does(pg_engine: sa.Engine) -> None:
    """A ``Sequence`` as ``onupdate`` has no value to set: UPDATE and DO UPDATE skip it."""
    with Session(pg_engine, expire_on_commit=False) as sess:
        repo = Repository(sess, Counted)
        row = repo.add(Counted(name="a"))
        drawn = row.serial
        row.note = "x"
        repo.flush()
        again = repo.upsert(
            {"name": "a", "note": "y"}, conflict_on=["name"], update_fields=["note"]
        )
    assert drawn is not None
    assert (again is row, again.note, again.serial) == (True, "y", drawn)


def _composite_key_upserts(members: Any, captains: Any) -> None:
    members.bulk_insert([{"team": "a", "name": "x"}, {"team": "b", "name": "y"}])
    # ("b", "x") and ("a", "y") share a column with a member's key each, not the key
    rows = [{"team": "b", "name": "x", "note": "1"}, {"team": "a", "name": "y", "note": "2"}]
    assert captains.upsert_many(rows, conflict_on=["team", "name"], update_fields=["note"]) == 2
    taken = [{"team": "c", "name": "z", "note": "3"}, {"team": "a", "name": "x", "note": "3"}]
    with pytest.raises(ConflictError, match="team='a', name='x'"):
        captains.upsert_many(taken, conflict_on=["team", "name"], update_fields=["note"])
    # in batches of 500 keys: another class's row is found at either end of a batch
    many = [{"team": "t", "name": f"n{i}", "note": None} for i in range(600)]
    for at in (0, 499, 500, 599):
        batch = [*many[:at], {"team": "b", "name": "y", "note": None}, *many[at + 1 :]]
        with pytest.raises(ConflictError, match="team='b', name='y'"):
            captains.upsert_many(batch, conflict_on=["team", "name"], update_fields=["note"])
    assert sorted((m.kind, m.team, m.name, m.note) for m in members.list()) == [
        ("captain", "a", "y", "2"),
        ("captain", "b", "x", "1"),
        ("member", "a", "x", None),
        ("member", "b", "y", None),
    ]


def test_upsert_many_finds_another_class_row_by_its_whole_composite_key(
    engine: sa.Engine,
) -> None:
    with Session(engine) as sess:
        captains = Repository(sess, Captain)
        _composite_key_upserts(Repository(sess, Member), captains)
        sent = sent_statements(engine)
        rows = [{"team": "t", "name": f"n{i}", "note": None} for i in range(600)]
        assert (
            captains.upsert_many(rows, conflict_on=["team", "name"], update_fields=["note"]) == 600
        )
    # one look for another class's rows per 500 keys, then the statement itself
    assert [s.lstrip().split()[0].upper() for s in sent if "SAVEPOINT" not in s] == [
        "SELECT",
        "SELECT",
        "INSERT",
    ]


def test_the_fake_refuses_the_same_composite_key_upserts() -> None:
    with InMemorySession() as session:  # one unit of work for both, as one Session above
        _composite_key_upserts(
            InMemoryRepository(Member, session=session),
            InMemoryRepository(Captain, session=session),
        )
