"""A checked batch hands each field's values on, keyed as the statement needs them.

The batch checks gather one list of values per field; COPY, ``unnest`` and the tuples of
an executemany take those lists instead of reading 10k rows again. These pin that the
lists are the rows' values, keyed by column name once attributes are renamed, with a
version filled in where a row left it out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens._rules.repository import Batch, column_values, model_info
from serpens_sqlalchemy import SQLAlchemyRepository


class _Base(DeclarativeBase):
    pass


class Coded(_Base):
    __tablename__ = "coded"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column("code_text", sa.String(20), unique=True)
    qty: Mapped[int | None]
    version: Mapped[int] = mapped_column(nullable=False)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


ROWS: list[dict[str, object]] = [
    {"code": "a", "qty": 1, "version": None},
    {"code": "b", "qty": None, "version": 4},
]


@pytest.fixture(name="session")
def _session(tmp_path: Path) -> Iterator[Session]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'batch.db'}")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_the_checks_keep_each_fields_values_in_row_order() -> None:
    batch = model_info(Coded).batch(ROWS)
    assert type(batch) is Batch
    assert batch == ROWS
    assert dict(batch.columns) == {"code": ["a", "b"], "qty": [1, None], "version": [None, 4]}
    assert column_values(batch, "qty") is batch.columns["qty"]  # the checks' own list


def test_other_rows_are_read_as_they_are() -> None:
    assert column_values(ROWS, "code") == ["a", "b"]
    assert column_values(Batch(ROWS, {}), "qty") == [1, None]  # a field it did not gather
    assert column_values(model_info(Coded).batch([]), "code") == []


def test_the_statement_rows_key_the_values_by_column_with_the_version_filled_in(
    session: Session,
) -> None:
    rows = SQLAlchemyRepository(session, Coded)._rows(ROWS)
    assert type(rows) is Batch
    assert rows == [
        {"code_text": "a", "qty": 1, "version": 1},
        {"code_text": "b", "qty": None, "version": 4},
    ]
    expected = {"code_text": ["a", "b"], "qty": [1, None], "version": [1, 4]}
    assert dict(rows.columns) == expected
    assert ROWS[0]["version"] is None  # the caller's dicts are left as they were


def test_written_rows_hold_the_filled_in_version(session: Session) -> None:
    assert SQLAlchemyRepository(session, Coded).bulk_insert(ROWS) == 2
    stored = session.execute(sa.select(Coded.code, Coded.version).order_by(Coded.code)).all()
    assert [tuple(r) for r in stored] == [("a", 1), ("b", 4)]
