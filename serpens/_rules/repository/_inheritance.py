"""Single-table inheritance: which rows a class's repository sees, and what it writes.

A model mapped with ``polymorphic_on`` (single-table inheritance; joined-table inheritance
is refused by :class:`~._fields.ModelFields`) shares its table with the other classes of
its hierarchy. As SQLAlchemy's ORM queries do, a repository of a subclass sees only the
rows whose discriminator names that class or one of its subclasses; the base class's
repository sees every row, each built as the class its discriminator names. A write
stores the repository's class's identity when the row gives none, refuses an identity
of a class the repository does not see, and never changes the class of a stored row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from serpens._rules.repository._batch import Batch
from serpens._rules.repository._fields import ModelFields
from serpens._rules.repository._values import _bad
from serpens.errors import ConfigurationError, ConflictError

__all__ = ["Inheritance", "ModelInheritance"]


@dataclass(frozen=True, slots=True)
class Inheritance:
    """The discriminator of one class of a single-table hierarchy."""

    key: str
    """The discriminator column's attribute key."""
    identity: object
    """This class's ``polymorphic_identity`` (``None`` for an abstract base)."""
    identities: tuple[object, ...] | None
    """The identities whose rows this class's repository sees; ``None``: every row (the base)."""
    classes: Mapping[object, type[Any]]
    """Each identity's mapped class (the mapper's ``polymorphic_map``)."""
    uniform: bool
    """Whether every class of the hierarchy maps the same columns (no subclass adds one)."""

    def sees(self, value: object) -> bool:
        """Whether a row whose discriminator holds *value* is one of this class's rows."""
        return self.identities is None or value in self.identities


def inheritance_of(mapper: Any, key_of: Mapping[Any, str], name: str) -> Inheritance | None:
    """*mapper*'s :class:`Inheritance`; ``None`` for a class mapped without ``polymorphic_on``."""
    on = mapper.polymorphic_on
    if on is None or mapper.concrete:
        return None
    family = list(mapper.base_mapper.self_and_descendants)
    if any(m.local_table is not mapper.base_mapper.local_table for m in family):
        return None  # joined-table: its subclasses are refused, its base reads its own table
    key = key_of.get(on)
    if key is None:
        raise ConfigurationError(
            f"{name} maps polymorphic_on to a SQL expression, which serpens' repositories do "
            "not support: discriminate the classes by a mapped column"
        )
    keys = {m.key for m in mapper.base_mapper.column_attrs}
    own = [m.polymorphic_identity for m in mapper.self_and_descendants]
    return Inheritance(
        key=key,
        identity=mapper.polymorphic_identity,
        identities=tuple(i for i in own if i is not None) if mapper.inherits else None,
        classes={i: m.class_ for i, m in mapper.polymorphic_map.items()},
        uniform=all({c.key for c in m.column_attrs} == keys for m in family),
    )


class ModelInheritance(ModelFields):
    """The single-table inheritance rules of one mapped class (see the module)."""

    def __init__(self, model: type[Any]) -> None:
        super().__init__(model)
        self.inheritance: Inheritance | None = inheritance_of(self.mapper, self._key_of, self.name)

    def _allowed(self) -> tuple[object, ...]:
        kinds = self.inheritance
        assert kinds is not None  # noqa: S101 - callers check
        return kinds.identities if kinds.identities is not None else tuple(kinds.classes)

    def identified(self, values: Mapping[str, object]) -> Mapping[str, object]:
        """*values* with this class's identity as the discriminator when they give none.

        ``ValidationError`` for the identity of a class this repository does not see
        (a ``Mgr`` repository writing an ``Emp`` row).
        """
        kinds = self.inheritance
        if kinds is None:
            return values
        if kinds.key not in values:
            return values if kinds.identity is None else {**values, kinds.key: kinds.identity}
        allowed = self._allowed()
        if values[kinds.key] not in allowed:
            raise _bad(
                f"a row written through the repository of {self.name} must be one of its rows",
                kinds.key,
                f"{values[kinds.key]!r} is not one of {list(allowed)}",
            )
        return values

    def identified_batch(self, batch: Batch) -> Batch:
        """:meth:`identified` for a checked batch (new dicts only when one is filled in)."""
        kinds = self.inheritance
        if kinds is None or not batch:
            return batch
        if kinds.key in batch.columns:
            allowed = self._allowed()
            for i, value in enumerate(batch.columns[kinds.key]):
                if value not in allowed:
                    raise _bad(
                        f"a row written through the repository of {self.name} must be one "
                        "of its rows",
                        f"rows[{i}].{kinds.key}",
                        f"{value!r} is not one of {list(allowed)}",
                    )
            return batch
        if kinds.identity is None:
            return batch
        rows = [{**row, kinds.key: kinds.identity} for row in batch]
        return Batch(rows, {**batch.columns, kinds.key: [kinds.identity] * len(rows)})

    def check_update_fields(self, fields: Sequence[str]) -> None:
        """Refuse an upsert that would change a stored row's class (its discriminator)."""
        kinds = self.inheritance
        if kinds is not None and kinds.key in fields:
            raise _bad(
                f"an upsert of {self.name} cannot change the class of a stored row",
                kinds.key,
                "the discriminator is not an update field",
            )

    def check_family(self, row: Mapping[str, object], target: Sequence[str]) -> None:
        """``ConflictError`` when an upsert's conflicting *row* is not one of this class's rows.

        Neither updated nor returned: it belongs to another class of the hierarchy.
        """
        kinds = self.inheritance
        if kinds is not None and not kinds.sees(row[kinds.key]):
            raise self.foreign_row(target, row)

    def foreign_row(self, target: Sequence[str], values: Mapping[str, object]) -> ConflictError:
        """The error of an upsert whose conflicting row belongs to another class."""
        keys = [target] if isinstance(target, str) else list(target)
        found = ", ".join(f"{k}={values[k]!r}" for k in keys if k in values)
        return ConflictError(
            f"upsert of {self.name}: the stored row with {found} is not a {self.name} "
            "(it belongs to another class of its single-table hierarchy)"
        )
