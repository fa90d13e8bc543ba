import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.fakes import InMemoryDatabase, InMemoryRepository


class Base(DeclarativeBase):
    pass


class Payment(Base):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    amount: Mapped[int]


def test_only_committed_writes_are_seen_by_other_units_of_work() -> None:
    db = InMemoryDatabase()  # the "database server"; each repository is one session
    mine = InMemoryRepository(Payment, database=db)
    mine.add(Payment(external_id="k1", amount=100))
    assert mine.count() == 1  # a unit of work sees its own writes
    assert InMemoryRepository(Payment, database=db).count() == 0  # nobody else does
    mine.commit()  # session.commit(): published at once
    assert InMemoryRepository(Payment, database=db).count() == 1

    mine.add(Payment(external_id="k2", amount=5))
    mine.rollback()  # session.rollback(): discarded
    mine.add(Payment(external_id="k3", amount=7))
    mine.close()  # session.close() without commit: discarded too
    assert [p.external_id for p in InMemoryRepository(Payment, database=db).list()] == ["k1"]


test_only_committed_writes_are_seen_by_other_units_of_work()
