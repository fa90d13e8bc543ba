import asyncio
import os

from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from serpens.database import (
    Base,
    TimestampMixin,
    async_bind,
    async_db_session,
    async_dispose,
)


class Customer(TimestampMixin, Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)


async def fetch(sess: AsyncSession, customer_id: int) -> Customer | None:
    return (await sess.scalars(select(Customer).filter_by(id=customer_id))).first()


async def main() -> None:
    os.environ.setdefault("DATABASE_URL", "sqlite:///hello_async.db")
    engine = async_bind()  # postgres:// -> asyncpg, sqlite:// -> aiosqlite
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)

    async with async_db_session() as sess:
        customer = Customer(name="Bia")
        sess.add(customer)
        await sess.flush()  # autoflush is off: flush to get the id
        customer_id = customer.id

    async with async_db_session() as sess:
        found = await fetch(sess, customer_id)  # pass the session down
        assert found is not None
        print(found.id, found.name)

    await async_dispose()


if __name__ == "__main__":
    asyncio.run(main())
