"""The in-memory repository refuses ``field=None`` on a JSON column that stores JSON's null.

With ``sa.JSON`` (``none_as_null=False``, SQLAlchemy's default) writing ``None`` stores
JSON's ``null``, which ``IS NULL`` does not find: on PostgreSQL and SQLite ``data=None``
matches only rows whose column is SQL NULL (a ``bulk_insert`` that left it out). The fake
stores both as ``None`` and cannot tell them apart, so it refuses the filter, naming the
way out, rather than answer with more rows than production.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ValidationError
from serpens.fakes import AsyncInMemoryRepository, InMemoryRepository

MESSAGE = (
    "the in-memory repository of Doc cannot filter data on None: data: None writes JSON's "
    "null there, which SQL's IS NULL does not find; the fake stores both as None: declare "
    "the column JSON(none_as_null=True)"
)


class Base(DeclarativeBase):
    pass


class Doc(Base):
    __tablename__ = "json_null_docs"

    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    plain: Mapped[Any] = mapped_column(sa.JSON(none_as_null=True), nullable=True)


def test_every_filtered_read_refuses_none_on_a_json_null_column() -> None:
    docs = InMemoryRepository(Doc)
    docs.add(Doc(data=None, plain=None))

    for read in (docs.list, docs.count, docs.exists, docs.get_by):
        with pytest.raises(ValidationError) as caught:
            read(data=None)
        assert str(caught.value) == MESSAGE
        assert [e.path for e in caught.value.errors] == ["data"]


async def test_the_async_repository_refuses_it_too() -> None:
    docs = AsyncInMemoryRepository(Doc)

    with pytest.raises(ValidationError, match="cannot filter data on None"):
        await docs.count(data=None)


def test_none_on_a_column_that_stores_sql_null_is_a_plain_is_null() -> None:
    docs = InMemoryRepository(Doc)
    docs.add(Doc(data={"a": 1}, plain=None))
    docs.add(Doc(data={"a": 2}, plain={"b": 1}))

    assert [d.data for d in docs.list(plain=None)] == [{"a": 1}]
    assert docs.count(plain=None, id=1) == 1
