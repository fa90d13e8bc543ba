"""The fake's flush write-back and the longest cursor, pinned beyond the port's words.

Selected by the mutation driver (``TestInMemory*``): each test here kills a mutant no
contract case sees.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy

from serpens._rules.repository import MAX_CURSOR_LENGTH
from serpens.errors import ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository


class TestInMemoryWriteBackAndCursors:
    def test_a_generated_list_set_on_the_object_is_its_own_copy(self) -> None:
        """A flush sets an ``onupdate`` list on the object as a copy of the stored one.

        Changing the object's list in place (never flushed: SQLAlchemy would not see it)
        leaves the committed row as it was.
        """

        class Base(sqlalchemy.orm.DeclarativeBase):
            pass

        class Note(Base):
            __tablename__ = "notes"
            id: sqlalchemy.orm.Mapped[int] = sqlalchemy.orm.mapped_column(primary_key=True)
            text: sqlalchemy.orm.Mapped[str | None] = sqlalchemy.orm.mapped_column(
                sqlalchemy.String(10)
            )
            marks: sqlalchemy.orm.Mapped[Any] = sqlalchemy.orm.mapped_column(
                sqlalchemy.PickleType, onupdate=lambda: ["edited"], nullable=True
            )

        database = InMemoryDatabase()
        repo: Any = InMemoryRepository(Note, database=database)
        note = repo.add(Note(id=1, text="a"))
        note.text = "b"
        repo.flush()
        repo.commit()
        note.marks.append("by hand")
        assert InMemoryRepository(Note, database=database).get(1).marks == ["edited"]

    def test_a_cursor_of_exactly_the_longest_length_is_read(self) -> None:
        """``seek`` reads a cursor of ``MAX_CURSOR_LENGTH`` characters and refuses a longer one.

        A cursor that ``seek`` itself returned, for a long text key, may be that long.
        """

        class Base(sqlalchemy.orm.DeclarativeBase):
            pass

        class Doc(Base):
            __tablename__ = "docs"
            id: sqlalchemy.orm.Mapped[int] = sqlalchemy.orm.mapped_column(primary_key=True)
            body: sqlalchemy.orm.Mapped[str] = sqlalchemy.orm.mapped_column(sqlalchemy.Text)

        repo: Any = InMemoryRepository(Doc, database=InMemoryDatabase())
        repo.bulk_add([Doc(id=1, body="a" * 49_122), Doc(id=2, body="b")])
        first = repo.seek(limit=1, order_by="body")
        assert len(first.next_cursor) == MAX_CURSOR_LENGTH  # the body's length makes it so
        after = repo.seek(after=first.next_cursor, limit=1, order_by="body")
        assert [d.id for d in after.items] == [2]
        with pytest.raises(ValidationError):
            repo.seek(after=first.next_cursor + "A", limit=1, order_by="body")
