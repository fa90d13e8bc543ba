"""Static checks: ``rows, total = repo.paginate()`` keeps ``rows`` typed (mypy --strict)."""

from collections.abc import Sequence
from typing import assert_type

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.database import AsyncRepository, Repository
from serpens.database.repository import Repository as LegacyRepository
from serpens.fakes import AsyncInMemoryRepository, InMemoryRepository
from serpens.ports import AsyncRepository as AsyncRepositoryPort
from serpens.ports import Page
from serpens.ports import Repository as RepositoryPort


class Base(DeclarativeBase):
    pass


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)


class BookRepo(Repository[Book]):
    model = Book


class AsyncBookRepo(AsyncRepository[Book]):
    model = Book


def sync_adapter(sess: Session) -> None:
    rows, total = BookRepo(sess).paginate(page=2, size=10)
    assert_type(rows, Sequence[Book])
    assert_type(total, int)
    assert_type(rows[0].id, int)
    page = BookRepo(sess).paginate()
    assert_type(page, Page[Book])
    assert_type(page.items, Sequence[Book])
    assert_type(page[0], Sequence[Book])
    assert_type(page.pages, int)
    legacy_rows, _ = LegacyRepository(sess, model=Book).paginate()
    assert_type(legacy_rows, Sequence[Book])


async def async_adapter(sess: AsyncSession) -> None:
    rows, total = await AsyncBookRepo(sess).paginate()
    assert_type(rows, Sequence[Book])
    assert_type(total, int)


def through_the_port(repo: RepositoryPort[Book]) -> None:
    rows, total = repo.paginate()
    assert_type(rows, Sequence[Book])
    assert_type(total, int)


async def through_the_async_port(repo: AsyncRepositoryPort[Book]) -> None:
    rows, _ = await repo.paginate()
    assert_type(rows, Sequence[Book])


async def fakes() -> None:
    rows, _ = InMemoryRepository(Book).paginate()
    assert_type(rows, Sequence[Book])
    async_rows, _ = await AsyncInMemoryRepository(Book).paginate()
    assert_type(async_rows, Sequence[Book])


def covariance(page: Page[Book]) -> Page[object]:
    return page
