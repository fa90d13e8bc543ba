"""``Depends(fastapi_session)`` keeps serpens 2.9's meaning, in a real FastAPI app on PostgreSQL.

2.9's dependencies were ``with db_session() as sess: yield sess``: bound from
``DATABASE_URL`` on first use, committed when the endpoint returned, rolled back when it
raised. A handler that only does ``db.add(...)`` must keep its row.
"""

from __future__ import annotations

import inspect
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import Integer, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens import database
from serpens.database import _sessions, fastapi_async_session, fastapi_session
from serpens.fastapi import install_exception_handlers

pytestmark = pytest.mark.postgres


class Model(DeclarativeBase):
    pass


class Order(Model):
    __tablename__ = "fastapi_orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item: Mapped[str] = mapped_column(String(40))


class BoomError(Exception):
    pass


SCOPES = "scope" in inspect.signature(Depends).parameters
"""Whether this FastAPI has ``Depends(..., scope=)`` (0.121+; serpens admits 0.115)."""


@pytest.fixture(name="env_url")
def _env_url(fresh_pg_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``DATABASE_URL`` pointing at a database holding the table; nothing bound."""
    Model.metadata.create_all(database.bind(fresh_pg_url))
    database.dispose()
    monkeypatch.setenv("DATABASE_URL", fresh_pg_url)
    return fresh_pg_url


def _app() -> FastAPI:
    """The 2.9 README's shape: the endpoint adds and returns; it never commits."""
    app = FastAPI()
    install_exception_handlers(app)

    @app.post("/sync/{order_id}")
    def create(order_id: int, db: Annotated[Session, Depends(fastapi_session)]) -> dict[str, int]:
        db.add(Order(id=order_id, item="sync"))
        return {"id": order_id}

    @app.post("/sync/{order_id}/fail")
    def fail(order_id: int, db: Annotated[Session, Depends(fastapi_session)]) -> None:
        db.add(Order(id=order_id, item="never"))
        db.flush()
        raise BoomError

    @app.post("/async/{order_id}")
    async def acreate(
        order_id: int, db: Annotated[AsyncSession, Depends(fastapi_async_session)]
    ) -> dict[str, int]:
        db.add(Order(id=order_id, item="async"))
        return {"id": order_id}

    @app.post("/async/{order_id}/fail")
    async def afail(
        order_id: int, db: Annotated[AsyncSession, Depends(fastapi_async_session)]
    ) -> None:
        db.add(Order(id=order_id, item="never"))
        await db.flush()
        raise BoomError

    if SCOPES:

        @app.post("/checked/{order_id}")
        def checked(
            order_id: int,
            db: Annotated[Session, Depends(fastapi_session, scope="function")],
        ) -> dict[str, int]:
            db.add(Order(id=order_id, item="checked"))
            return {"id": order_id}

    return app


async def _post(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path)


def _items() -> list[str]:
    with database.db_session() as session:
        return list(session.scalars(select(Order.item).order_by(Order.id)))


class TestFastapiSession:
    async def test_binds_on_first_use_and_commits_what_the_endpoint_added(
        self, env_url: str
    ) -> None:
        assert _sessions._engines.sync is None  # nothing bound before the request
        response = await _post("/sync/1")
        assert (response.status_code, response.json()) == (200, {"id": 1})
        assert database.get_engine().url.database in env_url
        assert _items() == ["sync"]
        assert database.get_engine().pool.checkedout() == 0  # type: ignore[attr-defined]

    async def test_an_exception_in_the_endpoint_rolls_back(self, env_url: str) -> None:
        assert (await _post("/sync/1/fail")).status_code == 500
        assert _items() == []
        assert database.get_engine().pool.checkedout() == 0  # type: ignore[attr-defined]

    @pytest.mark.skipif(not SCOPES, reason="Depends(scope=) needs FastAPI 0.121 or later")
    async def test_a_commit_conflict_answers_409_with_the_function_scope(
        self, env_url: str
    ) -> None:
        """``scope="function"`` commits before the response, so a conflict reaches the client."""
        assert (await _post("/checked/1")).status_code == 200
        response = await _post("/checked/1")
        assert (response.status_code, response.json()) == (409, {"detail": "Conflict"})
        assert _items() == ["checked"]


class TestFastapiAsyncSession:
    async def test_binds_on_first_use_and_commits_what_the_endpoint_added(
        self, env_url: str
    ) -> None:
        assert _sessions._engines.asynchronous is None
        response = await _post("/async/2")
        assert (response.status_code, response.json()) == (200, {"id": 2})
        assert database.get_async_engine().url.database in env_url
        assert _items() == ["async"]

    async def test_an_exception_in_the_endpoint_rolls_back(self, env_url: str) -> None:
        assert (await _post("/async/2/fail")).status_code == 500
        assert _items() == []
        async with database.async_db_session() as session:
            assert await session.scalar(select(func.count()).select_from(Order)) == 0
