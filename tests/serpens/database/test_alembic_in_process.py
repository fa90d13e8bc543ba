"""serpens.database.alembic in the test's own process: the stairway's steps, render_item.

``test_alembic_autogenerate.py`` runs ``alembic revision --autogenerate`` in subprocesses;
here the rendering hook is called by Alembic's own renderer in process, and the stairway
is watched step by step (each migration logs its upgrades and downgrades to a table the
migrations do not own), so one step too many or too few shows.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine
from sqlalchemy.types import TypeDecorator

from serpens.database import UTCDateTime
from serpens.database.alembic import render_item, stairway

MIGRATIONS = Path(__file__).parent / "migrations"

_STEP = """
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = {down}


def upgrade() -> None:
    op.execute("INSERT INTO steps (step) VALUES ('{rev} up')")


def downgrade() -> None:
    op.execute("INSERT INTO steps (step) VALUES ('{rev} down')")
"""


def _logging_migrations(tmp_path: Path, revisions: list[tuple[str, str | None]]) -> Path:
    directory = tmp_path / "migrations"
    directory.mkdir()
    shutil.copy(MIGRATIONS / "env.py", directory / "env.py")
    shutil.copy(MIGRATIONS / "script.py.mako", directory / "script.py.mako")
    (directory / "versions").mkdir()
    for rev, down in revisions:
        text = _STEP.format(rev=rev, down=repr(down))
        (directory / "versions" / f"{rev}_step.py").write_text(text)
    return directory


def _steps(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT step FROM steps ORDER BY id")]


class TestStairwaySteps:
    def test_each_revision_goes_up_one_step_down_and_up_again(self, tmp_path: Path) -> None:
        directory = _logging_migrations(tmp_path, [("a1", None), ("b2", "a1"), ("c3", "b2")])
        database = tmp_path / "stairs.db"
        with sqlite3.connect(database) as connection:
            connection.execute("CREATE TABLE steps (id INTEGER PRIMARY KEY, step TEXT)")
        config = Config(stdout=io.StringIO())
        config.set_main_option("script_location", str(directory))
        assert stairway(config, f"sqlite:///{database}") == ["a1", "b2", "c3"]
        assert _steps(database) == [
            *("a1 up", "a1 down", "a1 up"),
            *("b2 up", "b2 down", "b2 up"),
            *("c3 up", "c3 down", "c3 up"),
        ]


class _Local(TypeDecorator[str]):
    """A column type of the service's own: Alembic renders it, not serpens."""

    impl = String(10)
    cache_ok = True


def _rendered(prefix: str = "sa.") -> str:
    metadata = MetaData()
    Table(
        "events",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime(), nullable=False),
        Column("code", _Local()),
    )
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            operations = produce_migrations(context, metadata)
    finally:
        engine.dispose()
    return render_python_code(
        operations.upgrade_ops,  # type: ignore[arg-type]
        sqlalchemy_module_prefix=prefix,
        render_item=render_item,
        user_module_prefix="types.",
    )


class TestRenderItem:
    def test_a_serpens_type_renders_as_the_type_it_stores(self) -> None:
        code = _rendered()
        assert "sa.Column('at', sa.DateTime(timezone=True), nullable=False)" in code
        assert "serpens" not in code

    def test_the_module_prefix_is_alembics(self) -> None:
        assert "sqla.Column('at', sqla.DateTime(timezone=True)" in _rendered("sqla.")

    def test_other_types_are_left_to_alembic(self) -> None:
        code = _rendered()
        assert "sa.Column('code', types._Local(length=10)" in code
        assert "sa.Column('id', sa.Integer(), nullable=False)" in code

    def test_without_a_module_prefix_option_it_is_sa(self) -> None:
        context = AutogenContext(MigrationContext.configure(dialect_name="sqlite"))
        assert render_item("type", UTCDateTime(), context) == "sa.DateTime(timezone=True)"

    @pytest.mark.parametrize("item", ["column", "server_default"])
    def test_items_other_than_types_are_left_to_alembic(self, item: str) -> None:
        assert render_item(item, UTCDateTime(), None) is False
