"""Fixtures of the example service's tests: fakes for unit tests, real servers for the rest."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from orders_service.app import create_app
from orders_service.container import Memory
from orders_service.settings import Settings
from orders_service.upstream import create_pricing_app


@pytest.fixture(name="memory")
def _memory() -> Memory:
    """Fresh in-memory fakes for every port."""
    return Memory()


@pytest.fixture(name="api")
async def _api(memory: Memory) -> AsyncIterator[httpx.AsyncClient]:
    """The orders API on the fakes, served in-process (lifespan included)."""
    app = create_app(Settings(), memory=memory)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
            yield client


@pytest.fixture(name="orders_db_url")
def _orders_db_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own, with the ``orders`` table, dropped afterwards."""
    name = f"orders_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(postgres_url).set(drivername="postgresql+psycopg2"),
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(name="pricing_app")
def _pricing_app() -> FastAPI:
    return create_pricing_app()
