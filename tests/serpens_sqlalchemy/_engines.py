"""A sync engine on this machine's PostgreSQL (psycopg2) or on a SQLite file, tables made.

Several modules here run one test on both sync drivers; each parametrizes an engine
fixture over ``["psycopg2", "sqlite"]`` and yields from :func:`engine_with_tables`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from serpens_sqlalchemy import configure_sqlite


def engine_with_tables(
    request: pytest.FixtureRequest, tmp_path: Path, metadata: sa.MetaData
) -> Iterator[sa.Engine]:
    """An engine for ``request.param``, *metadata*'s tables created fresh, dropped after."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'tables.db'}")
        configure_sqlite(engine)
    else:
        postgres_url: str = request.getfixturevalue("postgres_url")
        engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()
