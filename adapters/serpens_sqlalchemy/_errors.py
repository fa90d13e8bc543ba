"""Map driver and SQLAlchemy errors to serpens errors by SQLSTATE, identically per driver.

psycopg2 exposes the SQLSTATE as ``pgcode``, asyncpg as ``sqlstate`` (SQLAlchemy's asyncpg
adapter copies it to ``pgcode`` too), and SQLite as ``sqlite_errorname``. Messages keep the
driver's first line only (never SQL parameters) and pass through ``mask_url``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConflictError,
    SerpensError,
    ValidationError,
    mask_url,
)

__all__ = ["sqlstate_error", "translate_errors", "translated"]

_EXACT: dict[str, type[SerpensError]] = {
    "23505": ConflictError,  # unique_violation
    "23P01": ConflictError,  # exclusion_violation
    "23503": ConflictError,  # foreign_key_violation: the referenced row is not there
    "40001": ConflictError,  # serialization_failure: retry the transaction
    "40P01": ConflictError,  # deadlock_detected: retry the transaction
    "23502": ValidationError,  # not_null_violation
    "23514": ValidationError,  # check_violation
    "57014": BackendTimeoutError,  # query_canceled (statement_timeout)
    "55P03": BackendTimeoutError,  # lock_not_available (lock_timeout)
    "25P03": BackendTimeoutError,  # idle_in_transaction_session_timeout
    "57P01": BackendUnavailableError,  # admin_shutdown
    "57P02": BackendUnavailableError,  # crash_shutdown
    "57P03": BackendUnavailableError,  # cannot_connect_now
    "53300": BackendUnavailableError,  # too_many_connections
}
_CLASSES: dict[str, type[SerpensError]] = {
    "08": BackendUnavailableError,  # connection exceptions
    "28": BackendUnavailableError,  # invalid authorization
    "3D": BackendUnavailableError,  # invalid catalog (database does not exist)
    "22": ValidationError,  # data exceptions (too long, out of range, bad datetime)
}
_SQLITE: dict[str, type[SerpensError]] = {
    "SQLITE_CONSTRAINT_UNIQUE": ConflictError,
    "SQLITE_CONSTRAINT_PRIMARYKEY": ConflictError,
    "SQLITE_CONSTRAINT_FOREIGNKEY": ConflictError,
    "SQLITE_CONSTRAINT_NOTNULL": ValidationError,
    "SQLITE_CONSTRAINT_CHECK": ValidationError,
    "SQLITE_BUSY": BackendTimeoutError,
    "SQLITE_LOCKED": BackendTimeoutError,
    "SQLITE_CANTOPEN": BackendUnavailableError,
}


def _code(exc: BaseException | None) -> str | None:
    for attr in ("pgcode", "sqlstate", "sqlite_errorname"):
        value = getattr(exc, attr, None)
        if isinstance(value, str) and value:
            return value
    return None


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return mask_url(text[0] if text else type(exc).__name__)


def sqlstate_error(code: str | None) -> type[SerpensError] | None:
    """Return the serpens error class for a SQLSTATE or SQLite error name, if one applies."""
    if code is None:
        return None
    return _EXACT.get(code) or _SQLITE.get(code) or _CLASSES.get(code[:2])


def _translate(exc: BaseException) -> SerpensError | None:  # noqa: C901, PLR0911 - one branch per kind
    orig = getattr(exc, "orig", None) or exc
    if isinstance(exc, SerpensError):
        return None
    if isinstance(orig, SerpensError):  # raised by our own TypeDecorator during binding
        return orig
    code = _code(orig) or _code(getattr(orig, "__cause__", None))
    klass = sqlstate_error(code)
    label = f"[{code}] " if code else ""
    if klass is not None:
        return klass(f"{label}{type(orig).__name__}: {_message(orig)}")
    if isinstance(exc, sa.exc.StatementError) and isinstance(orig, ValueError | TypeError):
        # A type's bind processor rejected a value (e.g. a naive datetime): bad input.
        return ValidationError(f"{type(orig).__name__}: {_message(orig)}")
    if isinstance(exc, StaleDataError):
        return ConflictError(f"stale version: {_message(exc)}")
    if isinstance(exc, sa.exc.TimeoutError):
        return BackendTimeoutError(f"connection pool timeout: {_message(exc)}")
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return BackendUnavailableError(f"connection lost: {_message(orig)}")
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return BackendUnavailableError(f"{type(orig).__name__}: {_message(orig)}")
    if isinstance(orig, OSError | ConnectionError):
        return BackendUnavailableError(f"{type(orig).__name__}: {_message(orig)}")
    if isinstance(exc, TimeoutError):
        return BackendTimeoutError(f"timed out: {_message(exc)}")
    if isinstance(exc, sa.exc.IntegrityError | sa.exc.DataError):
        return ValidationError(f"{type(orig).__name__}: {_message(orig)}")
    if isinstance(exc, sa.exc.DBAPIError):
        return BackendError(f"{label}{type(orig).__name__}: {_message(orig)}")
    return None


def translated(exc: BaseException) -> SerpensError | None:
    """The serpens error *exc* maps to (what :func:`translate_errors` raises), or ``None``."""
    if isinstance(exc, sa.exc.SQLAlchemyError | OSError | TimeoutError):
        return _translate(exc)
    if isinstance(exc, Exception):
        # Raw driver errors (asyncpg's COPY) carry a SQLSTATE but no SQLAlchemy wrapper.
        klass = sqlstate_error(_code(exc))
        if klass is not None:
            return klass(f"[{_code(exc)}] {type(exc).__name__}: {_message(exc)}")
    return None


class _TranslateErrors:
    """The context manager of :func:`translate_errors` (a class: it wraps every query)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, _type: object, exc: BaseException | None, _tb: object) -> Literal[False]:
        if not isinstance(exc, Exception):
            return False  # no error, or a cancellation / KeyboardInterrupt: let it through
        mapped = translated(exc)
        if mapped is None:
            return False
        raise mapped from exc


_TRANSLATE_ERRORS = _TranslateErrors()


def translate_errors() -> AbstractContextManager[None]:
    """Re-raise driver and SQLAlchemy errors as serpens errors (``raise ... from exc``)."""
    return _TRANSLATE_ERRORS
