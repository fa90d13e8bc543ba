"""``serpens.fastapi``: a FastAPI app over uvicorn and a real repository answers serpens errors.

The app stores accounts with a real :class:`AsyncRepository` on PostgreSQL (asyncpg) or
SQLite (aiosqlite). Faults are real: a duplicate insert, a row lock held by another
connection, a database port nobody listens on.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ConflictError, SerpensError
from serpens.fastapi import DEFAULT_RETRY_AFTER, error_response, install_exception_handlers
from serpens.schema import Schema
from serpens.testing import serve_asgi
from serpens_contract.repository import contract_schema
from serpens_sqlalchemy import AsyncRepository, configure_sqlite


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(100), unique=True)


@dataclass
class NewAccount(Schema):
    email: str


async def session(request: Request) -> AsyncIterator[AsyncSession]:
    engine: AsyncEngine = request.app.state.engine
    async with AsyncSession(engine, expire_on_commit=False) as sess:
        yield sess


Session = Annotated[AsyncSession, Depends(session)]


def make_app(url: str, connect_args: dict[str, Any] | None = None, **install: Any) -> FastAPI:
    """The service under test: the engine is built in the lifespan, on the server's loop."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_async_engine(url, connect_args=connect_args or {})
        if url.startswith("sqlite"):
            configure_sqlite(engine)
        app.state.engine = engine
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    install_exception_handlers(app, **install)

    @app.post("/accounts", status_code=201)
    async def create(payload: dict[str, Any], sess: Session) -> dict[str, Any]:
        new = NewAccount.load(payload)
        account = await AsyncRepository(sess, Account).add(Account(email=new.email))
        await sess.commit()
        return {"id": account.id, "email": account.email}

    @app.get("/accounts/count")
    async def count(sess: Session) -> dict[str, int]:
        return {"count": await AsyncRepository(sess, Account).count()}

    @app.get("/accounts/{ident}")
    async def read(ident: int, sess: Session) -> dict[str, Any]:
        account = await AsyncRepository(sess, Account).get_or_raise(ident)
        return {"id": account.id, "email": account.email}

    return app


def _postgres(url: str, driver: str) -> str:
    return f"postgresql+{driver}://" + url.split("://", 1)[1]


@pytest.fixture(name="pg_schema")
def _pg_schema(postgres_url: str) -> Iterator[str]:
    engine = sa.create_engine(_postgres(postgres_url, "psycopg2"))
    schema = contract_schema()
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        Base.metadata.create_all(conn.execution_options(schema_translate_map={None: schema}))
    yield schema
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


def _pg_app(postgres_url: str, schema: str, **settings: str) -> FastAPI:
    server_settings = {"search_path": schema, **settings}
    return make_app(
        _postgres(postgres_url, "asyncpg"), connect_args={"server_settings": server_settings}
    )


def _sqlite_app(tmp_path: Path) -> FastAPI:
    db = tmp_path / "accounts.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return make_app(f"sqlite+aiosqlite:///{db}")


@pytest.fixture(name="http", params=["postgres", "sqlite"])
def _http(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[httpx.Client]:
    if request.param == "postgres":
        postgres_url = request.getfixturevalue("postgres_url")
        app = _pg_app(postgres_url, request.getfixturevalue("pg_schema"))
    else:
        app = _sqlite_app(tmp_path)
    with serve_asgi(app) as base_url, httpx.Client(base_url=base_url) as client:
        yield client


class TestRepositoryErrorsOverHTTP:
    def test_a_duplicate_insert_answers_409_without_the_constraint(
        self, http: httpx.Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        first = http.post("/accounts", json={"email": "ana@example.com"})
        assert first.status_code == 201
        with caplog.at_level(logging.INFO, logger="serpens.fastapi"):
            duplicate = http.post("/accounts", json={"email": "ana@example.com"})
        assert duplicate.status_code == 409
        assert duplicate.json() == {"detail": "Conflict"}
        for internal in ("accounts", "email", "constraint", "UNIQUE", "23505", "INSERT"):
            assert internal not in duplicate.text
        # The details stay available to the operator, in the log.
        assert any("ConflictError" in r.getMessage() for r in caplog.records)
        assert http.get("/accounts/count").json() == {"count": 1}

    def test_a_missing_row_answers_404_with_a_generic_body(self, http: httpx.Client) -> None:
        response = http.get("/accounts/999")
        assert (response.status_code, response.json()) == (404, {"detail": "Not found"})

    def test_a_validation_error_answers_422_with_its_field_errors(self, http: httpx.Client) -> None:
        response = http.post("/accounts", json={"email": 5})
        assert response.status_code == 422
        assert response.json() == {
            "detail": "Validation failed",
            "errors": [{"path": "email", "message": "must be of type str, got integer"}],
        }


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_database_answers_503_with_retry_after() -> None:
    app = make_app(f"postgresql+asyncpg://postgres@127.0.0.1:{_unused_port()}/test")
    with serve_asgi(app) as base_url, httpx.Client(base_url=base_url) as http:
        response = http.get("/accounts/count")
    assert response.status_code == 503
    assert response.json() == {"detail": "Service unavailable"}
    assert response.headers["Retry-After"] == str(DEFAULT_RETRY_AFTER)
    assert "127.0.0.1" not in response.text


def test_retry_after_is_configurable_and_can_be_left_out() -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_unused_port()}/test"
    with serve_asgi(make_app(url, retry_after=None)) as base_url:
        response = httpx.get(f"{base_url}/accounts/count")
    assert response.status_code == 503
    assert "Retry-After" not in response.headers


def test_a_lock_timeout_answers_504(postgres_url: str, pg_schema: str) -> None:
    locker = sa.create_engine(_postgres(postgres_url, "psycopg2"))
    app = _pg_app(postgres_url, pg_schema, lock_timeout="200")
    try:
        with serve_asgi(app) as base_url, locker.connect() as conn:
            conn.exec_driver_sql(f'LOCK TABLE "{pg_schema}".accounts IN ACCESS EXCLUSIVE MODE')
            response = httpx.get(f"{base_url}/accounts/count", timeout=10)
            conn.rollback()
            after = httpx.get(f"{base_url}/accounts/count", timeout=10)
    finally:
        locker.dispose()
    assert response.status_code == 504
    assert response.json() == {"detail": "Gateway timeout"}
    assert "lock" not in response.text
    assert after.json() == {"count": 0}


def test_error_response_gives_500_for_an_unmapped_serpens_error() -> None:
    response = error_response(SerpensError("secret table t_internal"))
    assert response.status_code == 500
    assert b"t_internal" not in response.body
    assert error_response(ConflictError("x")).status_code == 409
