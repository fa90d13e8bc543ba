"""Static checks of serpens.database's types, run by mypy --strict (never executed)."""

from typing import assert_type

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from serpens.database import (
    AsyncSessionLocal,
    SessionLocal,
    async_bind,
    async_db_session,
    bind,
    db_session,
)


def sync_side() -> None:
    assert_type(bind(), Engine)
    assert_type(SessionLocal(), Session)
    with db_session(statement_timeout_ms=100) as sess:
        assert_type(sess, Session)


async def async_side() -> None:
    assert_type(async_bind(), AsyncEngine)
    assert_type(AsyncSessionLocal(), AsyncSession)
    async with async_db_session() as sess:
        assert_type(sess, AsyncSession)
