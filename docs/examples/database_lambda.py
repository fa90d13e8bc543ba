import os
from typing import Any

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from serpens.database import Base, bind, db_session

# On Lambda, AWS_LAMBDA_FUNCTION_NAME is set: the pool defaults to 1 connection and no
# overflow, application_name is the function name, and pool_pre_ping revives the
# connection after the execution environment thaws.


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))


def handler(event: dict[str, Any], _context: object) -> dict[str, Any]:
    # The first db_session() of the execution environment binds from DATABASE_URL;
    # later invocations reuse that engine.
    with db_session() as sess:
        sess.add(Event(kind=event["kind"]))
    with db_session() as sess:
        total = len(sess.scalars(select(Event)).all())
    return {"statusCode": 200, "body": str(total)}


if __name__ == "__main__":
    os.environ.setdefault("DATABASE_URL", "sqlite:///lambda.db")
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", "events-fn")
    engine = bind(os.environ["DATABASE_URL"])  # given a URL: a new engine, Lambda defaults
    assert engine.pool.size() == 1  # type: ignore[attr-defined]
    assert bind() is engine  # no URL: the engine already bound
    Base.metadata.create_all(engine)
    print(handler({"kind": "signup"}, None))
