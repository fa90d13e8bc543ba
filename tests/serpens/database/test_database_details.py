"""Details of serpens.database that need no server: libpq ``options``, names, error classes.

Each case pins a promise a mutation run found unchecked: how an ``options`` string is
split for asyncpg, ``fallback_application_name``, the longest schema name PostgreSQL
keeps, the name of a base ``declarative_base()`` returns, and the class of a failed
commit's error as logs and pickles see it.
"""

from __future__ import annotations

import pickle

import pytest
from sqlalchemy import Integer, String
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens import database
from serpens.database import _errors, declarative_base
from serpens.database._query import asyncpg_query, split_options
from serpens.database._settings import DatabaseSettings, validate_search_path
from serpens.errors import ConfigurationError, ConflictError, NotInitializedError


class TestSplitOptions:
    def test_a_value_may_hold_an_equals_sign(self) -> None:
        assert split_options("-c app.filter=a=b --app.other=c=d", "") == {
            "app.filter": "a=b",
            "app.other": "c=d",
        }

    def test_dashes_in_a_long_switch_become_underscores(self) -> None:
        assert split_options("--enable-seqscan=off", "") == {"enable_seqscan": "off"}

    def test_leading_and_trailing_blanks_are_no_words(self) -> None:
        assert split_options("  -c work_mem=5MB  ", "") == {"work_mem": "5MB"}

    @pytest.mark.parametrize(
        "options",
        [
            pytest.param("-c", id="dangling-c"),
            pytest.param("-c work_mem=5MB -c", id="dangling-c-at-the-end"),
            pytest.param("work_mem=5MB", id="bare-pair"),
            pytest.param("-c work_mem", id="no-equals"),
            pytest.param("-c =5MB", id="no-name"),
            pytest.param("--=5MB", id="long-switch-without-name"),
        ],
    )
    def test_anything_but_a_setting_is_refused_naming_it(self, options: str) -> None:
        with pytest.raises(ConfigurationError, match=r"asyncpg takes only settings there"):
            split_options(options, "<url>")


class TestAsyncpgQueryNames:
    def test_fallback_application_name_is_the_application_name(self) -> None:
        url = make_url("postgresql+asyncpg://u@h/db?fallback_application_name=billing")
        _, args = asyncpg_query(url, "<url>")
        assert args == {"server_settings": {"application_name": "billing"}}

    def test_a_parameter_given_twice_is_refused_naming_it(self) -> None:
        url = make_url("postgresql+asyncpg://u@h/db?application_name=a&application_name=b")
        with pytest.raises(ConfigurationError) as caught:
            asyncpg_query(url, "<url>")
        assert str(caught.value) == (
            "database URL parameter application_name is given more than once: <url>"
        )

    def test_an_application_name_given_wins_over_the_fallback(self) -> None:
        for query in (
            "application_name=a&fallback_application_name=b",
            "fallback_application_name=b&application_name=a",
        ):
            url = make_url(f"postgresql+asyncpg://u@h/db?{query}")
            _, args = asyncpg_query(url, "<url>")
            assert args["server_settings"] == {"application_name": "a"}, query


class TestSearchPathNames:
    def test_a_schema_name_of_63_bytes_is_kept_and_64_refused(self) -> None:
        longest = "s" * 63
        assert DatabaseSettings.from_env({"DB_SEARCH_PATH": longest}).search_path == (
            f'"{longest}"'
        )
        with pytest.raises(ConfigurationError, match="invalid schema name in DB_SEARCH_PATH"):
            DatabaseSettings.from_env({"DB_SEARCH_PATH": "s" * 64})

    def test_the_argument_error_names_the_search_path_argument(self) -> None:
        with pytest.raises(ConfigurationError, match=r"^search_path must name at least one"):
            validate_search_path(" , ")
        with pytest.raises(ConfigurationError, match=r"^search_path must name at least one"):
            database.bind("sqlite://", search_path=",")


class TestDeclarativeBase:
    def test_the_class_is_named_base_and_says_its_schema(self) -> None:
        scoped = declarative_base(schema="billing")
        assert scoped.__name__ == "Base"
        assert scoped.__doc__ == "Base for schema 'billing'."
        assert declarative_base().__doc__ == "Base for schema None."


class _Model(DeclarativeBase):
    pass


class _Account(_Model):
    __tablename__ = "detail_accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)


@pytest.fixture(name="fresh_classes")
def _fresh_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """No error class built yet: the test builds the one it reads (a cache per process)."""
    monkeypatch.setattr(_errors, "_classes", {})


def _duplicate_commit() -> ConflictError:
    _Model.metadata.create_all(database.bind("sqlite://"))
    with database.db_session() as session:
        session.add(_Account(id=1, ref="a"))
    with pytest.raises(ConflictError) as caught, database.db_session() as session:
        session.add(_Account(id=2, ref="a"))
    return caught.value


@pytest.mark.usefixtures("fresh_classes")
class TestCommitErrorClass:
    def test_the_class_looks_like_the_serpens_error_to_logs(self) -> None:
        error = _duplicate_commit()
        assert isinstance(error, IntegrityError)
        klass = type(error)
        assert (klass.__module__, klass.__qualname__) == ("serpens.errors", "ConflictError")
        assert klass.__doc__ == "A ConflictError that is also SQLAlchemy's IntegrityError."

    def test_one_class_per_pair(self) -> None:
        assert type(_duplicate_commit()) is type(_duplicate_commit())

    def test_it_pickles_as_the_serpens_error(self) -> None:
        error = _duplicate_commit()
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), str(copy)) == (ConflictError, str(error))


class TestNotBoundMessages:
    def test_db_session_names_itself_and_bind(self) -> None:
        with pytest.raises(NotInitializedError) as caught, database.db_session():
            pass
        assert str(caught.value).endswith(
            "set DATABASE_URL (db_session() binds from it on first use) "
            "or call serpens.database.bind(url)"
        )

    async def test_async_db_session_names_itself_and_async_bind(self) -> None:
        with pytest.raises(NotInitializedError) as caught:
            async with database.async_db_session():
                pass
        assert str(caught.value).endswith(
            "set DATABASE_URL (async_db_session() binds from it on first use) "
            "or call serpens.database.async_bind(url)"
        )


class TestLazyAttributes:
    def test_the_repositories_come_from_the_adapter_once(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import serpens_sqlalchemy  # noqa: PLC0415

        for name in ("Repository", "AsyncRepository"):
            monkeypatch.delitem(vars(database), name, raising=False)
            first = getattr(database, name)
            assert first is getattr(database, name) is getattr(serpens_sqlalchemy, name)

    def test_an_unknown_attribute_is_named(self) -> None:
        with pytest.raises(AttributeError) as caught:
            database.nothing_here  # noqa: B018
        assert str(caught.value) == "module 'serpens.database' has no attribute 'nothing_here'"
