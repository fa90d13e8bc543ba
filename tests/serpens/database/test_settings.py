"""Engine settings from the environment, URL normalisation and engine arguments (no server)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool, QueuePool, StaticPool

from serpens import database
from serpens.database import DatabaseSettings, TimeoutMode
from serpens.database._engine import engine_options, migration_connect_args
from serpens.database._url import is_memory_sqlite, normalize_url
from serpens.errors import ConfigurationError


class TestDatabaseSettings:
    def test_defaults_match_the_documented_table(self) -> None:
        settings = DatabaseSettings.from_env({})
        assert settings.application_name == "serpens"
        assert (settings.pool_size, settings.max_overflow) == (10, 20)
        assert (settings.pool_timeout, settings.pool_recycle) == (10.0, 1800)
        assert settings.postgres_timeouts() == {
            "statement_timeout": "5000",
            "lock_timeout": "2000",
            "idle_in_transaction_session_timeout": "10000",
        }
        assert settings.pool_use_lifo is True
        assert settings.echo is False
        assert settings.timeout_mode is TimeoutMode.STARTUP
        assert (settings.connect_timeout, settings.search_path) == (5, None)
        assert (settings.client_timeout_ms, settings.ping_timeout_ms) == (7000, 2000)
        assert settings == DatabaseSettings()  # the dataclass's own defaults say the same

    def test_lambda_gets_one_connection_and_no_overflow(self) -> None:
        settings = DatabaseSettings.from_env({"AWS_LAMBDA_FUNCTION_NAME": "payments-api"})
        assert (settings.pool_size, settings.max_overflow) == (1, 0)
        assert settings.on_lambda is True
        assert settings.application_name == "payments-api"

    def test_explicit_pool_variables_win_on_lambda(self) -> None:
        settings = DatabaseSettings.from_env(
            {"AWS_LAMBDA_FUNCTION_NAME": "fn", "DB_POOL_SIZE": "2", "DB_MAX_OVERFLOW": "1"}
        )
        assert (settings.pool_size, settings.max_overflow) == (2, 1)

    @pytest.mark.parametrize(
        ("env", "expected"),
        [
            pytest.param({"APP_NAME": "billing"}, "billing", id="app-name"),
            pytest.param(
                {"APP_NAME": "billing", "K_SERVICE": "billing-run"}, "billing-run", id="cloud-run"
            ),
            pytest.param({"APP_NAME": "a", "AWS_LAMBDA_FUNCTION_NAME": "c"}, "c", id="lambda"),
            pytest.param(
                {"APP_NAME": "a", "K_SERVICE": "b", "AWS_LAMBDA_FUNCTION_NAME": "c"},
                "b",
                id="cloud-run-wins-over-lambda-as-in-2-9",
            ),
            pytest.param(
                {"K_SERVICE": "", "AWS_LAMBDA_FUNCTION_NAME": "c"}, "c", id="empty-k-service"
            ),
            pytest.param({"APP_NAME": "x" * 80}, "x" * 63, id="truncated-to-63-bytes"),
            pytest.param(
                {"APP_NAME": "x" * 62 + "é"}, "x" * 62, id="a-character-cut-by-the-63rd-byte-goes"
            ),
        ],
    )
    def test_application_name_precedence(self, env: dict[str, str], expected: str) -> None:
        assert DatabaseSettings.from_env(env).application_name == expected

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("DB_POOL_SIZE", "abc"),
            ("DB_POOL_SIZE", "0"),
            ("DB_MAX_OVERFLOW", "many"),
            ("DB_MAX_OVERFLOW", "-2"),
            ("DB_POOL_TIMEOUT", "-1"),
            ("DB_POOL_RECYCLE", "-2"),
            ("DB_IDLE_IN_TX_TIMEOUT_MS", "-1"),
            ("DB_CONNECT_TIMEOUT", "0"),
            ("DB_POOL_TIMEOUT", "soon"),
            ("DB_POOL_RECYCLE", "1.5"),
            ("DB_STATEMENT_TIMEOUT_MS", "5s"),
            ("DB_STATEMENT_TIMEOUT_MS", "-1"),
            ("DB_CLIENT_TIMEOUT_MS", "-1"),
            ("DB_PING_TIMEOUT_MS", "-1"),
            ("DB_LOCK_TIMEOUT_MS", "-1"),
            ("DB_IDLE_IN_TX_TIMEOUT_MS", "x"),
            ("DB_POOL_USE_LIFO", "maybe"),
            ("DB_ECHO", "loud"),
            ("DB_TIMEOUT_MODE", "sometimes"),
        ],
    )
    def test_a_bad_value_is_a_configuration_error_naming_the_variable(
        self, name: str, value: str
    ) -> None:
        with pytest.raises(ConfigurationError, match=name):
            DatabaseSettings.from_env({name: value})

    def test_bind_reports_a_bad_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", "sqlite://")
        monkeypatch.setenv("DB_POOL_SIZE", "abc")
        with pytest.raises(ConfigurationError, match="DB_POOL_SIZE must be an integer"):
            database.bind()
        with pytest.raises(ConfigurationError, match="DB_POOL_SIZE"):
            database.async_bind()

    @pytest.mark.parametrize(
        ("raw", "mode"),
        [
            ("startup", TimeoutMode.STARTUP),
            ("SET", TimeoutMode.SET),
            ("session", TimeoutMode.SET),
            ("off", TimeoutMode.OFF),
        ],
    )
    def test_timeout_mode_values(self, raw: str, mode: TimeoutMode) -> None:
        assert DatabaseSettings.from_env({"DB_TIMEOUT_MODE": raw}).timeout_mode is mode

    def test_the_least_values_each_variable_takes(self) -> None:
        """-1 is "no limit" for the overflow and the recycle; 0 turns a timeout off."""
        settings = DatabaseSettings.from_env(
            {"DB_POOL_SIZE": "1", "DB_MAX_OVERFLOW": "-1", "DB_POOL_TIMEOUT": "0",
             "DB_POOL_RECYCLE": "-1", "DB_STATEMENT_TIMEOUT_MS": "0", "DB_LOCK_TIMEOUT_MS": "0",
             "DB_IDLE_IN_TX_TIMEOUT_MS": "0", "DB_CONNECT_TIMEOUT": "1",
             "DB_CLIENT_TIMEOUT_MS": "0", "DB_PING_TIMEOUT_MS": "0"}
        )  # fmt: skip
        assert (settings.pool_size, settings.max_overflow, settings.pool_recycle) == (1, -1, -1)
        assert (settings.pool_timeout, settings.connect_timeout) == (0, 1)
        assert settings.postgres_timeouts() == {
            "statement_timeout": "0",
            "lock_timeout": "0",
            "idle_in_transaction_session_timeout": "0",
        }
        assert (settings.client_timeout_ms, settings.ping_timeout_ms) == (0, 0)

    @pytest.mark.parametrize(
        ("statement", "client"), [("1000", 3000), ("0", 0)], ids=["two-seconds-more", "off"]
    )
    def test_the_client_deadline_follows_the_statement_timeout(
        self, statement: str, client: int
    ) -> None:
        """Unset, ``DB_CLIENT_TIMEOUT_MS`` is the statement timeout plus 2 s; 0 when it is 0."""
        settings = DatabaseSettings.from_env({"DB_STATEMENT_TIMEOUT_MS": statement})
        assert settings.client_timeout_ms == client

    def test_an_unknown_timeout_mode_names_the_modes(self) -> None:
        with pytest.raises(ConfigurationError) as raised:
            DatabaseSettings.from_env({"DB_TIMEOUT_MODE": "sometimes"})
        assert str(raised.value) == (
            "DB_TIMEOUT_MODE must be one of startup, set (alias session), off"
        )

    def test_search_path_names_are_quoted_identifiers(self) -> None:
        settings = DatabaseSettings.from_env({"DB_SEARCH_PATH": 'app, "odd; DROP'})
        assert settings.search_path == '"app","""odd; DROP"'

    @pytest.mark.parametrize("raw", [",", " , ,", "app,a\x00b", "x" * 64])
    def test_a_malformed_search_path_names_the_variable(self, raw: str) -> None:
        with pytest.raises(ConfigurationError, match="DB_SEARCH_PATH"):
            DatabaseSettings.from_env({"DB_SEARCH_PATH": raw})


