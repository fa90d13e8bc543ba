"""Declarative bases, UTCDateTime and TimestampMixin on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Integer, MetaData, String, create_engine, insert, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool

import serpens_sqlalchemy
from serpens import database
from serpens.database import Base, TimestampMixin, UTCDateTime, declarative_base
from serpens.database._base import NAMING_CONVENTION
from serpens.database._url import normalize_url
from serpens.errors import ValidationError


class Gadget(TimestampMixin, Base):
    __tablename__ = "gadgets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


@pytest.fixture(
    name="engine", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def _engine(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = normalize_url(f"sqlite:///{tmp_path / 'base.db'}", asynchronous=False)
    else:
        url = normalize_url(request.getfixturevalue("fresh_pg_url"), asynchronous=False)
    engine = create_engine(url, poolclass=NullPool)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


class TestTimestampMixin:
    def test_timestamps_are_timezone_aware_utc(self, engine) -> None:  # type: ignore[no-untyped-def]
        before = datetime.now(UTC)
        with Session(engine) as session:
            session.add(Gadget(name="a"))
            session.commit()
        with Session(engine) as session:
            gadget = session.scalars(select(Gadget)).one()
        assert gadget.created_at.tzinfo is not None
        assert gadget.created_at.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= gadget.created_at <= datetime.now(UTC)
        assert gadget.updated_at >= gadget.created_at

    def test_updated_at_moves_on_update(self, engine) -> None:  # type: ignore[no-untyped-def]
        with Session(engine) as session:
            gadget = Gadget(name="a")
            session.add(gadget)
            session.commit()
            created, updated = gadget.created_at, gadget.updated_at
            gadget.name = "b"
            session.commit()
            session.refresh(gadget)
        assert gadget.created_at == created
        assert gadget.updated_at > updated

    def test_rows_inserted_outside_the_orm_get_server_timestamps(self, engine) -> None:  # type: ignore[no-untyped-def]
        with engine.begin() as connection:
            connection.execute(insert(Gadget.__table__).values(name="core"))  # type: ignore[arg-type]
        with Session(engine) as session:
            gadget = session.scalars(select(Gadget)).one()
        assert gadget.created_at.tzinfo is not None
        assert abs(gadget.created_at - datetime.now(UTC)) < timedelta(minutes=5)

    def test_other_offsets_round_trip_as_the_same_instant_in_utc(self, engine) -> None:  # type: ignore[no-untyped-def]
        local = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=-3)))
        with Session(engine) as session:
            session.add(Gadget(name="tz", seen_at=local))
            session.commit()
        with Session(engine) as session:
            seen = session.scalars(select(Gadget.seen_at)).one()
        assert seen == local
        assert seen is not None
        assert seen.tzinfo == UTC
        assert seen.hour == 15

    def test_naive_datetimes_are_rejected(self, engine) -> None:  # type: ignore[no-untyped-def]
        with Session(engine) as session:
            session.add(Gadget(name="naive", seen_at=datetime(2024, 1, 1)))  # noqa: DTZ001
            with pytest.raises(StatementError, match="timezone-aware") as caught:
                session.commit()
        assert isinstance(caught.value.orig, ValidationError)

    def test_the_adapter_exports_the_same_type(self) -> None:
        assert serpens_sqlalchemy.UTCDateTime is UTCDateTime


def test_the_repository_keeps_its_spec_and_earlier_names() -> None:
    """``serpens.database`` names the adapter's classes as the spec does; old imports still work."""
    assert database.Repository is serpens_sqlalchemy.SQLAlchemyRepository
    assert database.AsyncRepository is serpens_sqlalchemy.AsyncSQLAlchemyRepository
    assert serpens_sqlalchemy.Repository is serpens_sqlalchemy.SQLAlchemyRepository
    assert serpens_sqlalchemy.AsyncRepository is serpens_sqlalchemy.AsyncSQLAlchemyRepository


class TestSQLiteRecipe:
    def test_configure_sqlite_on_a_bound_engine_changes_nothing(self, tmp_path: Path) -> None:
        engine = database.bind(f"sqlite:///{tmp_path / 'recipe.db'}")
        serpens_sqlalchemy.configure_sqlite(engine)  # already applied by bind(): no second BEGIN
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            session.add(Gadget(name="kept"))
            session.flush()
            with session.begin_nested():
                session.add(Gadget(name="released"))
            session.rollback()  # a released savepoint must not have committed anything
            session.add(Gadget(name="saved"))
            session.commit()
            assert session.scalars(select(Gadget.name)).all() == ["saved"]

    def test_timestamp_columns_come_last(self) -> None:
        assert [c.name for c in Gadget.__table__.columns][-2:] == ["created_at", "updated_at"]


class TestDeclarativeBase:
    def test_schema_applies_to_every_table(self) -> None:
        scoped_base = declarative_base(schema="billing")

        class Invoice(scoped_base):  # type: ignore[valid-type,misc]
            __tablename__ = "invoices"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)

        assert Invoice.__table__.schema == "billing"
        assert scoped_base.metadata is not Base.metadata

    def test_default_bases_keep_the_database_default_constraint_names_as_in_2_9(self) -> None:
        plain = MetaData().naming_convention  # SQLAlchemy's default: only indexes are named
        assert declarative_base().metadata.schema is None
        assert Base.metadata.naming_convention == plain
        assert declarative_base().metadata.naming_convention == plain
        assert declarative_base(schema="billing").metadata.naming_convention == plain

    def test_the_naming_convention_is_an_opt_in(self) -> None:
        named = declarative_base("billing", naming_convention=NAMING_CONVENTION)
        assert named.metadata.schema == "billing"
        assert named.metadata.naming_convention == NAMING_CONVENTION

        class Account(named):  # type: ignore[valid-type,misc]
            __tablename__ = "accounts"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)
            email: Mapped[str] = mapped_column(String(100), unique=True)

        constraints = {c.name for c in Account.__table__.constraints}
        assert constraints == {"pk_accounts", "uq_accounts_email"}
