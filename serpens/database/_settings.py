"""Engine settings read from the environment when ``bind()``/``async_bind()`` runs.

Nothing here touches the network: :meth:`DatabaseSettings.from_env` turns the
documented variables into a typed, validated object, and ``_engine`` turns that
into engine arguments. A malformed value raises
:class:`~serpens.errors.ConfigurationError` naming the variable.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from serpens._config import env_bool, env_float, env_int, env_str, environ
from serpens.errors import ConfigurationError

__all__ = ["DatabaseSettings", "TimeoutMode"]

# PostgreSQL truncates application_name to NAMEDATALEN - 1 bytes.
_APP_NAME_MAX_BYTES = 63


class TimeoutMode(enum.Enum):
    """How the PostgreSQL timeouts reach the server (``DB_TIMEOUT_MODE``).

    ``STARTUP`` sends them as connection startup options (psycopg2 ``options``,
    asyncpg ``server_settings``): no extra round trip, and they survive rollbacks.
    ``SET`` issues one ``SET`` per setting right after each connection opens and
    commits it, for poolers that reject startup options (PgBouncer, RDS Proxy); it
    also turns off asyncpg's prepared-statement caches, which break behind
    transaction-mode poolers. ``OFF`` sends nothing (the role or database has them).
    """

    STARTUP = "startup"
    SET = "set"
    OFF = "off"

    @classmethod
    def parse(cls, raw: str) -> TimeoutMode:
        """Return the mode for *raw* (case-insensitive; ``session`` is an alias of ``set``)."""
        value = raw.strip().lower()
        if value == "session":
            return cls.SET
        try:
            return cls(value)
        except ValueError:
            raise ConfigurationError(
                "DB_TIMEOUT_MODE must be one of startup, set (alias session), off"
            ) from None


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """Engine configuration: pool sizing, PostgreSQL timeouts and identification.

    Attributes:
        application_name: PostgreSQL ``application_name``: ``K_SERVICE``, else
            ``AWS_LAMBDA_FUNCTION_NAME``, else ``APP_NAME`` (``serpens``), as in serpens 2.9.
        pool_size: ``DB_POOL_SIZE`` (10; 1 on Lambda).
        max_overflow: ``DB_MAX_OVERFLOW`` (20; 0 on Lambda).
        pool_timeout: ``DB_POOL_TIMEOUT`` seconds to wait for a free connection.
        pool_recycle: ``DB_POOL_RECYCLE`` seconds before a connection is replaced.
        statement_timeout_ms: ``DB_STATEMENT_TIMEOUT_MS`` (0 disables).
        lock_timeout_ms: ``DB_LOCK_TIMEOUT_MS`` (0 disables).
        idle_in_tx_timeout_ms: ``DB_IDLE_IN_TX_TIMEOUT_MS`` (0 disables).
        pool_use_lifo: ``DB_POOL_USE_LIFO``.
        echo: ``DB_ECHO``: log every statement.
        timeout_mode: ``DB_TIMEOUT_MODE``, see :class:`TimeoutMode`.
        connect_timeout: ``DB_CONNECT_TIMEOUT`` seconds to open a connection.
        search_path: ``DB_SEARCH_PATH``, a comma-separated PostgreSQL ``search_path``.
        client_timeout_ms: ``DB_CLIENT_TIMEOUT_MS``: the client-side deadline of every
            round trip (statement, commit, rollback) to PostgreSQL, enforced even when the
            server or the network freezes; past it the connection is dropped and the call
            raises ``BackendTimeoutError``. Default ``statement_timeout_ms + 2000`` (the
            server's own timeout answers first); 0 disables it (0 when
            ``statement_timeout_ms`` is 0, unless set).
        ping_timeout_ms: ``DB_PING_TIMEOUT_MS`` (2000): the deadline of the pool's
            pre-ping; a ping past it counts as a dead connection (0: unbounded).
        on_lambda: whether ``AWS_LAMBDA_FUNCTION_NAME`` is set.
    """

    application_name: str = "serpens"
    pool_size: int = 10
    max_overflow: int = 20
    pool_timeout: float = 10.0
    pool_recycle: int = 1800
    statement_timeout_ms: int = 5000
    lock_timeout_ms: int = 2000
    idle_in_tx_timeout_ms: int = 10000
    pool_use_lifo: bool = True
    echo: bool = False
    timeout_mode: TimeoutMode = TimeoutMode.STARTUP
    connect_timeout: int = 5
    search_path: str | None = None
    on_lambda: bool = False
    client_timeout_ms: int = 7000
    ping_timeout_ms: int = 2000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DatabaseSettings:
        """Read every ``DB_*`` variable (and the platform names) from *env*."""
        env = environ() if env is None else env
        lambda_name = env_str("AWS_LAMBDA_FUNCTION_NAME", None, env)
        on_lambda = lambda_name is not None
        app_name = (  # serpens 2.9's order: Cloud Run's name first, then Lambda's
            env_str("K_SERVICE", None, env)
            or lambda_name
            or env_str("APP_NAME", "serpens", env)
            or "serpens"
        )
        search_path = env_str("DB_SEARCH_PATH", None, env)
        statement_timeout_ms = env_int("DB_STATEMENT_TIMEOUT_MS", 5000, env, minimum=0)
        client_default = statement_timeout_ms + 2000 if statement_timeout_ms else 0
        return cls(
            application_name=_truncate_utf8(app_name, _APP_NAME_MAX_BYTES),
            pool_size=env_int("DB_POOL_SIZE", 1 if on_lambda else 10, env, minimum=1),
            max_overflow=env_int("DB_MAX_OVERFLOW", 0 if on_lambda else 20, env, minimum=-1),
            pool_timeout=env_float("DB_POOL_TIMEOUT", 10.0, env, minimum=0),
            pool_recycle=env_int("DB_POOL_RECYCLE", 1800, env, minimum=-1),
            statement_timeout_ms=statement_timeout_ms,
            lock_timeout_ms=env_int("DB_LOCK_TIMEOUT_MS", 2000, env, minimum=0),
            idle_in_tx_timeout_ms=env_int("DB_IDLE_IN_TX_TIMEOUT_MS", 10000, env, minimum=0),
            pool_use_lifo=env_bool("DB_POOL_USE_LIFO", default=True, env=env),
            echo=env_bool("DB_ECHO", default=False, env=env),
            timeout_mode=TimeoutMode.parse(env_str("DB_TIMEOUT_MODE", "startup", env) or ""),
            connect_timeout=env_int("DB_CONNECT_TIMEOUT", 5, env, minimum=1),
            search_path=(
                validate_search_path(search_path, "DB_SEARCH_PATH") if search_path else None
            ),
            on_lambda=on_lambda,
            client_timeout_ms=env_int("DB_CLIENT_TIMEOUT_MS", client_default, env, minimum=0),
            ping_timeout_ms=env_int("DB_PING_TIMEOUT_MS", 2000, env, minimum=0),
        )

    def postgres_timeouts(self) -> dict[str, str]:
        """Return the timeout GUCs as ``{name: milliseconds}`` strings, as the server takes them."""
        return {
            "statement_timeout": str(self.statement_timeout_ms),
            "lock_timeout": str(self.lock_timeout_ms),
            "idle_in_transaction_session_timeout": str(self.idle_in_tx_timeout_ms),
        }


def validate_search_path(value: str, source: str = "search_path") -> str:
    """Return *value* (``"a,b"``) with each schema quoted, or raise ConfigurationError.

    Schema names become double-quoted identifiers so ``search_path`` can never carry
    anything but names into ``options``/``SET``. The error names *source*: the
    ``search_path=`` argument, or the variable ``DB_SEARCH_PATH``.
    """
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise ConfigurationError(f"{source} must name at least one schema")
    for name in names:
        if "\x00" in name or len(name.encode()) > _APP_NAME_MAX_BYTES:
            raise ConfigurationError(f"invalid schema name in {source}: {name!r}")
    return ",".join(quote_identifier(name) for name in names)


def quote_identifier(name: str) -> str:
    """Return *name* as a double-quoted PostgreSQL identifier (quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _truncate_utf8(value: str, limit: int) -> str:
    encoded = value.encode()
    if len(encoded) <= limit:
        return value
    return encoded[:limit].decode(errors="ignore")
