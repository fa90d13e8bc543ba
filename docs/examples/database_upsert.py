import asyncio
import os
from decimal import Decimal

from sqlalchemy import Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from serpens.database import AsyncRepository, Base, async_bind, async_db_session, async_dispose


class Charge(Base):
    __tablename__ = "charges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(20), default="received")
    cancel_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ChargeRepo(AsyncRepository[Charge]):
    model = Charge

    async def cancel(self, charge: Charge, *, reason: str) -> None:  # soft delete
        charge.status = "cancelled"
        charge.cancel_reason = reason
        await self.sess.flush()


async def receive(idempotency_key: str, amount: Decimal) -> Charge:
    async with async_db_session() as sess:
        return await ChargeRepo(sess).upsert(
            {"external_id": idempotency_key, "amount": amount, "status": "received"},
            conflict_on=["external_id"],
            update_fields=["amount"],  # omit to leave an existing row untouched
        )


async def main() -> None:
    os.environ.setdefault("DATABASE_URL", "sqlite:///charges.db")
    async with async_bind().begin() as conn:
        await conn.run_sync(Base.metadata.create_all)

    first = await receive("req-1", Decimal("10.00"))
    retried = await receive("req-1", Decimal("10.50"))  # the client retried the request
    assert (retried.id, retried.amount) == (first.id, Decimal("10.50"))

    async with async_db_session() as sess:
        charges = ChargeRepo(sess)
        await charges.cancel(await charges.get_or_raise(first.id), reason="duplicate")
    async with async_db_session() as sess:
        charge = await ChargeRepo(sess).get_or_raise(first.id)
        assert (charge.status, charge.cancel_reason) == ("cancelled", "duplicate")
        assert await ChargeRepo(sess).count() == 1
    await async_dispose()


if __name__ == "__main__":
    asyncio.run(main())
