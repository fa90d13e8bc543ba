import asyncio

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens_sqlalchemy import AsyncSQLAlchemyRepository, configure_sqlite


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    hits: Mapped[int] = mapped_column(default=0)


async def main() -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    configure_sqlite(engine)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with AsyncSession(engine, autoflush=False, expire_on_commit=False) as sess:
        events = AsyncSQLAlchemyRepository(sess, Event)
        # bulk_insert: plain dicts, one statement (COPY on PostgreSQL); no objects built
        assert await events.bulk_insert([{"key": f"e{i}"} for i in range(1000)]) == 1000
        changed = await events.upsert_many(
            [{"key": "e1", "hits": 5}, {"key": "new", "hits": 1}],
            conflict_on=["key"],
            update_fields=["hits"],
        )
        assert changed == 2
        assert await events.count() == 1001
        assert await events.exists(key="new", hits=1)
        custom = events.query.where(Event.hits > 0)  # compose on `query`
        page = await events.paginate(custom, page=1, size=10, order_by="-hits")
        assert [(e.key, e.hits) for e in page.items] == [("e1", 5), ("new", 1)]
        await sess.commit()
    await engine.dispose()


asyncio.run(main())
