"""Secrets in database settings never reach a ConfigurationError, a log line or a repr.

A libpq keyword DSN (``host=... password=...``), a password holding ``@``/``/``/spaces and
``sslpassword=`` are the shapes that leaked; each is tried through ``bind()``,
``async_bind()`` and ``DATABASE_URL`` + ``db_session()``, and the percent-encoded form is
shown to connect to a real PostgreSQL.
"""

from __future__ import annotations

import logging
import traceback
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from serpens import database
from serpens.errors import ConfigurationError

SECRET = "Pw-S3cr3t"


def _text_of(error: BaseException) -> str:
    """Everything a log handler could print for *error*: message, repr and traceback."""
    return "".join(traceback.format_exception(error)) + repr(error)


DSNS = [
    f"host=db.internal port=5432 user=app password={SECRET} dbname=app",
    f"host=db.internal password='{SECRET} with spaces' dbname=app",
    f"host=db.internal user=app sslpassword={SECRET} sslmode=verify-full",
]


class TestKeywordDsn:
    @pytest.mark.parametrize("dsn", DSNS)
    def test_bind_names_the_problem_without_the_password(self, dsn: str) -> None:
        with pytest.raises(ConfigurationError, match="libpq keyword DSN") as caught:
            database.bind(dsn)
        assert SECRET not in _text_of(caught.value)
        assert "postgresql://user:password@host" in str(caught.value)

    @pytest.mark.parametrize("dsn", DSNS)
    async def test_async_bind_too(self, dsn: str) -> None:
        with pytest.raises(ConfigurationError, match="libpq keyword DSN") as caught:
            database.async_bind(dsn)
        assert SECRET not in _text_of(caught.value)

    def test_from_database_url_on_first_use(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", DSNS[0])
        with pytest.raises(ConfigurationError) as caught, database.db_session():
            pass
        assert SECRET not in _text_of(caught.value)
        assert "host=db.internal" in str(caught.value)  # still says which setting is wrong

    # a URL that does not parse is a bad URL, even with an "=" in its query; text that is
    # no URL and has no "=" is no keyword DSN either
    @pytest.mark.parametrize(
        "raw", [f"postgresql://app:{SECRET}@db:port/app?sslmode=require", "db.internal"]
    )
    def test_a_malformed_url_is_not_taken_for_a_keyword_dsn(self, raw: str) -> None:
        with pytest.raises(ConfigurationError, match="invalid database URL") as caught:
            database.bind(raw)
        assert "keyword DSN" not in str(caught.value)
        assert SECRET not in _text_of(caught.value)


class TestPasswordsThatNeedEscaping:
    @pytest.mark.parametrize("password", [f"{SECRET}@x", f"a@{SECRET}", f"{SECRET}@ b/c"])
    def test_an_unescaped_at_sign_is_refused_without_showing_the_password(
        self, password: str
    ) -> None:
        with pytest.raises(ConfigurationError, match="percent-encode") as caught:
            database.bind(f"postgresql://app:{password}@db.internal:5432/app")
        shown = _text_of(caught.value)
        assert SECRET not in shown
        assert "app:***@db.internal:5432/app" in shown

    @pytest.mark.postgres
    @pytest.mark.parametrize("password", [f"{SECRET}@x", f"{SECRET}/y", f"{SECRET} z", "%@/ :?#"])
    def test_the_percent_encoded_password_connects_and_never_shows(
        self,
        pg_url: str,
        password: str,
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("DB_ECHO", "true")
        caplog.set_level(logging.DEBUG)
        base = make_url(pg_url)
        url = (
            f"postgresql://{base.username}:{quote(password, safe='')}"
            f"@{base.host}:{base.port}/{base.database}?sslpassword={SECRET}"
        )
        engine = database.bind(url)
        assert engine.url.password == password  # trust auth: sent, not checked
        with database.db_session() as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
        assert "bound to" in caplog.text
        assert SECRET not in caplog.text
        assert quote(password, safe="") not in caplog.text
        assert SECRET not in repr(engine)
