"""A mapped class's ``version_id_col`` and how its versions are made, as a ``Session`` makes them.

SQLAlchemy's mapper holds a ``version_id_generator``: its own counter by default
(``(v or 0) + 1``), the application's callable (``lambda v: uuid.uuid4().hex``), or
``False`` (the application, or the database, sets the version itself). A ``Session``
calls ``generator(None)`` for each inserted object and ``generator(current)`` for each
updated one, unless the object was given a new version; with ``False`` it writes the
version the object holds. :class:`VersionRule` makes the same values for the writes a
``Session`` does not make (the in-memory fake's, the SQL adapters' batch inserts and
upserts), so every path stores the same version.

The only version SQL can compute in ``ON CONFLICT DO UPDATE`` is the counter's
``version + 1``: a custom generator is Python, called once per row, which an updating
upsert cannot run. :meth:`VersionRule.check_upsert` refuses that by name, before any I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, MutableMapping
from typing import Any

from serpens.errors import FieldError, ValidationError

__all__ = ["VersionRule"]


class VersionRule:
    """How one mapped class's version column is filled on an insert and bumped on an update."""

    def __init__(self, mapper: Any, key: str | None, name: str) -> None:
        generator: Any = mapper.version_id_generator if key is not None else False
        self.key = key
        """The version column's attribute key, ``None`` without ``version_id_col``."""
        self.generate: Callable[[Any], Any] | None = None if generator is False else generator
        """The mapper's generator; ``None`` when the application sets versions itself."""
        self.counter = self.generate is not None and _is_counter(generator)
        """Whether the generator is SQLAlchemy's counter, which SQL writes as ``version + 1``."""
        self.filled = key if self.generate is not None else None
        """The version column's key when an insert fills it in (``None`` with ``False``)."""
        self._name = name

    def first(self) -> object:
        """The version of a new row: ``generator(None)``, as a ``Session`` inserts it."""
        if self.counter:
            return 1  # the counter's own first value, without a call per row
        assert self.generate is not None  # noqa: S101 - callers check `filled` first
        return self.generate(None)

    def fill(self, row: MutableMapping[str, object], *, replace: bool = False) -> None:
        """Give *row* its first version when it has none (with *replace*, always).

        *replace* is an object's insert: a ``Session`` writes the generator's value over
        whatever the object holds. A row dict's version, when given, is written as given.
        """
        key = self.filled
        if key is not None and (replace or row.get(key) is None):
            row[key] = self.first()

    def bump(
        self, row: MutableMapping[str, object], old: Any, assigned: Container[str] = ()
    ) -> None:
        """Set *row*'s next version from the stored *old* one, as a ``Session``'s UPDATE does.

        ``generator(old version)``, unless the version is among the *assigned* attributes
        (a ``Session`` writes a version set on the object as set) or the application
        manages versions (``version_id_generator=False``: the version stays as written).
        """
        key = self.key
        if key is None or self.generate is None or key in assigned:
            return
        row[key] = self.generate(old[key])

    def moved(self, current: Mapping[str, object], origin: Mapping[str, object]) -> bool:
        """Whether a row committed over the *origin* one read makes a versioned write stale.

        A ``Session``'s ``UPDATE ... WHERE version = <read>`` finds no row once another
        one changed it: with a generator every committed update made a new version; with
        ``version_id_generator=False`` only a version the other writer set does.
        """
        key = self.key
        if key is None:
            return False
        return self.generate is not None or current[key] != origin[key]

    def check_upsert(self, fields: object) -> None:
        """Refuse an updating upsert (*fields* given) of a model with a custom generator.

        ``ON CONFLICT DO UPDATE`` computes the new row in SQL, and a Python generator
        cannot run there per row; storing anything else would break the versions every
        other write makes (and the optimistic locking that relies on them).
        """
        if not fields or self.generate is None or self.counter:
            return
        raise ValidationError(
            f"an updating upsert of {self._name} cannot make its next version",
            [
                FieldError(
                    "update_fields",
                    f"{self._name}.{self.key} comes from a custom version_id_generator, "
                    "Python that ON CONFLICT DO UPDATE cannot run per row: upsert with "
                    "update_fields=None (insert or do nothing) and update the object itself "
                    "(get, change, flush) so the Session makes its version",
                )
            ],
        )


def _is_counter(generator: object) -> bool:
    """Whether *generator* is the counter SQLAlchemy's mapper sets when none is given."""
    code = getattr(generator, "__code__", None)
    return (
        getattr(generator, "__module__", None) == "sqlalchemy.orm.mapper"
        and code is not None
        and code.co_name == "<lambda>"
    )
