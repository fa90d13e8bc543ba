"""Column-type cases of the Repository suite: the values each column type takes.

Filter and written values of each column type's own Python types only, an ``Enum``'s
members and names, a decorated or one-character ``String``'s limit, and no NUL or lone
surrogate in text: every backend refuses the rest alike. Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Color, Kind, Product
from serpens_contract._repository_models_defaults import Slug
from serpens_contract.repository._shared import UTC_MINUS_3, _flush_refuses_then_stores


class ColumnValueCases:
    """Cases on the values each column type accepts, written or filtered."""

    def test_each_column_type_checks_its_filter_values(self, db: RepositoryDatabase) -> None:
        """Each column type takes filter (and written) values of its own Python types only.

        A value of the column's type finds the row on every backend. Any other value is a
        ``ValidationError`` naming the column, raised by the shared rules before any I/O:
        backends disagree on a mismatch (PostgreSQL rejects ``flag = 1``, SQLite compares
        it, the fake matches nothing), so none may reach one. A ``UTCDateTime`` also refuses
        a naive datetime, whose instant is unknowable.
        """
        kinds: Any = db.repository(Kind)
        ref = uuid.UUID("12345678-1234-5678-1234-567812345678")
        at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC_MINUS_3)
        kinds.add(
            Kind(
                flag=True,
                day=dt.date(2026, 1, 2),
                ratio=1.5,
                color=Color.RED,
                size="s",
                ref=ref,
                ref_text=str(ref),
                code="abcdefgh",
                at=at,
                tally=Decimal("5.00"),
                clock=dt.time(8, 15),
                span=dt.timedelta(days=1),
            )
        )
        right: list[tuple[str, object]] = [
            ("flag", True),
            ("day", dt.date(2026, 1, 2)),
            ("ratio", 1.5),
            ("ratio", Decimal("1.5")),  # a Float column compares a Decimal by value
            ("color", Color.RED),
            ("size", "s"),
            ("ref", ref),
            ("ref_text", str(ref)),
            ("code", "abcdefgh"),  # a decorated type's values pass unchecked
            ("at", at),
            ("at", at.astimezone(dt.UTC)),  # the same instant in another zone
            ("tally", 5),  # an int for a Numeric: 5 is 5.00
            ("tally", Decimal("5.0")),  # the same number at another scale
            ("clock", dt.time(8, 15)),
            ("span", dt.timedelta(hours=24)),
        ]
        for key, value in right:
            assert kinds.count(**{key: value}) == 1, (key, value)
        # each filter is taken as its column takes it, those after a NULL one too
        assert kinds.count(letter=None, color="RED", tally=5, ratio=Decimal("1.5")) == 1
        wrong: list[tuple[str, object]] = [
            ("flag", 1),  # an int for a boolean
            ("day", "2026-01-02"),  # a string for a date
            ("day", dt.datetime(2026, 1, 2, tzinfo=dt.UTC)),  # a datetime for a date
            ("ratio", "1.5"),  # a string for a float
            ("color", 1),  # a number for an enum
            ("size", 1),  # a number for a string enum
            ("ref", str(ref)),  # a string where the column holds uuid.UUID (as_uuid=True)
            ("ref_text", 1),  # a number for a uuid
            ("ref_text", ref),  # a UUID where the column holds str (as_uuid=False)
            ("at", "2026-01-02T00:00:00+00:00"),  # a string for a datetime
            ("at", dt.datetime(2026, 1, 2)),  # noqa: DTZ001 - naive, on purpose
            ("clock", "08:15"),  # a string for a time: psycopg2 cast it, asyncpg refused it
            ("span", 86400),  # a number for an interval
            ("span", "1 day"),  # a string for an interval
        ]
        for key, value in wrong:
            with pytest.raises(ValidationError) as info:
                kinds.count(**{key: value})
            assert [e.path for e in info.value.errors] == [key], (key, value)
            with pytest.raises(ValidationError) as info:
                kinds.add(Kind(**{key: value}))  # and no write stores it either
            assert [e.path for e in info.value.errors] == [key], (key, value)
        assert kinds.count() == 1

    def test_an_enum_column_takes_its_members_and_their_names_and_nothing_else(
        self, db: RepositoryDatabase
    ) -> None:
        """An ``Enum`` over a Python enum stores member names: a name is its member.

        Written or filtered by name (``"RED"``) or by member, the row reads back holding
        the member on every backend. A string that is not one of the column's values is a
        ``ValidationError`` naming the column: SQLAlchemy would send it as it is and the
        row would then fail to load (or PostgreSQL reject it as too long).
        """
        kinds: Any = db.repository(Kind)
        by_name = kinds.add(Kind(color="RED", size="m"))
        kinds.bulk_insert([{"color": "GREEN", "size": "l"}])
        kinds.upsert({"id": 99, "color": Color.RED, "size": "s"}, conflict_on=["id"])
        assert kinds.count(color="RED") == kinds.count(color=Color.RED) == 2
        assert kinds.count(color="GREEN", size="l") == 1
        db.commit(kinds)
        fresh: Any = db.repository(Kind)
        assert fresh.get(by_name.id).color is Color.RED
        assert [(k.color, k.size) for k in fresh.list(order_by="size")] == [
            (Color.GREEN, "l"),
            (Color.RED, "m"),
            (Color.RED, "s"),
        ]
        bad: list[Callable[[], object]] = [
            lambda: fresh.add(Kind(color="BLUE")),
            lambda: fresh.add(Kind(color="red")),  # the member's value, not its name
            lambda: fresh.add(Kind(size="xl")),
            lambda: fresh.bulk_insert([{"color": "RED", "size": "m"}, {"color": "X", "size": "m"}]),
            lambda: fresh.count(color="BLUE"),
            lambda: fresh.count(size="xl"),
        ]
        paths = ["color", "color", "size", "rows[1].color", "color", "size"]
        for call, path in zip(bad, paths, strict=True):
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        assert fresh.count() == 3

    def test_a_string_longer_than_a_decorated_columns_length_is_a_validation_error(
        self, db: RepositoryDatabase
    ) -> None:
        """A ``TypeDecorator`` over ``String(8)`` keeps the limit of its ``String(8)``.

        PostgreSQL rejects nine characters in the column natively; SQLite and the fake
        must reject them as well, through the limit the rules read off the decorated type.
        """
        kinds: Any = db.repository(Kind)
        fits, over = "é" * 8, "é" * 9  # characters are counted, not bytes
        with pytest.raises(ValidationError) as info:
            kinds.add(Kind(code=over))
        assert [e.path for e in info.value.errors] == ["code"]
        with pytest.raises(ValidationError) as info:
            kinds.bulk_insert([{"code": fits}, {"code": over}])
        assert [e.path for e in info.value.errors] == ["rows[1].code"]
        assert kinds.count() == 0  # nothing stored, and the unit of work is usable
        obj = kinds.add(Kind(code=fits))
        with pytest.raises(ValidationError):
            kinds.upsert({"id": obj.id, "code": over}, conflict_on=["id"], update_fields=["code"])
        _flush_refuses_then_stores(kinds, obj, "code", over, fits)

    def test_a_one_character_string_column_holds_one_character(
        self, db: RepositoryDatabase
    ) -> None:
        """``String(1)``, the shortest limit, is a limit: two characters are refused.

        PostgreSQL rejects them natively; SQLite and the fake must reject them as well.
        """
        kinds: Any = db.repository(Kind)
        with pytest.raises(ValidationError) as info:
            kinds.add(Kind(letter="ab"))
        assert [e.path for e in info.value.errors] == ["letter"]
        with pytest.raises(ValidationError) as info:  # the other bounded column left out
            kinds.bulk_insert([{"letter": "a"}, {"letter": "ab"}])
        assert [e.path for e in info.value.errors] == ["rows[1].letter"]
        assert kinds.count() == 0
        assert kinds.add(Kind(letter="a")).letter == "a"
        assert kinds.count(letter="a") == 1

    @pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "lone-surrogate"])
    def test_a_nul_character_in_text_is_a_validation_error(
        self, db: RepositoryDatabase, bad: str
    ) -> None:
        """PostgreSQL's text holds no NUL character (U+0000), written or filtered.

        asyncpg's server answers 22021 and aborts the transaction; psycopg2 raised a bare
        ``ValueError``; SQLite and the fake stored it. Every backend refuses it before any
        I/O, and the unit of work stays usable. So is a lone surrogate (U+D800 to U+DFFF),
        which has no UTF-8 form: every driver failed with a bare ``UnicodeEncodeError``
        (psycopg2's COPY with a misleading cancellation) and the fake stored it.
        """
        products: Any = db.repository(Product)
        writes: list[tuple[Callable[[], object], str]] = [
            (lambda: products.add(Product(sku="a", name=f"x{bad}y")), "name"),
            (lambda: products.bulk_insert([{"sku": "a"}, {"sku": "b" + bad}]), "rows[1].sku"),
            (lambda: db.repository(Kind).add(Kind(code=bad)), "code"),  # a decorated String
            (lambda: db.repository(Kind).add(Kind(memo=bad * 9)), "memo"),  # unbounded Text
            (
                lambda: db.repository(Kind).bulk_insert([{"memo": "a"}, {"memo": bad}]),
                "rows[1].memo",
            ),
        ]
        for call, path in writes:
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        reads: list[Callable[[], object]] = [
            lambda: products.count(name=bad),
            lambda: products.get_by(sku="a" + bad),
        ]
        for read in reads:
            with pytest.raises(ValidationError):
                read()
        assert products.count() == 0
        obj = products.add(Product(sku="a", name="ok"))
        _flush_refuses_then_stores(products, obj, "name", f"o{bad}k", "fine")

    def test_a_default_reads_its_rows_values_on_every_write_path(
        self, db: RepositoryDatabase
    ) -> None:
        """A default taking SQLAlchemy's context sees its row's values, however it is written.

        ``default=lambda ctx: ctx.get_current_parameters()["title"].lower()``: each write
        path stores the row's own slug, where a path that computes defaults itself (the
        fake, ``bulk_insert``'s COPY) once raised a bare ``AttributeError``.
        """
        slugs = db.repository(Slug)
        assert slugs.add(Slug(title="Added")).slug == "added"
        assert [s.slug for s in slugs.bulk_add([Slug(title="B1"), Slug(title="B2")])] == [
            "b1",
            "b2",
        ]
        assert slugs.upsert({"title": "Upserted"}, conflict_on=["title"]).slug == "upserted"
        assert slugs.upsert_many([{"title": "Many"}], conflict_on=["title"]) == 1
        assert slugs.bulk_insert([{"title": "Bulk1"}, {"title": "Bulk2"}]) == 2
        db.commit(slugs)
        stored = sorted((s.title, s.slug) for s in db.repository(Slug).list())
        assert stored == sorted(
            (t, t.lower()) for t in ("Added", "B1", "B2", "Upserted", "Many", "Bulk1", "Bulk2")
        )
