"""The errors ``db_session()``/``async_db_session()`` raise when their commit fails.

serpens 2.9 let SQLAlchemy's error through unchanged, so services (and the spec's
optimistic-locking recipe) wrap ``with db_session()`` in ``except StaleDataError:`` or
``except IntegrityError:``. serpens raises its own error instead (``ConflictError``, ...),
with a masked message. To keep both working, the error raised is an instance of a class
deriving from both: the serpens class first (its handlers and status mapping decide), then
the SQLAlchemy class. One such class is built per pair and cached.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from serpens.errors import SerpensError

__all__ = ["commit_error"]

_classes: dict[tuple[type[SerpensError], type[BaseException]], type[SerpensError]] = {}
_classes_lock = threading.Lock()


def commit_error(exc: Exception) -> SerpensError | None:
    """The serpens error for a failed commit, also an instance of *exc*'s own class.

    ``None`` when *exc* is no database failure serpens maps (it propagates unchanged).
    The result's message is the serpens one (masked, no SQL parameters); its attributes
    are *exc*'s (``orig``, ``statement``, ...) plus the serpens error's, so 2.9 code that
    reads ``err.orig.pgcode`` keeps working. The caller raises it ``from exc``.
    """
    from serpens_sqlalchemy._errors import translate  # noqa: PLC0415 - adapter glue

    mapped = translate(exc)
    if mapped is None or not isinstance(exc, SQLAlchemyError):
        return mapped
    klass = _both(type(mapped), type(exc))
    # SQLAlchemy's constructors need the statement and parameters: bypass them and give
    # the instance the state both sides would have set.
    error = klass.__new__(klass, *mapped.args)
    error.__dict__.update(exc.__dict__)
    error.__dict__.update(mapped.__dict__)
    return error


def _both(serpens_class: type[SerpensError], original: type[BaseException]) -> type[SerpensError]:
    """Return the cached class deriving from *serpens_class* and *original*, in that order."""
    key = (serpens_class, original)
    klass = _classes.get(key)
    if klass is None:
        with _classes_lock:
            klass = _classes.get(key)
            if klass is None:
                klass = _classes[key] = _build(serpens_class, original)
    return klass


def _build(serpens_class: type[SerpensError], original: type[BaseException]) -> type[SerpensError]:
    def __str__(self: BaseException) -> str:  # noqa: N807 - SQLAlchemy's would render SQL
        return BaseException.__str__(self)

    def __reduce__(self: BaseException) -> tuple[Any, ...]:  # noqa: N807
        # the class is built at run time and cannot be pickled by name: the serpens error can
        return (serpens_class, self.args)

    namespace: dict[str, Any] = {
        "__module__": serpens_class.__module__,
        "__qualname__": serpens_class.__qualname__,
        "__doc__": f"A {serpens_class.__name__} that is also SQLAlchemy's {original.__name__}.",
        "__str__": __str__,
        "__reduce__": __reduce__,
    }
    return type(serpens_class.__name__, (serpens_class, original), namespace)
