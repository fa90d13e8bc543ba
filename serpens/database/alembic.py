"""Alembic glue: a one-line ``env.py`` and a one-line stairway test.

``alembic/env.py``::

    from myapp.models import Base
    from serpens.database.alembic import run_migrations

    run_migrations(target_metadata=Base.metadata)

Migrations always run on the synchronous driver (``postgres://`` and
``postgresql+asyncpg://`` become psycopg2) with ``NullPool``, so a migration job
never keeps pool slots and never needs an event loop. Called from a thread that
already runs one (pytest-asyncio, an async Lambda handler), the work moves to a
worker thread. On PostgreSQL an advisory lock serialises concurrent runs (two
Lambdas deploying at once).

Connecting is bounded as :mod:`serpens.database` bounds it: ``DB_CONNECT_TIMEOUT``
(libpq's ``connect_timeout``), TCP keepalives and ``tcp_user_timeout``
(``DB_CLIENT_TIMEOUT_MS``), so an unreachable or frozen server fails the run instead of
hanging it (before, ``psycopg2.connect`` waited for the operating system, minutes). The
statements are not: no ``statement_timeout``, ``lock_timeout`` or client-side deadline
is applied, as a migration's DDL (an index build, a table rewrite) legitimately runs
long, and waiting for the advisory lock of another run is the point of it. Set a
timeout of your own in a migration that needs one (``SET LOCAL lock_timeout = ...``).

The URL comes from, in order: the ``url=`` argument, a ``connection`` placed in
``config.attributes`` by the caller, ``sqlalchemy.url`` in the Alembic config (or
``config.attributes["sqlalchemy.url"]``), then ``DATABASE_URL``.

``alembic revision --autogenerate`` renders serpens' column types (``UTCDateTime``,
which ``TimestampMixin`` uses) as the plain SQLAlchemy type they store
(``sa.DateTime(timezone=True)``) through :func:`render_item`, so a generated migration
needs nothing but ``sqlalchemy`` and never an import path inside serpens. A custom
``env.py`` passes ``render_item=render_item`` to ``context.configure`` for the same.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from serpens._extras import require

require("alembic", "migrations")

from alembic import command  # noqa: E402 - after the extra check on purpose
from alembic.config import Config  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import Connection, MetaData, create_engine, text  # noqa: E402
from sqlalchemy.engine import URL  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402
from sqlalchemy.types import TypeDecorator  # noqa: E402

from serpens.database._engine import migration_connect_args  # noqa: E402
from serpens.database._settings import DatabaseSettings  # noqa: E402
from serpens.database._url import normalize_url, resolve_url  # noqa: E402
from serpens.errors import ConfigurationError  # noqa: E402

__all__ = ["assert_single_head", "migration_url", "render_item", "run_migrations", "stairway"]

RenderItem = Callable[[str, Any, Any], "str | Literal[False]"]

_URL_ATTRIBUTE = "sqlalchemy.url"


def migration_url(config: Config, url: str | URL | None = None) -> URL:
    """Return the synchronous URL migrations use for *config* (see the module docstring)."""
    chosen: str | URL | None = url
    if chosen is None:
        chosen = config.attributes.get(_URL_ATTRIBUTE) or config.get_main_option(_URL_ATTRIBUTE)
    return normalize_url(resolve_url(chosen or None), asynchronous=False)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Alembic ``render_item`` hook: a serpens column type renders as the type it stores.

    ``UTCDateTime`` (and any other ``TypeDecorator`` defined by serpens) becomes its
    implementation type, e.g. ``sa.DateTime(timezone=True)``: the DDL is the same, the
    UTC conversion is Python-side and belongs to the models, not to the migration, and
    the migration imports only ``sqlalchemy`` (Alembic's default rendering named a
    module inside serpens that the migration did not import: ``NameError`` at upgrade).
    Everything else is left to Alembic (``False``).
    """
    if type_ == "type" and isinstance(obj, TypeDecorator) and _is_serpens_type(obj):
        prefix = autogen_context.opts.get("sqlalchemy_module_prefix") or "sa."
        return f"{prefix}{obj.impl_instance!r}"
    return False


def _is_serpens_type(obj: object) -> bool:
    module = type(obj).__module__
    return module.split(".", 1)[0] in {"serpens", "serpens_sqlalchemy"}


def _advisory_key(version_table: str) -> int:
    digest = hashlib.blake2b(f"serpens.alembic:{version_table}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _migrate_online(
    connection: Connection,
    target_metadata: MetaData | list[MetaData] | None,
    options: dict[str, Any],
) -> None:
    from alembic import context  # noqa: PLC0415 - the proxy exists only inside an Alembic run

    locked = connection.dialect.name == "postgresql"
    key = _advisory_key(str(options.get("version_table", "alembic_version")))
    if locked:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
    try:
        context.configure(connection=connection, target_metadata=target_metadata, **options)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if locked:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


