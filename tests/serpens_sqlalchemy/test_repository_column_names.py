"""Bulk writes of a model whose attributes are not named as their columns, and literal onupdates.

``mapped_column("code_text", ...)`` maps attribute ``code`` to column ``code_text``: the row
dicts of ``bulk_insert`` and ``upsert_many`` are keyed by attribute and must be renamed for
the table. An ``onupdate`` may be a literal value or a SQL expression instead of a function:
``upsert``'s ``DO UPDATE`` applies it as given. Real servers: PostgreSQL (psycopg2, the
``unnest`` and COPY paths) and SQLite; the fake must agree where it can emulate the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.fakes import InMemoryRepository
from serpens_sqlalchemy import SQLAlchemyRepository
from tests.serpens_sqlalchemy._engines import engine_with_tables


class _Base(DeclarativeBase):
    pass


class Renamed(_Base):
    __tablename__ = "renamed_columns"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column("code_text", sa.String(20), unique=True)
    label: Mapped[str | None] = mapped_column("label_text", sa.String(20))
    state: Mapped[str | None] = mapped_column(sa.String(20), onupdate="edited")


class Touched(_Base):
    __tablename__ = "touched_by_sql"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    label: Mapped[str | None] = mapped_column(sa.String(20))
    touched: Mapped[str | None] = mapped_column(sa.String(20), onupdate=sa.literal("by sql"))


@pytest.fixture(name="engine", params=["psycopg2", "sqlite"])
def _engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    yield from engine_with_tables(request, tmp_path, _Base.metadata)


def _renamed_writes(repo: Any) -> list[tuple[str, str | None, str | None]]:
    assert repo.bulk_insert([{"code": "a", "label": "x"}]) == 1
    assert repo.bulk_insert([{"id": 5, "code": "e", "label": "e"}]) == 1
    rows = [{"code": "a", "label": "y"}, {"code": "b", "label": "z"}]
    assert repo.upsert_many(rows, conflict_on=["code"], update_fields=["label"]) == 2
    updated = repo.upsert(
        {"code": "b", "label": "w"}, conflict_on=["code"], update_fields=["label"]
    )
    assert (updated.label, updated.state) == ("w", "edited")
    return [(r.code, r.label, r.state) for r in repo.list(order_by="code")]


def test_bulk_writes_rename_attributes_to_columns_as_the_fake_stores_them(
    engine: sa.Engine,
) -> None:
    expected = [("a", "y", "edited"), ("b", "w", "edited"), ("e", "e", None)]
    with Session(engine, autoflush=False, expire_on_commit=False) as sess:
        assert _renamed_writes(SQLAlchemyRepository(sess, Renamed)) == expected
    assert _renamed_writes(InMemoryRepository(Renamed)) == expected


def test_an_upsert_applies_an_onupdate_sql_expression(engine: sa.Engine) -> None:
    with Session(engine, autoflush=False, expire_on_commit=False) as sess:
        repo = SQLAlchemyRepository(sess, Touched)
        assert repo.add(Touched(code="a", label="x")).touched is None
        row = repo.upsert(
            {"code": "a", "label": "y"}, conflict_on=["code"], update_fields=["label"]
        )
        assert (row.label, row.touched) == ("y", "by sql")
