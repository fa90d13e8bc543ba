import contextlib
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConflictError, NotFoundError
from serpens_sqlalchemy import SQLAlchemyRepository, UTCDateTime, configure_sqlite


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    price: Mapped[int | None]
    updated_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, onupdate=lambda: dt.datetime.now(dt.UTC)
    )
    version: Mapped[int] = mapped_column(nullable=False)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ProductRepo(SQLAlchemyRepository[Product]):
    model = Product

    def by_slug(self, slug: str) -> Product | None:  # a custom lookup
        return self.get_by(slug=slug)


engine = sa.create_engine("sqlite://")
configure_sqlite(engine)  # savepoints that nest, foreign keys on
Base.metadata.create_all(engine)

with Session(engine, autoflush=False, expire_on_commit=False) as sess:
    repo = ProductRepo(sess)
    repo.bulk_add([Product(slug=f"p{i}", price=i % 3 or None) for i in range(7)])
    with contextlib.suppress(ConflictError):
        repo.add(Product(slug="p1"))  # raises; the savepoint rolled back, the session lives on

    assert [p.slug for p in repo.list(order_by="-price", limit=3)] == ["p0", "p3", "p6"]
    rows, total = repo.paginate(page=2, size=3)  # legacy tuple unpacking still works
    page = repo.paginate(page=2, size=3)
    assert (total, page.pages, [p.slug for p in rows]) == (7, 3, ["p3", "p4", "p5"])

    # keyset pagination for deep pages: pass the cursor back
    first = repo.seek(limit=4, order_by="-slug")
    rest = repo.seek(after=first.next_cursor, limit=4, order_by="-slug")
    assert [p.slug for p in rest.items] == ["p2", "p1", "p0"]
    assert rest.next_cursor is None

    # idempotent insert: omitted update_fields leaves an existing row alone
    kept = repo.upsert({"slug": "p1", "price": 99}, conflict_on=["slug"])
    assert (kept.price, kept.version) == (1, 1)
    bumped = repo.upsert({"slug": "p1", "price": 99}, conflict_on=["slug"], update_fields=["price"])
    assert bumped is kept
    assert (bumped.price, bumped.version, bumped.updated_at is not None) == (99, 2, True)

    missing = ""
    try:
        repo.get_or_raise(404)
    except NotFoundError as exc:  # also a LookupError
        missing = str(exc)
    assert missing == "Product id=404"
    sess.commit()
