"""The libpq query parameters of one ``DATABASE_URL``, made to work on both drivers.

psycopg2 hands the query to libpq as it is. SQLAlchemy's asyncpg dialect passes each
parameter to ``asyncpg.connect()`` as a keyword argument, which knows none of libpq's
names: ``?sslmode=require`` failed with a raw ``TypeError`` on the first async session.
:func:`asyncpg_query` translates them (``sslmode`` to asyncpg's own TLS handling,
``connect_timeout`` to ``timeout``, ``application_name``, ``options`` and the keepalives to
server settings); :func:`check_query` refuses, at bind time, a parameter neither driver
takes. A parameter written in the URL wins over serpens' default for it; serpens' own
timeouts and ``search_path`` are applied after the URL's settings (they are verified).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import URL

from serpens.errors import ConfigurationError

__all__ = ["LIBPQ_PARAMETERS", "asyncpg_query", "check_query", "split_options"]

LIBPQ_PARAMETERS = frozenset(
    {
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "require_auth",
        "channel_binding", "connect_timeout", "client_encoding", "options", "application_name",
        "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode",
        "requiressl", "sslnegotiation", "sslcompression", "sslcert", "sslkey", "sslpassword",
        "sslcertmode", "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer",
        "ssl_min_protocol_version", "ssl_max_protocol_version", "krbsrvname", "gsslib",
        "gssdelegation", "service", "target_session_attrs", "load_balance_hosts",
    }
)  # fmt: skip
"""Every connection parameter libpq (psycopg2, psycopg 3) accepts in a URL's query."""

# asyncpg.connect() keyword arguments (and SQLAlchemy asyncpg dialect options) a URL may
# carry as they are: the name means the same on asyncpg.
_ASYNCPG_AS_IS = frozenset(
    {
        "host", "port", "user", "password", "database", "passfile", "service", "servicefile",
        "target_session_attrs", "krbsrvname", "gsslib", "ssl", "direct_tls",
        "prepared_statement_cache_size",
    }
)  # fmt: skip
# asyncpg's numeric arguments: the URL holds them as text.
_ASYNCPG_NUMBERS: dict[str, type[int | float]] = {
    "timeout": float,
    "command_timeout": float,
    "statement_cache_size": int,
    "max_cached_statement_lifetime": int,
    "max_cacheable_statement_size": int,
}
# libpq's TLS parameters, which asyncpg reads (with libpq's meaning) only from a DSN.
_ASYNCPG_DSN = frozenset(
    {
        "sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslpassword",
        "ssl_min_protocol_version", "ssl_max_protocol_version", "sslnegotiation",
    }
)  # fmt: skip
# libpq client settings that are server settings (GUCs) on asyncpg.
_ASYNCPG_SERVER_SETTINGS = {
    "application_name": "application_name",
    "client_encoding": "client_encoding",
    "keepalives_idle": "tcp_keepalives_idle",
    "keepalives_interval": "tcp_keepalives_interval",
    "keepalives_count": "tcp_keepalives_count",
    "tcp_user_timeout": "tcp_user_timeout",
}
# libpq parameters already satisfied on asyncpg with these values (no GSS encryption;
# serpens sets TCP keepalives on every asyncpg socket).
_ASYNCPG_SATISFIED = {"gssencmode": {"disable", "prefer"}, "keepalives": {"1"}}
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def check_query(url: URL, shown: str) -> None:
    """Raise ``ConfigurationError`` for a query parameter neither psycopg2 nor asyncpg takes.

    *shown* is the URL as messages may show it (password masked). Other databases pass.
    """
    known = LIBPQ_PARAMETERS | _ASYNCPG_AS_IS | _ASYNCPG_NUMBERS.keys()
    unknown = sorted(name for name in url.query if name not in known)
    if unknown:
        raise ConfigurationError(
            f"unknown database URL parameter(s) {', '.join(unknown)}: neither libpq "
            f"(psycopg2) nor asyncpg takes them: {shown}"
        )


