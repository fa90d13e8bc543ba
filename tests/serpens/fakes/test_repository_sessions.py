"""Repositories of several models in one unit of work, on the fake as on one ``Session``.

A service hands one session to the repositories of several models and commits them
together. ``InMemorySession`` is that session for the fake: the same steps run on two
``SQLAlchemyRepository`` over one PostgreSQL ``Session`` and on two ``InMemoryRepository``
over one ``InMemorySession`` answer alike (writes visible to each other at once and to
nobody else before the commit, a commit or rollback from any repository acting on all,
one instance per key across two repositories of one model). What only the fake can show
in one thread (PostgreSQL would make the second writer wait) runs on the fake alone: a
conflict found at commit publishes nothing of the session.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import BackendUnavailableError, ConfigurationError, ConflictError
from serpens.fakes import (
    AsyncInMemoryRepository,
    InMemoryDatabase,
    InMemoryRepository,
    InMemorySession,
)
from serpens_sqlalchemy import SQLAlchemyRepository
from tests.serpens.fakes._beside_postgresql import engine_for


class _Base(DeclarativeBase):
    pass


class Order(_Base):
    __tablename__ = "fake_session_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(8), unique=True)


class Line(_Base):
    __tablename__ = "fake_session_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("fake_session_orders.id"))
    sku: Mapped[str] = mapped_column(sa.String(8))


Opener = Callable[[type[Any]], Any]
"""A repository of a model in the shared unit of work (the first call opens it)."""
Counter = Callable[[], tuple[int, int]]
"""The committed orders and lines, as a new unit of work sees them."""


def _steps(open_repo: Opener, committed: Counter) -> list[object]:
    """The scenario both backends run; each result in turn."""
    out: list[object] = []
    orders, lines = open_repo(Order), open_repo(Line)
    order = orders.add(Order(ref="a"))
    lines.add(Line(order_id=order.id, sku="x"))
    out.append((orders.count(), lines.count(), committed()))  # seen inside, not outside
    lines.commit()  # the session's commit, from either repository
    out.append(committed())
    more = orders.add(Order(ref="b"))
    lines.add(Line(order_id=more.id, sku="y"))
    order.ref = "q"  # changed, not flushed
    orders.rollback()  # the session's rollback: both writes go, and the change
    out.append((orders.count(), lines.count(), committed()))
    out.append((orders.get(order.id) is order, order.ref))  # kept, and refreshed
    with pytest.raises(ConflictError):
        orders.add(Order(ref="a"))  # a duplicate at the write, the session still usable
    lines.add(Line(order_id=order.id, sku="z"))
    orders.commit()
    out.append(committed())
    twin = open_repo(Order)  # a second repository of the model: the same instances
    out.append(twin.get(order.id) is orders.get(order.id) is order)
    twin.add(Order(ref="c"))
    out.append(orders.count())
    order.ref = "zz"  # changed, not flushed
    lines.close()  # the session's close: the order added through the twin goes too
    out.append((committed(), order.ref))  # a closed session's objects keep their values
    return out


EXPECTED: list[object] = [
    (1, 1, (0, 0)),
    (1, 1),
    (1, 1, (1, 1)),
    (True, "a"),
    (1, 2),
    True,
    2,
    ((1, 2), "zz"),
]


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


def test_one_session_for_two_models_beside_postgresql(engine: sa.Engine) -> None:
    def counted(session: Any) -> tuple[int, int]:
        return (session.scalar(sa.select(sa.func.count()).select_from(Order)) or 0), (
            session.scalar(sa.select(sa.func.count()).select_from(Line)) or 0
        )

    with Session(engine, expire_on_commit=False) as shared:

        def committed() -> tuple[int, int]:
            with Session(engine) as other:
                return counted(other)

        class Bound:  # commit, rollback and close act on the shared session, as the fake's
            def __init__(self, model: type[Any]) -> None:
                self.repo = SQLAlchemyRepository(shared, model)

            def __getattr__(self, name: str) -> Any:
                if name in {"commit", "rollback", "close"}:
                    return getattr(shared, name)
                return getattr(self.repo, name)

        real = _steps(Bound, committed)
    database = InMemoryDatabase()
    session = InMemorySession(database)
    fake = _steps(
        lambda model: InMemoryRepository(model, session=session),
        lambda: (
            InMemoryRepository(Order, database=database).count(),
            InMemoryRepository(Line, database=database).count(),
        ),
    )
    assert fake == real == EXPECTED


class TestInMemorySession:
    def test_the_scenario_on_the_fake_alone(self) -> None:
        database = InMemoryDatabase()
        with InMemorySession(database) as session:
            out = _steps(
                lambda model: InMemoryRepository(model, session=session),
                lambda: (
                    InMemoryRepository(Order, database=database).count(),
                    InMemoryRepository(Line, database=database).count(),
                ),
            )
        assert out == EXPECTED

    def test_a_conflict_at_commit_publishes_nothing_of_the_session(self) -> None:
        database = InMemoryDatabase()
        session = InMemorySession(database)
        lines = InMemoryRepository(Line, session=session)
        order = InMemoryRepository(Order, session=session).add(Order(ref="a"))
        lines.add(Line(order_id=order.id, sku="x"))
        rival = InMemoryRepository(Order, database=database)
        kept = rival.add(Order(ref="a"))
        rival.commit()  # first committer wins
        with pytest.raises(ConflictError):
            session.commit()
        assert InMemoryRepository(Line, database=database).count() == 0  # nor the line
        assert lines.count() == 0  # the session was rolled back, and is usable
        lines.add(Line(order_id=kept.id, sku="y"))
        session.commit()
        assert [line.sku for line in InMemoryRepository(Line, database=database).list()] == ["y"]

    def test_the_session_and_its_repositories_share_one_database(self) -> None:
        session = InMemorySession()
        assert InMemoryRepository(Order, session=session).database is session.database
        with pytest.raises(ConfigurationError, match="different databases"):
            InMemoryRepository(Order, database=InMemoryDatabase(), session=session)
        with pytest.raises(ConfigurationError, match="needs an InMemorySession, not a InMemoryD"):
            InMemoryRepository(Order, session=InMemoryDatabase())  # type: ignore[arg-type]
        assert repr(session) == "<InMemorySession of Order>"
        InMemoryRepository(Line, session=session)
        assert repr(session) == "<InMemorySession of Order, Line>"
        assert repr(InMemorySession()) == "<InMemorySession of no model yet>"

    def test_an_outage_reaches_the_session(self) -> None:
        session = InMemorySession()
        orders = InMemoryRepository(Order, session=session)
        orders.add(Order(ref="a"))
        with session.database.outage():
            for end in (session.commit, session.rollback, session.close, orders.commit):
                with pytest.raises(BackendUnavailableError):
                    end()
        session.commit()
        assert InMemoryRepository(Order, database=session.database).count() == 1

    def test_async_repositories_share_a_session(self) -> None:
        async def scenario() -> tuple[int, int]:
            session = InMemorySession()
            orders = AsyncInMemoryRepository(Order, session=session)
            lines = AsyncInMemoryRepository(Line, session=session)
            order = await orders.add(Order(ref="a"))
            await lines.add(Line(order_id=order.id, sku="x"))
            await lines.commit()
            database = session.database
            await orders.add(Order(ref="b"))
            await lines.rollback()
            return (
                await AsyncInMemoryRepository(Order, database=database).count(),
                await AsyncInMemoryRepository(Line, database=database).count(),
            )

        assert asyncio.run(scenario()) == (1, 1)

    def test_sessions_racing_on_threads_commit_all_or_nothing(self) -> None:
        """Of sessions committing one unique value on several threads, one wins, whole."""
        database = InMemoryDatabase()
        barrier = threading.Barrier(4)

        def attempt(i: int) -> bool:
            session = InMemorySession(database)
            order = InMemoryRepository(Order, session=session).add(Order(ref="same"))
            InMemoryRepository(Line, session=session).add(Line(order_id=order.id, sku=f"s{i}"))
            barrier.wait()
            try:
                session.commit()
            except ConflictError:
                return False
            return True

        with ThreadPoolExecutor(4) as pool:
            won = list(pool.map(attempt, range(4)))
        assert won.count(True) == 1
        stored = InMemoryRepository(Line, database=database).list()
        assert [line.sku for line in stored] == [f"s{won.index(True)}"]

    def test_a_commit_holds_every_table_of_the_session_until_it_is_written(self) -> None:
        """No other commit lands on any of the session's tables while it is checked and written."""
        database = InMemoryDatabase()
        session = InMemorySession(database)
        lines = InMemoryRepository(Line, session=session)  # the first of the session's tables
        order = InMemoryRepository(Order, session=session).add(Order(ref="a"))
        lines.add(Line(order_id=order.id, sku="x"))
        tables = [database.table(Order.__table__), database.table(Line.__table__)]
        for i, held in enumerate(tables):
            before = [len(t.rows) for t in tables]
            with held.lock:  # another commit on that table is under way
                committing = threading.Thread(target=session.commit)
                committing.start()
                committing.join(0.1)
                assert committing.is_alive()  # it waits for that table too,
                assert [len(t.rows) for t in tables] == before  # before it writes any
            committing.join()
            assert [len(t.rows) for t in tables] == [n + 1 for n in before]
            session = InMemorySession(database)
            lines = InMemoryRepository(Line, session=session)
            order = InMemoryRepository(Order, session=session).add(Order(ref=f"b{i}"))
            lines.add(Line(order_id=order.id, sku="y"))
