"""Configuration call shapes of serpens 2.9.0 (README "Database", "Migrations", "Async HTTP").

- ``DATABASE_URL`` was read through ``serpens.envvars.get``: on Lambda services set it to
  ``secrets://ID?KEY`` or ``parameters://NAME`` and ``bind()`` fetched the URL (here from
  moto's Secrets Manager and SSM, the database is the session's PostgreSQL).
- ``serpens.database.alembic.run_migrations(target_metadata, url)`` took the URL
  positionally.
- ``http_client.init_client(timeout=None, **kwargs)`` took the timeout positionally, and
  ``None`` meant ``HTTP_CLIENT_TIMEOUT`` (or 30 s).
- ``serpens.envvars.get``/``load_dotenv`` resolved references and read a ``.env`` file
  (now only when called, and without replacing variables the environment already has).

A failure here means a service pinned to 2.9.0 breaks on upgrade; change the library,
not this module (the deliberate differences are listed in docs/migrating-from-2.9.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest


@pytest.fixture(name="unbound")
def _unbound() -> Iterator[None]:
    """No engine bound before or after the test."""
    from serpens import database  # noqa: PLC0415

    database.dispose()
    yield
    database.dispose()


class TestDatabaseUrlReferences:
    def test_bind_reads_database_url_from_a_key_of_a_json_secret(
        self, moto_endpoint: str, postgres_url: str, unbound: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from sqlalchemy import make_url, text  # noqa: PLC0415

        from serpens.database import bind, db_session  # noqa: PLC0415

        secret = f"compat/db-{uuid.uuid4().hex[:8]}"
        boto3.client("secretsmanager", endpoint_url=moto_endpoint).create_secret(
            Name=secret, SecretString=json.dumps({"url": postgres_url, "user": "postgres"})
        )
        monkeypatch.setenv("DATABASE_URL", f"secrets://{secret}?url")
        assert bind().url.database == make_url(postgres_url).database  # the key's URL, whole
        with db_session() as session:
            assert session.execute(text("select 1")).scalar() == 1

    def test_bind_reads_database_url_from_a_plain_secret_and_from_a_parameter(
        self, moto_endpoint: str, postgres_url: str, unbound: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from serpens.database import bind, dispose  # noqa: PLC0415

        name = uuid.uuid4().hex[:8]
        boto3.client("secretsmanager", endpoint_url=moto_endpoint).create_secret(
            Name=f"compat/plain-{name}", SecretString=postgres_url
        )
        boto3.client("ssm", endpoint_url=moto_endpoint).put_parameter(
            Name=f"/compat/{name}/db", Value=postgres_url, Type="SecureString"
        )
        monkeypatch.setenv("DATABASE_URL", f"secrets://compat/plain-{name}")
        assert bind().url.host == "127.0.0.1"
        dispose()
        monkeypatch.setenv("DATABASE_URL", f"parameters:///compat/{name}/db")
        assert bind().url.host == "127.0.0.1"

    def test_a_whole_json_secret_is_not_taken_for_a_url(
        self, moto_endpoint: str, unbound: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from serpens.database import bind  # noqa: PLC0415
        from serpens.errors import ConfigurationError  # noqa: PLC0415

        secret = f"compat/json-{uuid.uuid4().hex[:8]}"
        boto3.client("secretsmanager", endpoint_url=moto_endpoint).create_secret(
            Name=secret, SecretString=json.dumps({"url": "postgresql://u:hunter2@h/db"})
        )
        monkeypatch.setenv("DATABASE_URL", f"secrets://{secret}")
        with pytest.raises(ConfigurationError, match=r"secrets://ID\?KEY") as caught:
            bind()
        assert "hunter2" not in str(caught.value)


def test_run_migrations_takes_the_url_positionally(postgres_url: str, tmp_path: Path) -> None:
    from alembic import command  # noqa: PLC0415
    from alembic.config import Config  # noqa: PLC0415
    from sqlalchemy import create_engine, inspect  # noqa: PLC0415

    from serpens.database._url import normalize_url  # noqa: PLC0415

    table = f"compat_positional_{uuid.uuid4().hex[:8]}"
    (tmp_path / "versions").mkdir()
    (tmp_path / "env.py").write_text(
        "from sqlalchemy import MetaData\n"
        "from serpens.database.alembic import run_migrations\n"
        f"run_migrations(MetaData(), {postgres_url!r})\n"
    )
    (tmp_path / "script.py.mako").write_text(
        "revision = ${repr(up_revision)}\ndown_revision = ${repr(down_revision)}\n"
        "${upgrades if upgrades else ''}\n"
    )
    (tmp_path / "versions" / "0001_create.py").write_text(
        "from alembic import op\nimport sqlalchemy as sa\n"
        "revision = '0001'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n"
        f"def upgrade():\n    op.create_table({table!r}, sa.Column('id', sa.Integer, "
        "primary_key=True))\n"
        f"def downgrade():\n    op.drop_table({table!r})\n"
    )
    config = Config()
    config.set_main_option("script_location", str(tmp_path))
    config.set_main_option("version_table", f"v_{table}")
    command.upgrade(config, "head")
    engine = create_engine(normalize_url(postgres_url, asynchronous=False))
    try:
        assert inspect(engine).has_table(table)
        command.downgrade(config, "base")
        assert not inspect(engine).has_table(table)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP TABLE IF EXISTS "v_{table}"')
        engine.dispose()


class TestInitClientTimeout:
    async def test_init_client_takes_the_timeout_positionally(self) -> None:
        from serpens.http_client import close_client, init_client  # noqa: PLC0415

        try:
            assert (await init_client(3.0)).timeout.read == 3.0
        finally:
            await close_client()

    async def test_a_none_timeout_means_http_client_timeout(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from serpens.http_client import close_client, init_client  # noqa: PLC0415

        monkeypatch.setenv("HTTP_CLIENT_TIMEOUT", "7")
        try:
            client = await init_client(timeout=None, headers={"X-Service": "compat"})
            assert client.timeout.read == 7.0
            assert client.headers["X-Service"] == "compat"
        finally:
            await close_client()
        monkeypatch.delenv("HTTP_CLIENT_TIMEOUT")
        try:
            assert (await init_client(None)).timeout.read == 30.0
        finally:
            await close_client()


class TestLoadDotenv:
    def test_load_dotenv_reads_a_file_and_keeps_the_real_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from serpens import envvars  # noqa: PLC0415

        dotenv = tmp_path / ".env"
        dotenv.write_text(
            "# comment\nCOMPAT_A=one\nexport COMPAT_B='two words'\nCOMPAT_C=b=c\n"
            "COMPAT_REAL=from-file\n"
        )
        for name in ("COMPAT_A", "COMPAT_B", "COMPAT_C"):  # recorded, so undone after the test
            monkeypatch.setenv(name, "")
            monkeypatch.delenv(name)
        monkeypatch.setenv("COMPAT_REAL", "from-env")
        envvars.load_dotenv(dotenv)
        assert [envvars.get(n) for n in ("COMPAT_A", "COMPAT_B", "COMPAT_C", "COMPAT_REAL")] == [
            "one",
            "two words",
            "b=c",
            "from-env",
        ]
        envvars.load_dotenv(dotenv, override=True)
        assert envvars.get("COMPAT_REAL") == "from-file"
        assert envvars.get("COMPAT_UNSET", "fallback") == "fallback"
        envvars.load_dotenv(tmp_path / "missing.env")  # ignored, as in 2.9.0