def asyncpg_query(url: URL, shown: str) -> tuple[URL, dict[str, Any]]:
    """Return *url* without the parameters asyncpg cannot take as keywords, and their args.

    The arguments are asyncpg ``connect()`` keywords: ``server_settings`` (from
    ``application_name``, ``options``' ``-c name=value`` pairs, the keepalives),
    ``timeout`` (``connect_timeout``), ``dsn`` (``sslmode`` and the other TLS parameters,
    read by asyncpg as libpq would), and the numeric ones converted. A libpq parameter with
    no asyncpg equivalent raises ``ConfigurationError`` naming it.
    """
    check_query(url, shown)
    args: dict[str, Any] = {}
    settings: dict[str, str] = {}
    dsn: dict[str, str] = {}
    moved = [name for name in url.query if name not in _ASYNCPG_AS_IS]
    for name in moved:
        value = _single(name, url.query[name], shown)
        if name in _ASYNCPG_NUMBERS:
            args[name] = _number(name, value, _ASYNCPG_NUMBERS[name], shown)
        elif name == "connect_timeout":
            args["timeout"] = _number(name, value, float, shown)
        elif name in _ASYNCPG_DSN:
            dsn[name] = _ssl_mode(value, shown) if name == "sslmode" else value
        else:
            _server_setting(name, value, settings, shown)
    if settings:
        args["server_settings"] = settings
    if dsn:
        args["dsn"] = "postgresql://?" + urlencode(dsn)
    return url.difference_update_query(moved), args


def _server_setting(name: str, value: str, settings: dict[str, str], shown: str) -> None:
    """Put libpq parameter *name* into asyncpg's *settings*, or raise: asyncpg has no such."""
    if name in _ASYNCPG_SERVER_SETTINGS:
        settings[_ASYNCPG_SERVER_SETTINGS[name]] = value
    elif name == "options":
        settings.update(split_options(value, shown))
    elif name == "fallback_application_name":
        settings.setdefault("application_name", value)
    elif value not in _ASYNCPG_SATISFIED.get(name, ()):
        raise ConfigurationError(
            f"database URL parameter {name}={value} has no asyncpg equivalent: remove it, "
            "or use postgresql+psycopg:// (psycopg 3 serves sync and async): " + shown
        )


def split_options(options: str, shown: str) -> dict[str, str]:
    """The ``-c name=value`` (or ``--name=value``) settings of a libpq ``options`` string.

    libpq splits ``options`` on whitespace, a backslash keeping the next character;
    anything but settings (another command-line switch) raises ``ConfigurationError``.
    """
    words = _words(options)
    settings: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-c" and i + 1 < len(words):
            pair, i = words[i + 1], i + 2
        elif word.startswith("--") or (word.startswith("-c") and word != "-c"):  # -cname=value
            pair, i = word[2:], i + 1
        else:
            pair = ""
        name, equals, value = pair.partition("=")
        if not (name and equals):
            raise ConfigurationError(
                f"the database URL's options={options!r} holds {word!r}; asyncpg takes only "
                f"settings there (-c name=value): {shown}"
            )
        settings[name.replace("-", "_")] = value
    return settings


def _words(options: str) -> list[str]:
    words: list[str] = []
    current: list[str] = []
    escaped = False
    for char in options:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char.isspace():
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


def _single(name: str, raw: str | tuple[str, ...], shown: str = "") -> str:
    if isinstance(raw, str):
        return raw
    raise ConfigurationError(f"database URL parameter {name} is given more than once: {shown}")


def _number(name: str, value: str, kind: type[int | float], shown: str) -> int | float:
    try:
        return kind(value)
    except ValueError:
        raise ConfigurationError(
            f"database URL parameter {name} must be a number, got {value!r}: {shown}"
        ) from None


def _ssl_mode(value: str, shown: str) -> str:
    if value not in _SSL_MODES:
        raise ConfigurationError(
            f"database URL parameter sslmode must be one of {', '.join(_SSL_MODES)}, "
            f"got {value!r}: {shown}"
        )
    return value
