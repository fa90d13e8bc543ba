"""``open_apart`` hooks an asyncpg engine's dialect once, and leaves other engines alone.

Every asyncpg store and queue calls ``open_apart`` on its engine (many share one), which
installs ``close_at_once`` (the terminate and close of a dropped connection run apart)
and ``keep_ping_cancel`` (a cancel in the pre-ping is not lost). Each is idempotent: a
second call must not wrap the dialect's ``do_terminate``, ``do_close`` or ``do_ping``
again. psycopg2's and SQLite's dialects keep their own methods. No I/O: the engines are
never connected.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from serpens_sqlalchemy._connect import open_apart
from serpens_sqlalchemy._ping import keep_ping_cancel
from serpens_sqlalchemy._terminate import close_at_once

HOOKED = ("do_terminate", "do_close", "do_ping")


def _hooks(engine: sa.Engine) -> dict[str, Any]:
    """The dialect methods the hooks replaced on this dialect instance (its own attributes)."""
    own = vars(engine.dialect)
    return {name: own[name] for name in HOOKED if name in own}


@pytest.mark.parametrize("install", [open_apart, close_at_once, keep_ping_cancel])
def test_a_second_install_on_an_asyncpg_engine_wraps_nothing_again(install: Any) -> None:
    engine = create_async_engine("postgresql+asyncpg://user@localhost/db").sync_engine
    install(engine)
    first = _hooks(engine)
    assert first  # installed on this dialect instance
    install(engine)
    open_apart(engine)  # a store's hooks after another's on the same engine
    again = _hooks(engine)
    for name, method in first.items():
        assert again[name] is method, name


def test_open_apart_installs_each_hook_on_an_asyncpg_engine() -> None:
    engine = create_async_engine("postgresql+asyncpg://user@localhost/db").sync_engine
    open_apart(engine)
    assert set(_hooks(engine)) == set(HOOKED)


@pytest.mark.parametrize(
    "url", ["sqlite://", "postgresql+psycopg2://user@localhost/db"], ids=["sqlite", "psycopg2"]
)
@pytest.mark.parametrize("install", [open_apart, close_at_once, keep_ping_cancel])
def test_another_drivers_engine_keeps_its_dialects_methods(url: str, install: Any) -> None:
    engine = sa.create_engine(url)
    install(engine)
    assert _hooks(engine) == {}
