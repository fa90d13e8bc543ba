"""OpenTelemetry spans around the repository methods (opentelemetry installed only).

:func:`traced_methods` is applied to both repository classes at import time: without
opentelemetry it returns the class untouched, so the methods keep their plain code.
With it, each port method runs in a ``CLIENT`` span named ``"<method> <table>"`` with
``db.system``, ``db.collection.name`` and ``db.operation.name``: never a parameter
value, which may be personal data. The SQL statements themselves are left to
``opentelemetry-instrumentation-sqlalchemy`` for users who want them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from serpens import _tracing

__all__ = ["traced_methods"]

C = TypeVar("C", bound=type)

#: The port methods that talk to the database (``get_or_raise`` is ``get`` plus a check).
METHODS = (
    "add",
    "bulk_add",
    "bulk_insert",
    "count",
    "exists",
    "flush",
    "get",
    "get_by",
    "list",
    "paginate",
    "seek",
    "upsert",
    "upsert_many",
)


def _attributes(repo: Any, method: str) -> tuple[str, dict[str, Any]]:
    # The mapped table's own name: a model declared with ``__table__`` (a reflected or
    # shared ``Table``) has no ``__tablename__``, and its class name is not a table's.
    table = repo._info.table.name  # noqa: SLF001 - the repository's mapped Table
    try:
        system: str | None = repo._dialect()  # noqa: SLF001 - the repository's own helper
    except Exception:  # noqa: BLE001 - an unbound session fails in the call itself, reported there
        system = None
    attributes = {
        "db.system": system,
        "db.system.name": system,
        "db.collection.name": str(table),
        "db.operation.name": method,
    }
    return f"{method} {table}", attributes


def _wrap(method: str, func: Callable[..., Any]) -> Callable[..., Any]:
    recording = _tracing.recording
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def traced_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not recording():  # no SDK provider: no span, no attributes to build
                return await func(self, *args, **kwargs)
            name, attributes = _attributes(self, method)
            with _tracing.span(name, _tracing.CLIENT, attributes):
                return await func(self, *args, **kwargs)

        return traced_async

    @functools.wraps(func)
    def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not recording():
            return func(self, *args, **kwargs)
        name, attributes = _attributes(self, method)
        with _tracing.span(name, _tracing.CLIENT, attributes):
            return func(self, *args, **kwargs)

    return traced


def traced_methods(cls: C) -> C:
    """Wrap *cls*'s port methods in spans when opentelemetry is installed; else no-op."""
    if not _tracing.enabled():
        return cls
    for method in METHODS:
        setattr(cls, method, _wrap(method, getattr(cls, method)))
    return cls