class TestUrlNormalisation:
    @pytest.mark.parametrize(
        ("raw", "sync", "asynchronous"),
        [
            ("postgres://u@h/db", "postgresql+psycopg2", "postgresql+asyncpg"),
            ("postgresql://u@h/db", "postgresql+psycopg2", "postgresql+asyncpg"),
            ("postgresql+asyncpg://u@h/db", "postgresql+psycopg2", "postgresql+asyncpg"),
            ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2", "postgresql+asyncpg"),
            ("postgresql+psycopg://u@h/db", "postgresql+psycopg", "postgresql+psycopg"),
            ("postgres+psycopg://u@h/db", "postgresql+psycopg", "postgresql+psycopg"),
            ("sqlite://", "sqlite+pysqlite", "sqlite+aiosqlite"),
            ("sqlite+aiosqlite:///x.db", "sqlite+pysqlite", "sqlite+aiosqlite"),
            ("mysql+pymysql://u@h/db", "mysql+pymysql", "mysql+pymysql"),
        ],
    )
    def test_scheme_is_normalised_per_side(self, raw: str, sync: str, asynchronous: str) -> None:
        assert normalize_url(raw, asynchronous=False).drivername == sync
        assert normalize_url(raw, asynchronous=True).drivername == asynchronous

    def test_a_malformed_url_is_reported_without_its_password(self) -> None:
        with pytest.raises(ConfigurationError) as caught:
            normalize_url("postgresql://app:s3cr3t-pw@db:notaport/app", asynchronous=False)
        assert "s3cr3t-pw" not in str(caught.value)
        assert "app:***@db" in str(caught.value)
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__

    def test_missing_database_url_says_what_to_do(self) -> None:
        with pytest.raises(ConfigurationError, match="DATABASE_URL is not set"):
            database.bind()
        with pytest.raises(ConfigurationError, match="DATABASE_URL is not set"):
            database.async_bind()

    @pytest.mark.parametrize(
        ("raw", "memory"),
        [
            ("sqlite://", True),
            ("sqlite:///:memory:", True),
            ("sqlite:///file::memory:?cache=shared&uri=true", True),
            ("sqlite:///tmp/x.db", False),
            ("postgresql://h/db", False),
        ],
    )
    def test_in_memory_sqlite_detection(self, raw: str, memory: bool) -> None:
        assert is_memory_sqlite(make_url(raw)) is memory


