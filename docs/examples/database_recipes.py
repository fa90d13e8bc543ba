import os
from decimal import Decimal

from sqlalchemy import Integer, Numeric, String, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from serpens.database import Base, Repository, SessionLocal, TimestampMixin, bind, db_session


class Payment(TimestampMixin, Base):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(20), default="received")
    cancel_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class PaymentRepo(Repository[Payment]):
    model = Payment

    # Idempotent insert: one INSERT ... ON CONFLICT, never SELECT-then-INSERT.
    def receive(self, idempotency_key: str, amount: Decimal) -> Payment:
        return self.upsert(
            {"external_id": idempotency_key, "amount": amount, "status": "received"},
            conflict_on=["external_id"],
            # update_fields=["amount"] would overwrite; omitted, a retry changes nothing
        )

    # Soft delete: a named state change instead of DELETE.
    def cancel(self, payment: Payment, *, reason: str) -> None:
        payment.status = "cancelled"
        payment.cancel_reason = reason
        self.flush()


def main() -> None:
    os.environ.setdefault("DATABASE_URL", "sqlite:///recipes.db")
    Base.metadata.create_all(bind())

    with db_session() as sess:
        payment = PaymentRepo(sess).receive("req-1", Decimal("10.00"))
        retried = PaymentRepo(sess).receive("req-1", Decimal("99.00"))  # the client retried
        assert retried is payment
        assert (payment.amount, payment.version) == (Decimal("10.00"), 1)
        payment_id = payment.id

    with db_session() as sess:
        payments = PaymentRepo(sess)
        payments.cancel(payments.get_or_raise(payment_id), reason="duplicate")

    # Optimistic locking: two requests read version 2; the second writer loses.
    first, second = SessionLocal(), SessionLocal()
    mine = first.get_one(Payment, payment_id)
    theirs = second.get_one(Payment, payment_id)
    second.commit()  # the read ends; expire_on_commit=False keeps `theirs` loaded
    mine.amount = Decimal("11.00")
    first.commit()
    theirs.amount = Decimal("12.00")
    try:
        second.commit()
    except StaleDataError:
        second.rollback()
        print("concurrent update detected; reload and retry")
    else:
        raise AssertionError("the stale write should have failed")
    finally:
        first.close()
        second.close()

    with db_session() as sess:
        final = sess.scalars(select(Payment)).one()
        assert (final.status, final.amount, final.version) == ("cancelled", Decimal("11.00"), 3)


if __name__ == "__main__":
    main()
