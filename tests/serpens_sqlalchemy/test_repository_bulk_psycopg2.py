"""psycopg2's fast paths: ``bulk_insert`` as a text COPY, ``upsert_many`` as one unnest statement.

Each must store exactly what SQLAlchemy's own executemany stores, so every value type
COPY's text format takes is written both ways, into twin tables, and read back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConflictError, ValidationError
from serpens_sqlalchemy import SQLAlchemyRepository
from serpens_sqlalchemy._repository_bulk import _copy_text, copy_records, execute_many

pytestmark = pytest.mark.postgres


class _Base(DeclarativeBase):
    pass


def _typed_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.String(40)),
        sa.Column("note", sa.Text),
        sa.Column("n", sa.BigInteger),
        sa.Column("flag", sa.Boolean),
        sa.Column("ratio", sa.Float),
        sa.Column("amount", sa.Numeric(12, 3)),
        sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("naive", sa.DateTime),
        sa.Column("day", sa.Date),
        sa.Column("clock", sa.Time),
        sa.Column("ident", sa.Uuid),
    ]


class Typed(_Base):
    __table__ = sa.Table("copy_typed", _Base.metadata, *_typed_columns())


TWIN = sa.Table("copy_typed_twin", _Base.metadata, *_typed_columns())


class Stock(_Base):
    __tablename__ = "unnest_stock"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    qty: Mapped[int | None]
    version: Mapped[int] = mapped_column(nullable=False)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class Defaulted(_Base):
    __tablename__ = "unnest_defaulted"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(20), unique=True)
    qty: Mapped[int] = mapped_column(default=7)


class Lapse(_Base):
    __tablename__ = "copy_lapse"
    id: Mapped[int] = mapped_column(primary_key=True)
    span: Mapped[dt.timedelta | None]
    blob: Mapped[bytes | None] = mapped_column(sa.LargeBinary)


@pytest.fixture(name="engine")
def _engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    _Base.metadata.drop_all(engine)
    _Base.metadata.create_all(engine)
    yield engine
    _Base.metadata.drop_all(engine)
    engine.dispose()


ZONE = dt.timezone(dt.timedelta(hours=-3))
AWKWARD = ["tab\there", "new\nline", "cr\rx", "back\\slash", "\\N", "\\.", "", "café ✓", "'q\""]


def _typed_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i, text in enumerate(AWKWARD):
        rows.append(
            {
                "id": i + 1,
                "text": text,
                "note": text * 3,
                "n": -(2**62) + i,
                "flag": i % 2 == 0,
                "ratio": 0.1 + i,
                "amount": Decimal("-12.345") + i,
                "at": dt.datetime(2026, 12, 4, 10, 0, 0, 123456, tzinfo=ZONE),
                "naive": dt.datetime(1999, 12, 31, 23, 59, 59, 999999),  # noqa: DTZ001 - a naive column
                "day": dt.date(1, 1, 1) if i == 0 else dt.date(2026, 2, 28),
                "clock": dt.time(23, 59, 59, 1),
                "ident": uuid.UUID(int=i),
            }
        )
    # every nullable column NULL once, beside values that are not
    rows.append({"id": 100, **{c.name: None for c in TWIN.columns if c.name != "id"}})
    return rows


def _read(engine: sa.Engine, table: sa.Table) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(table).order_by(table.c.id))]


class TestCopyOnPsycopg2:
    def test_every_value_type_lands_as_sqlalchemys_executemany_stores_it(
        self, engine: sa.Engine
    ) -> None:
        rows = _typed_rows()
        with engine.begin() as conn:
            assert copy_records(conn, Typed.__table__, rows) is True
            conn.execute(TWIN.insert(), rows)
        copied, inserted = _read(engine, Typed.__table__), _read(engine, TWIN)
        assert copied == inserted
        assert [row[1] for row in copied[:-1]] == AWKWARD
        assert copied[-1] == (100, *[None] * (len(TWIN.columns) - 1))

    def test_the_repository_takes_it_and_returns_the_count(self, engine: sa.Engine) -> None:
        with Session(engine) as sess:
            assert SQLAlchemyRepository(sess, Typed).bulk_insert(_typed_rows()) == 10
            sess.commit()
        with engine.begin() as conn:
            conn.execute(TWIN.insert(), _typed_rows())
        assert _read(engine, Typed.__table__) == _read(engine, TWIN)

    @pytest.mark.parametrize(
        ("field", "value"),
        [("span", dt.timedelta(days=1, seconds=5)), ("blob", b"\x00\\\t\n\xff")],
    )
    def test_a_value_copy_does_not_take_goes_through_sqlalchemy(
        self, engine: sa.Engine, field: str, value: object
    ) -> None:
        rows: list[dict[str, object]] = [{"id": 1, field: value}, {"id": 2, field: None}]
        with engine.begin() as conn:
            assert copy_records(conn, Lapse.__table__, rows) is False
        with Session(engine) as sess:
            repo = SQLAlchemyRepository(sess, Lapse)
            assert repo.bulk_insert(rows) == 2
            assert [getattr(lapse, field) for lapse in repo.list(order_by="id")] == [value, None]

    def test_a_duplicate_key_is_a_conflict_and_the_session_survives(
        self, engine: sa.Engine
    ) -> None:
        with Session(engine) as sess:
            repo = SQLAlchemyRepository(sess, Stock)
            assert repo.bulk_insert([{"sku": "a", "name": "n"}, {"sku": "b", "name": "n"}]) == 2
            with pytest.raises(ConflictError, match="23505"):
                repo.bulk_insert([{"sku": "c", "name": "n"}, {"sku": "a", "name": "n"}])
            assert repo.count() == 2  # the savepoint kept the earlier write
            sess.commit()

    def test_a_rollback_undoes_the_copy_as_the_first_write(self, engine: sa.Engine) -> None:
        with Session(engine) as sess:
            SQLAlchemyRepository(sess, Stock).bulk_insert([{"sku": "a", "name": "n"}])
            sess.rollback()
        with Session(engine) as sess:
            assert SQLAlchemyRepository(sess, Stock).count() == 0

    def test_a_schema_translate_map_is_followed(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS copy_elsewhere CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA copy_elsewhere")
        elsewhere = engine.execution_options(schema_translate_map={None: "copy_elsewhere"})
        try:
            _Base.metadata.create_all(elsewhere, tables=[Stock.__table__])
            with Session(elsewhere) as sess:
                SQLAlchemyRepository(sess, Stock).bulk_insert([{"sku": "x", "name": "n"}] * 1)
                sess.commit()
            with elsewhere.connect() as conn:
                assert conn.execute(sa.select(Stock.sku)).scalars().all() == ["x"]
            with engine.connect() as conn:
                assert conn.execute(sa.select(Stock.sku)).scalars().all() == []
        finally:
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA copy_elsewhere CASCADE")

    def test_the_text_format_escapes_what_would_end_a_field(self) -> None:
        # column by column: two rows of four columns
        text = _copy_text([("a\tb", "c\\d\ne\rf"), (None, "x"), (True, False), (1, -2)])
        assert text == "a\\tb\t\\N\tt\t1\nc\\\\d\\ne\\rf\tx\tf\t-2\n"
        assert _copy_text([(dt.timedelta(1),)]) is None  # a type it does not take
        assert _copy_text([(True, 1)]) == "t\n1\n"  # bool is not written as an int


class TestUnnestOnPsycopg2:
    def test_inserts_updates_and_bumps_the_version(self, engine: sa.Engine) -> None:
        with Session(engine) as sess:
            repo = SQLAlchemyRepository(sess, Stock)
            repo.bulk_insert([{"sku": "a", "name": "old", "qty": 1}])
            count = repo.upsert_many(
                [{"sku": "a", "name": "new", "qty": 5}, {"sku": "b", "name": "n", "qty": None}],
                conflict_on=["sku"],
                update_fields=["name"],
            )
            sess.commit()
        with Session(engine) as sess:
            rows = sess.execute(sa.select(Stock).order_by(Stock.sku)).scalars().all()
            got = [(r.sku, r.name, r.qty, r.version) for r in rows]
        assert count == 2
        assert got == [("a", "new", 1, 2), ("b", "n", None, 1)]

    def test_the_unnest_statement_is_the_one_taken(self, engine: sa.Engine) -> None:
        stmt = pg_insert(Stock.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["sku"], set_={"name": stmt.excluded.name, "version": Stock.version + 1}
        )
        rows: list[dict[str, object]] = [
            {"sku": "x", "name": "n", "qty": 1, "version": 1},
            {"sku": "y", "name": "n", "qty": None, "version": 1},
        ]
        statements: list[str] = []

        def seen(_c: object, _cur: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", seen)
        with engine.begin() as conn:
            assert execute_many(conn, stmt, rows) is True
            assert execute_many(conn, stmt, rows) is True
            assert execute_many(conn, stmt, rows[:1]) is False  # one row: a plain INSERT
            got = conn.execute(sa.select(Stock.version).order_by(Stock.sku)).scalars().all()
        sa.event.remove(engine, "before_cursor_execute", seen)
        assert got == [2, 2]
        assert len(statements) == 3
        assert "unnest(%(serpens_unnest_0)s::VARCHAR[]" in statements[0]  # no length cast

    def test_python_side_defaults_take_the_sqlalchemy_path(self, engine: sa.Engine) -> None:
        rows: list[dict[str, object]] = [{"sku": "a"}, {"sku": "b"}]
        with engine.begin() as conn:
            assert execute_many(conn, pg_insert(Defaulted.__table__), rows) is False
        with Session(engine) as sess:
            repo = SQLAlchemyRepository(sess, Defaulted)
            repo.upsert_many(rows, conflict_on=["sku"])
            assert [d.qty for d in repo.list()] == [7, 7]

    def test_a_driver_error_is_a_serpens_error_and_the_session_survives(
        self, engine: sa.Engine
    ) -> None:
        with Session(engine) as sess:
            repo = SQLAlchemyRepository(sess, Stock)
            repo.bulk_insert([{"sku": "kept", "name": "n", "qty": 1}])
            with pytest.raises(ValidationError, match="23502"):
                repo.upsert_many(
                    [{"sku": "bad", "name": None, "qty": 1}, {"sku": "ok", "name": "n", "qty": 2}],
                    conflict_on=["sku"],
                )
            assert repo.count() == 1

    def test_a_large_mixed_batch_lands_exactly(self, engine: sa.Engine) -> None:
        with Session(engine) as sess:
            repo = SQLAlchemyRepository(sess, Stock)
            repo.bulk_insert([{"sku": f"s{i}", "name": "old", "qty": i} for i in range(500)])
            rows = [{"sku": f"s{i}", "name": "new", "qty": None} for i in range(250, 1000)]
            assert repo.upsert_many(rows, conflict_on=["sku"], update_fields=["name"]) == 750
            sess.commit()
        with Session(engine) as sess:
            got = {s.sku: (s.name, s.qty, s.version) for s in sess.scalars(sa.select(Stock))}
        assert len(got) == 1000
        assert got["s0"] == ("old", 0, 1)
        assert got["s300"] == ("new", 300, 2)
        assert got["s900"] == ("new", None, 1)