def run_migrations(
    target_metadata: MetaData | list[MetaData] | None = None,
    url: str | URL | None = None,
    *,
    compare_type: bool = True,
    include_schemas: bool = False,
    version_table_schema: str | None = None,
    render_as_batch: bool | None = None,
    render_item: RenderItem | None = render_item,
) -> None:
    """Run the migrations Alembic asked for, offline (SQL script) or online. Call it from env.py.

    Args:
        target_metadata: your ``Base.metadata`` (for ``--autogenerate``).
        url: overrides every other URL source (positional too, as in serpens 2.9).
        compare_type: let autogenerate notice column type changes.
        include_schemas: let autogenerate look at every schema, not just the default.
        version_table_schema: the schema of ``alembic_version``.
        render_as_batch: batch mode (needed for ALTERs on SQLite); default on for SQLite.
        render_item: Alembic's autogenerate rendering hook; the default,
            :func:`render_item`, renders serpens' column types as plain SQLAlchemy types.
            A hook of your own can return ``serpens.database.alembic.render_item(...)``
            for the items it does not handle.
    """
    from alembic import context  # noqa: PLC0415 - the proxy exists only inside an Alembic run

    config = context.config
    options: dict[str, Any] = {
        "compare_type": compare_type,
        "include_schemas": include_schemas,
        "version_table_schema": version_table_schema,
        "render_item": render_item,
    }
    given: Connection | None = config.attributes.get("connection")
    if given is not None and url is None:
        options["render_as_batch"] = (
            given.dialect.name == "sqlite" if render_as_batch is None else render_as_batch
        )
        # The caller owns this connection and its transaction (Alembic's cookbook pattern).
        context.configure(connection=given, target_metadata=target_metadata, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    sync_url = migration_url(config, url)
    options["render_as_batch"] = (
        sync_url.get_backend_name() == "sqlite" if render_as_batch is None else render_as_batch
    )
    if context.is_offline_mode():
        context.configure(
            url=sync_url,
            target_metadata=target_metadata,
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    def online() -> None:
        # a bounded connect, no statement timeouts: see the module docstring
        connect_args = migration_connect_args(sync_url, DatabaseSettings.from_env())
        engine = create_engine(sync_url, poolclass=NullPool, connect_args=connect_args)
        try:
            with engine.connect() as connection:
                _migrate_online(connection, target_metadata, options)
        finally:
            engine.dispose()

    _in_plain_thread(online)


def _in_plain_thread(work: Callable[[], None]) -> None:
    """Run *work* here, or in a worker thread when this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        work()
        return
    errors: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            errors.append(exc)

    worker = threading.Thread(target=target, name="serpens-alembic")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def _config_for(config_or_dir: Config | str | Path, url: str | URL | None) -> Config:
    if isinstance(config_or_dir, Config):
        config = config_or_dir
    else:
        path = Path(config_or_dir)
        if path.is_file():
            config = Config(str(path))
        else:
            config = Config()
            config.set_main_option("script_location", str(path))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        config.attributes[_URL_ATTRIBUTE] = rendered
    return config


def assert_single_head(config_or_dir: Config | str | Path) -> str:
    """Return the only head revision; raise ConfigurationError when there are several."""
    heads = ScriptDirectory.from_config(_config_for(config_or_dir, None)).get_heads()
    if len(heads) != 1:
        raise ConfigurationError(f"expected one migration head, found {sorted(heads)}")
    return heads[0]


def _one_step_below(revision: str, down: str | Sequence[str] | None) -> str:
    """The ``downgrade`` target that undoes *revision* alone, whatever else is applied.

    ``revision@-1`` steps down *revision*'s own branch (a plain ``down_revision`` would
    take a sibling head applied earlier down with it); a merge steps down to one of its
    parents, which leaves them all applied.
    """
    if down is None:
        return "base"
    if isinstance(down, str):
        return f"{revision}@-1"
    return down[0]


def stairway(config_or_dir: Config | str | Path, url: str | URL | None = None) -> list[str]:
    """Walk every revision up, down and up again; return the revisions in order.

    For each revision from the first to the head: ``upgrade`` to it, ``downgrade`` one
    step, ``upgrade`` again. A downgrade that forgets to drop something, or an
    upgrade that cannot run twice, fails here instead of in production. The
    database ends at head.

    Branches and merges are walked too: the step down undoes that revision only (not
    a sibling branch's head applied before it), and a merge revision steps down to its
    parents (Alembic's ``-1`` from a merge is an ambiguous walk).

    Args:
        config_or_dir: an Alembic ``Config``, the path of an ``alembic.ini``, or the
            migration scripts directory (the one holding ``env.py``).
        url: the database to run against; otherwise the config's URL or ``DATABASE_URL``.
    """
    config = _config_for(config_or_dir, url)
    script = ScriptDirectory.from_config(config)
    revisions = list(reversed(list(script.walk_revisions("base", "heads"))))
    done: list[str] = []
    for revision in revisions:
        command.upgrade(config, revision.revision)
        command.downgrade(config, _one_step_below(revision.revision, revision.down_revision))
        command.upgrade(config, revision.revision)
        done.append(revision.revision)
    return done
