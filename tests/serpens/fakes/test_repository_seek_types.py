"""A keyset order over a column whose Python type SQLAlchemy does not know.

A cursor carries the order values of a page's last row as JSON, so ``seek`` refuses an
order over a column whose values it cannot carry (a ``LargeBinary``, an ``Enum``). A type
that names no Python type (its ``python_type`` raises ``NotImplementedError``, as older
SQLAlchemy releases and third-party types do, or answers ``object``, SQLAlchemy 2's
default) is given the benefit of the doubt: its values are carried as they come, and a
walk over it visits every row once, in order.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.fakes import InMemoryRepository


class _Loose(sa.types.UserDefinedType[str]):
    """A column type that answers ``object`` for its Python type (SQLAlchemy's default)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "TEXT"


class _Code(_Loose):
    """A column type that names no Python type: it raises ``NotImplementedError``.

    As older SQLAlchemy releases did by default, and third-party types still do.
    """

    @property
    def python_type(self) -> type[Any]:
        raise NotImplementedError


class _Base(DeclarativeBase):
    pass


class Tag(_Base):
    __tablename__ = "fake_seek_type_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(_Code, nullable=False)
    loose: Mapped[str] = mapped_column(_Loose, nullable=False)


class TestInMemorySeekTypes:
    @pytest.mark.parametrize("column", ["code", "-code", "loose", "-loose"])
    def test_a_walk_over_a_column_of_unknown_python_type(self, column: str) -> None:
        tags: Any = InMemoryRepository(Tag)
        tags.bulk_add([Tag(code=f"c{4 - i}", loose=f"l{i}") for i in range(5)])
        walked: list[int] = []
        cursor = None
        while True:
            page = tags.seek(after=cursor, limit=2, order_by=column)
            walked += [tag.id for tag in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        expected = [tag.id for tag in tags.list(order_by=column)]
        assert walked == expected
        assert sorted(walked) == [1, 2, 3, 4, 5]