class TestEngineOptions:
    def test_psycopg2_gets_startup_options_keepalives_and_application_name(self) -> None:
        settings = DatabaseSettings.from_env({"APP_NAME": "svc"})
        options = engine_options(make_url("postgresql+psycopg2://h/db"), settings)
        args = options["connect_args"]
        assert args["options"] == (
            "-c statement_timeout=5000 -c lock_timeout=2000 "
            "-c idle_in_transaction_session_timeout=10000"
        )
        assert (args["keepalives"], args["keepalives_idle"]) == (1, 30)
        assert (args["keepalives_interval"], args["keepalives_count"]) == (10, 3)
        assert args["application_name"] == "svc"
        assert args["connect_timeout"] == 5
        assert options["pool_pre_ping"] is True
        assert options["pool_use_lifo"] is True
        assert (options["pool_size"], options["max_overflow"]) == (10, 20)

    def test_asyncpg_gets_server_settings_as_strings(self) -> None:
        settings = DatabaseSettings.from_env({})
        args = engine_options(make_url("postgresql+asyncpg://h/db"), settings)["connect_args"]
        assert args["server_settings"]["statement_timeout"] == "5000"
        assert args["server_settings"]["tcp_keepalives_idle"] == "30"
        assert all(isinstance(v, str) for v in args["server_settings"].values())
        assert "keepalives" not in args  # asyncpg has no client-side keepalive option
        assert args["timeout"] == 5
        assert "statement_cache_size" not in args

    def test_set_mode_turns_off_asyncpg_statement_caches_and_startup_timeouts(self) -> None:
        settings = DatabaseSettings.from_env({"DB_TIMEOUT_MODE": "set"})
        args = engine_options(make_url("postgresql+asyncpg://h/db"), settings)["connect_args"]
        assert args["statement_cache_size"] == 0
        assert args["prepared_statement_cache_size"] == 0
        assert set(args["server_settings"]) == {"application_name"}
        psycopg = engine_options(make_url("postgresql+psycopg2://h/db"), settings)["connect_args"]
        assert "options" not in psycopg

    def test_the_pool_takes_its_timeout_and_recycle_from_the_settings(self) -> None:
        settings = DatabaseSettings.from_env({"DB_POOL_TIMEOUT": "3.5", "DB_POOL_RECYCLE": "60"})
        options = engine_options(make_url("postgresql+psycopg2://h/db"), settings)
        assert (options["pool_timeout"], options["pool_recycle"]) == (3.5, 60)

    @pytest.mark.parametrize(("lock_ms", "seconds"), [(0, 1.0), (1500, 1.5)])
    def test_sqlite_waits_on_a_busy_database_the_lock_timeout_and_1_s_at_least(
        self, lock_ms: int, seconds: float
    ) -> None:
        settings = DatabaseSettings(lock_timeout_ms=lock_ms)
        options = engine_options(make_url("sqlite:///app.db"), settings)
        assert options["connect_args"] == {"timeout": seconds}

    def test_in_memory_sqlite_takes_no_pool_sizing(self) -> None:
        options = engine_options(make_url("sqlite+pysqlite://"), DatabaseSettings())
        assert "pool_size" not in options
        assert options["connect_args"] == {"timeout": 2.0}

    def test_null_pool_takes_no_pool_sizing_but_queue_pool_does(self) -> None:
        url = make_url("postgresql+psycopg2://h/db")
        assert "pool_size" not in engine_options(url, DatabaseSettings(), poolclass=NullPool)
        assert "pool_size" not in engine_options(url, DatabaseSettings(), poolclass=StaticPool)
        assert engine_options(url, DatabaseSettings(), poolclass=QueuePool)["pool_size"] == 10

    def test_pool_use_lifo_argument_overrides_the_variable(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DB_POOL_USE_LIFO", "true")
        engine = database.bind("sqlite:///unused.db", pool_use_lifo=False)
        assert engine.pool._pool.use_lifo is False  # type: ignore[attr-defined]
        engine = database.bind("sqlite:///unused.db")
        assert engine.pool._pool.use_lifo is True  # type: ignore[attr-defined]

    def test_bind_builds_its_engine_on_the_pool_class_given(self) -> None:
        assert isinstance(database.bind("sqlite:///unused.db", poolclass=NullPool).pool, NullPool)
        assert isinstance(database.bind("sqlite:///unused.db").pool, QueuePool)


class TestMigrationConnectArgs:
    """A migration run's libpq arguments: a bounded connect and keepalives, no timeouts.

    Its DDL may run long, so neither the statement, lock and idle timeouts nor
    ``search_path`` go with it, in any ``DB_TIMEOUT_MODE``.
    """

    @pytest.mark.parametrize("mode", ["startup", "set"])
    def test_libpq_gets_connect_bounds_and_keepalives_only(self, mode: str) -> None:
        settings = DatabaseSettings.from_env(
            {"APP_NAME": "svc", "DB_SEARCH_PATH": "app", "DB_CONNECT_TIMEOUT": "7",
             "DB_TIMEOUT_MODE": mode}
        )  # fmt: skip
        args = migration_connect_args(make_url("postgresql+psycopg2://h/db"), settings)
        assert args == {
            "application_name": "svc",
            "connect_timeout": 7,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            "tcp_user_timeout": 7000,
        }

    @pytest.mark.parametrize(
        "url", ["postgresql+asyncpg://h/db", "sqlite:///migrations.db", "mysql+pymysql://h/db"]
    )
    def test_anything_but_a_libpq_postgresql_url_gets_none(self, url: str) -> None:
        assert migration_connect_args(make_url(url), DatabaseSettings()) == {}

    def test_the_urls_own_values_win(self) -> None:
        url = make_url("postgresql+psycopg2://h/db?connect_timeout=2&application_name=mine")
        args = migration_connect_args(url, DatabaseSettings())
        assert "connect_timeout" not in args
        assert "application_name" not in args
        assert args["keepalives"] == 1


class TestBindLogs:
    """``bind()`` and ``async_bind()`` log the URL they bound, its password masked."""

    def test_bind_logs_the_url_it_bound(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.INFO, logger="serpens.database"):
            database.bind("sqlite:///unused.db")
        assert caplog.messages == ["serpens.database bound to sqlite+pysqlite:///unused.db"]

    def test_async_bind_logs_the_url_it_bound_and_takes_echo(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO, logger="serpens.database"):
            engine = database.async_bind("postgresql://app:hunter2@db.invalid/orders", echo=True)
        assert caplog.messages == [
            "serpens.database bound to postgresql+asyncpg://app:***@db.invalid/orders"
        ]
        assert "hunter2" not in caplog.text
        assert engine.echo is True
