import os

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from serpens.database import Base, SessionLocal, TimestampMixin, bind, db_session, dispose


class User(TimestampMixin, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)


def main() -> None:
    os.environ.setdefault("DATABASE_URL", "sqlite:///hello.db")
    engine = bind()  # reads DATABASE_URL and the DB_* variables
    Base.metadata.create_all(engine)  # in a real service: Alembic

    # Explicit: the caller owns commit/rollback.
    with SessionLocal() as sess:
        sess.add(User(name="Ana"))
        sess.commit()

    # Auto-managed: commit on success, rollback on error, close always.
    with db_session() as sess:
        ana = sess.scalars(select(User).filter_by(name="Ana")).one()
        print(ana.id, ana.name, ana.created_at.isoformat())
        assert ana.created_at.tzinfo is not None

    dispose()


if __name__ == "__main__":
    main()
