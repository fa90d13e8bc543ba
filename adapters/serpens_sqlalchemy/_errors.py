"""Map driver and SQLAlchemy errors to serpens errors by SQLSTATE, identically per driver.

The shape every adapter's ``_errors.py`` shares: tables, most specific first, one
:func:`translate` and the :func:`translate_errors` context manager that does
``raise translate(exc) from exc``. The error code decides first: psycopg2 exposes the
SQLSTATE as ``pgcode``, asyncpg as ``sqlstate`` (SQLAlchemy's asyncpg adapter copies it to
``pgcode`` too), and SQLite as ``sqlite_errorname``; then the exception's type does
(:data:`_BY_TYPE`). Messages keep the driver's first line only (never SQL parameters)
and pass through ``mask_url``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Literal

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
from serpens_sqlalchemy._deadline import CONNECT_TIMED_OUT, TIMED_OUT

__all__ = ["MUST_ROLL_BACK", "sqlstate_error", "translate", "translate_errors"]

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
    # a SQL error (no such table or column, syntax): sqlite3 raises it as an
    # OperationalError, which would otherwise read as an outage
    "SQLITE_ERROR": BackendError,
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


def _described(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {_message(exc)}"


def sqlstate_error(code: str | None) -> type[SerpensError] | None:
    """Return the serpens error class for a SQLSTATE or SQLite error name, if one applies."""
    if code is None:
        return None
    return _EXACT.get(code) or _SQLITE.get(code) or _CLASSES.get(code[:2])


def _invalidated(exc: Any, orig: BaseException) -> SerpensError | None:
    if exc.connection_invalidated:
        return BackendUnavailableError(f"connection lost: {_message(orig)}")
    return None  # not a lost connection: a later row decides


def _timed_out(_exc: Any, orig: BaseException) -> SerpensError | None:
    deadline = getattr(orig, TIMED_OUT, None)
    if deadline is None:
        return None
    # the client-side deadline (serpens_sqlalchemy._deadline) shut the connection down
    return BackendTimeoutError(
        f"the database did not answer within {deadline:g} s (client-side deadline); "
        "the connection was dropped"
    )


def _raw_driver_error(exc: Exception) -> SerpensError | None:
    """Raw driver errors (asyncpg's COPY and unnest) carry a SQLSTATE but no SQLAlchemy wrapper.

    A SQLSTATE no table maps (a missing table: ``42P01``) is a :class:`BackendError`, as
    :func:`_dbapi` makes it behind SQLAlchemy; an exception with no code is not the
    database's and propagates unchanged.
    """
    timed_out = _timed_out(exc, exc)
    if timed_out is not None:
        return timed_out
    code = _code(exc)
    if code is None:
        return None
    raw = sqlstate_error(code) or BackendError
    return raw(f"[{code}] {_described(exc)}")


def _connect_timed_out(_exc: Any, orig: BaseException) -> SerpensError | None:
    """A passed ``connect_timeout`` of libpq (psycopg2): a server that never answered."""
    if CONNECT_TIMED_OUT in str(orig):
        return BackendTimeoutError(f"connect timed out: {_message(orig)}")
    return None  # another operational error: the next row decides


def _dbapi(_exc: Any, orig: BaseException) -> SerpensError:
    code = _code(orig) or _code(orig.__cause__)
    label = f"[{code}] " if code else ""
    return BackendError(f"{label}{_described(orig)}")


_Types = type[BaseException] | tuple[type[BaseException], ...]
_Factory = Callable[[Any, BaseException], SerpensError | None]

#: Errors without a known code: (type of the raised exception, type of the driver's ``orig``
#: (the exception itself when it wraps none), factory), most specific first; the first row
#: whose types match and whose factory does not decline (``None``) decides.
_BY_TYPE: tuple[tuple[_Types, _Types, _Factory], ...] = (
    # A type's bind processor rejected a value (e.g. a naive datetime): bad input.
    (sa.exc.StatementError, (ValueError, TypeError), lambda _e, o: ValidationError(_described(o))),
    (StaleDataError, BaseException, lambda e, _o: ConflictError(f"stale version: {_message(e)}")),
    # a call on a session whose flush failed (its message quotes the failed statement's
    # parameters, so none of it is repeated)
    (sa.exc.PendingRollbackError, BaseException, lambda _e, _o: ConflictError(MUST_ROLL_BACK)),
    (
        sa.exc.TimeoutError,
        BaseException,
        lambda e, _o: BackendTimeoutError(f"connection pool timeout: {_message(e)}"),
    ),
    (sa.exc.DBAPIError, BaseException, _invalidated),
    (sa.exc.OperationalError, BaseException, _connect_timed_out),
    (
        (sa.exc.OperationalError, sa.exc.InterfaceError),
        BaseException,
        lambda _e, o: BackendUnavailableError(_described(o)),
    ),
    # before OSError: TimeoutError is one (asyncpg's connect timeout arrives unwrapped)
    (TimeoutError, BaseException, lambda e, _o: BackendTimeoutError(f"timed out: {_message(e)}")),
    (
        BaseException,
        (OSError, ConnectionError),
        lambda _e, o: BackendUnavailableError(_described(o)),
    ),
    (
        (sa.exc.IntegrityError, sa.exc.DataError),
        BaseException,
        lambda _e, o: ValidationError(_described(o)),
    ),
    (sa.exc.DBAPIError, BaseException, _dbapi),
)


MUST_ROLL_BACK = (
    "the unit of work must be rolled back before it is used again: a flush in it failed"
)
"""What a call on a session whose flush failed raises (``ConflictError``), as the fake does."""


def translate(exc: BaseException) -> SerpensError | None:
    """The serpens error *exc* maps to (what :func:`translate_errors` raises), or ``None``.

    ``None`` means "not a database failure this adapter knows": the caller lets *exc*
    propagate unchanged (a serpens error, a bug in the caller's code, a cancellation).
    """
    if isinstance(exc, SerpensError) or not isinstance(exc, Exception):
        return None
    if not isinstance(exc, sa.exc.SQLAlchemyError | OSError | TimeoutError):
        return _raw_driver_error(exc)
    orig = getattr(exc, "orig", None) or exc
    # raised by our own TypeDecorator during binding, or past the client-side deadline
    early = orig if isinstance(orig, SerpensError) else _timed_out(exc, orig)
    if early is not None:
        return early
    code = _code(orig) or _code(getattr(orig, "__cause__", None))
    klass = sqlstate_error(code)
    if klass is not None:
        return klass(f"[{code}] {_described(orig)}")
    for raised, driver, factory in _BY_TYPE:
        if isinstance(exc, raised) and isinstance(orig, driver):
            error = factory(exc, orig)
            if error is not None:
                return error
    return None


class _TranslateErrors:
    """The context manager of :func:`translate_errors` (a class: it wraps every query)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, _type: object, exc: BaseException | None, _tb: object) -> Literal[False]:
        if exc is None:
            return False
        mapped = translate(exc)  # None for a cancellation / KeyboardInterrupt: let it through
        if mapped is None:
            return False
        raise mapped from exc


_TRANSLATE_ERRORS = _TranslateErrors()


def translate_errors() -> AbstractContextManager[None]:
    """Re-raise driver and SQLAlchemy errors as serpens errors (``raise translate(exc) from exc``).

    The exceptions :func:`translate` returns ``None`` for propagate unchanged.
    """
    return _TRANSLATE_ERRORS
