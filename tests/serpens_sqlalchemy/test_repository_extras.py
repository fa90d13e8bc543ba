"""Behaviour outside the shared contract: metadata the fake refuses, adapter-only SQL."""

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConfigurationError, ConflictError, ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_sqlalchemy import Repository, configure_sqlite
from tests.serpens_sqlalchemy._engines import sent_statements

NOON = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)


class Base(DeclarativeBase):
    pass


class Stamped(Base):
    __tablename__ = "stamped"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )


class Texty(Base):
    __tablename__ = "texty"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), server_default=sa.text("(lower('PLAIN'))"))


class Computed(Base):
    __tablename__ = "computed"
    id: Mapped[int] = mapped_column(primary_key=True)
    a: Mapped[int]
    twice: Mapped[int] = mapped_column(sa.Computed("a * 2"))


class NamedRepo(Repository[Stamped]):
    model = Stamped

    def named(self, name: str) -> Stamped | None:
        return self.get_by(name=name)


@pytest.fixture(name="sess")
def _sess() -> Iterator[Session]:
    engine = sa.create_engine("sqlite://")
    configure_sqlite(engine)
    Base.metadata.create_all(engine)
    with Session(engine, autoflush=False, expire_on_commit=False) as sess:
        yield sess
    engine.dispose()


def test_the_fake_fills_server_default_now_from_its_clock() -> None:
    repo = InMemoryRepository(Stamped, database=InMemoryDatabase(clock=lambda: NOON))
    assert repo.add(Stamped(name="a")).created_at == NOON


@pytest.mark.parametrize("model", [Texty, Computed])
def test_the_fake_refuses_what_it_cannot_emulate(model: type) -> None:
    with pytest.raises(ConfigurationError, match=model.__name__):
        InMemoryRepository(model)


def test_a_repository_needs_a_model(sess: Session) -> None:
    with pytest.raises(ConfigurationError, match="model"):
        Repository(sess)
    with pytest.raises(ConfigurationError, match="model"):
        InMemoryRepository()


def test_a_subclass_names_its_model_and_adds_lookups(sess: Session) -> None:
    repo = NamedRepo(sess)
    repo.add(Stamped(name="a"))
    found = repo.named("a")
    assert found is not None
    assert found.created_at is not None


def test_paginate_runs_a_custom_statement_with_its_true_total(sess: Session) -> None:
    repo = Repository(sess, Stamped)
    repo.bulk_add([Stamped(name=n) for n in "abcabc"])
    page = repo.paginate(repo.query.where(Stamped.name != "b"), page=2, size=3, order_by="-name")
    assert (page.total, page.pages, [s.name for s in page.items]) == (4, 2, ["a"])


class SmallPages(Repository[Stamped]):
    model = Stamped
    max_page_size = 2


def test_a_subclass_lowers_the_largest_page(sess: Session) -> None:
    """``max_page_size`` set on a subclass bounds ``paginate``'s size and ``seek``'s limit."""
    repo = SmallPages(sess)
    repo.bulk_add([Stamped(name=n) for n in "abc"])
    assert [s.name for s in repo.paginate(size=2).items] == ["a", "b"]
    assert [s.name for s in repo.seek(limit=2).items] == ["a", "b"]
    with pytest.raises(ValidationError, match="size"):
        repo.paginate(size=3)
    with pytest.raises(ValidationError, match="size"):
        repo.seek(limit=3)


def test_sql_expressions_order_on_the_adapter_only(sess: Session) -> None:
    repo = Repository(sess, Stamped)
    repo.bulk_add([Stamped(name=n) for n in ["b", "C", "a"]])
    assert [s.name for s in repo.list(order_by=sa.func.lower(Stamped.name))] == ["a", "b", "C"]
    fake = InMemoryRepository(Stamped)
    with pytest.raises(ValidationError, match="mapped columns"):
        fake.list(order_by=sa.func.lower(Stamped.name))


def test_textual_sql_orders_on_the_adapter_only(sess: Session) -> None:
    """``sa.text(...)`` is an expression too: it has ``compile``, no ``__clause_element__``."""
    repo = Repository(sess, Stamped)
    repo.bulk_add([Stamped(name=n) for n in ["b", "c", "a"]])
    assert [s.name for s in repo.list(order_by=sa.text("name DESC"))] == ["c", "b", "a"]
    fake = InMemoryRepository(Stamped)
    with pytest.raises(ValidationError, match="mapped columns"):
        fake.list(order_by=sa.text("name DESC"))
    for nonsense in (5, object()):
        with pytest.raises(ValidationError, match="cannot order by"):
            repo.list(order_by=nonsense)


def test_terms_after_a_sql_expression_still_order(sess: Session) -> None:
    """A SQL expression is one term of the ordering: the terms after it still apply."""
    repo = Repository(sess, Stamped)
    repo.bulk_add([Stamped(name=n) for n in ["b", "C", "a", "B"]])
    ordered = repo.list(order_by=[sa.func.lower(Stamped.name), "-id"])
    assert [s.name for s in ordered] == ["a", "B", "b", "C"]


def test_a_first_write_skips_the_savepoint_and_later_writes_use_one(postgres_url: str) -> None:
    """The first write of a fresh session needs no savepoint: rolling back loses nothing."""
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS stamped")
        Base.metadata.create_all(conn, tables=[Stamped.__table__])  # type: ignore[list-item]
    statements = sent_statements(engine)
    try:
        with Session(engine, autoflush=False, expire_on_commit=False) as fresh:
            first = Repository(fresh, Stamped).add(Stamped(name="a"))
            assert not [s for s in statements if "SAVEPOINT" in s]
            Repository(fresh, Stamped).add(Stamped(name="b"))
            assert [s.split()[0] for s in statements if "SAVEPOINT" in s] == [
                "SAVEPOINT",
                "RELEASE",
            ]
            fresh.commit()
        with Session(engine, autoflush=False, expire_on_commit=False) as again:
            repo = Repository(again, Stamped)
            with pytest.raises(ConflictError):
                repo.add(Stamped(id=first.id, name="dup"))
            assert not again.in_transaction()  # rolled back whole: nothing else was there
            repo.add(Stamped(name="c"))
            again.commit()
            assert [s.name for s in repo.list()] == ["a", "b", "c"]
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE stamped")
        engine.dispose()


@pytest.mark.parametrize("url", ["mysql://", "mariadb://"])
def test_a_session_on_mysql_or_mariadb_is_refused_up_front(url: str) -> None:
    sess = Session(bind=sa.create_mock_engine(url, None))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"PostgreSQL and SQLite.*ON DUPLICATE KEY"):
        Repository(sess, Stamped)


@pytest.mark.parametrize("url", ["mysql://", "mariadb://"])
def test_a_model_bound_to_mysql_or_mariadb_is_refused_up_front(url: str) -> None:
    """The bind checked is the model's own (``Session(binds=...)``), not the session's default."""
    sess = Session(binds={Stamped: sa.create_mock_engine(url, None)})  # type: ignore[dict-item]
    with pytest.raises(ConfigurationError, match=r"PostgreSQL and SQLite.*ON DUPLICATE KEY"):
        Repository(sess, Stamped)


def test_a_repository_on_an_unbound_session_fails_on_use_not_construction() -> None:
    repo = Repository(Session(), Stamped)
    with pytest.raises(sa.exc.UnboundExecutionError):
        repo.get(1)
