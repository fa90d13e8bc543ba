"""The checks of upserts and batch writes: conflict targets, update fields, rows.

:class:`ModelWrites` validates ``upsert``'s and ``upsert_many``'s arguments and a batch
of row dicts before any I/O. A batch of 10k rows is checked mostly at C speed (one list
of values and one set of value types per field, :func:`_all_fit`); rows are walked one
by one only to name the first offender.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from serpens._rules.repository._batch import Batch
from serpens._rules.repository._columns import ColumnInfo
from serpens._rules.repository._inheritance import ModelInheritance
from serpens._rules.repository._values import _as_decimal, _bad, _storable_text, hashable
from serpens.errors import FieldError, ValidationError


class ModelWrites(ModelInheritance):
    """The upsert and batch checks of one mapped class."""

    # -- writes --------------------------------------------------------------------------
    def conflict_target(self, conflict_on: Sequence[str]) -> tuple[str, ...]:
        """Return *conflict_on* when it names the primary key or one unique constraint/index."""
        if isinstance(conflict_on, str):
            conflict_on = [conflict_on]
        asked = tuple(conflict_on)
        known = self._targets.get(asked)
        if known is not None:
            return known
        self.check_fields(asked, "conflict_on field")
        wanted = set(asked)
        for unique in self.unique_sets:
            if set(unique) == wanted:
                self._targets[asked] = unique
                return unique
        raise _bad(
            f"conflict_on must name the primary key or a unique constraint of {self.name}",
            "conflict_on",
            f"{sorted(wanted)} is not one of {[list(u) for u in self.unique_sets]}",
        )

    def upsert_args(
        self,
        values: Mapping[str, object],
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None,
    ) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
        """Validate upsert arguments; return (conflict columns, update fields or None).

        ``None`` means "insert or do nothing", and so does an empty ``update_fields``:
        updating no field leaves an existing row as it is (no version bump, no
        ``onupdate``), and a new row is inserted either way.
        """
        target = self.conflict_target(conflict_on)
        self.check_fields(values, "value")
        for key in self.pk:
            if key in values and values[key] is None:
                raise _null_key(self.name, key)
        self.check_row(values)
        missing = [k for k in target if k not in values]
        if missing:
            raise ValidationError(
                f"upsert of {self.name} needs every conflict_on value",
                [FieldError(k, "missing") for k in missing],
            )
        if update_fields is None:
            return target, None
        if isinstance(update_fields, str):
            update_fields = [update_fields]
        self.check_fields(update_fields, "update field")
        if not update_fields:
            return target, None
        self.check_update_fields(update_fields)
        self.versions.check_upsert(update_fields)
        absent = [f for f in update_fields if f not in values]
        if absent:
            raise ValidationError(
                f"update_fields of {self.name} must be present in values",
                [FieldError(f, "missing from values") for f in absent],
            )
        return target, tuple(update_fields)

    def batch(self, rows: Iterable[Mapping[str, object]]) -> Batch:
        """Validate a batch of row dicts: known fields, the same fields in every row.

        Dicts are returned as given, not copied (10k copies cost more than the INSERT's
        own preparation): callers build new dicts rather than change these. The
        :class:`Batch` keeps each field's values, gathered for the checks, for the SQL
        adapter's fast paths.
        """
        batch = [r if type(r) is dict else dict(r) for r in rows]
        if not batch:
            return Batch([], {})
        keys = set(batch[0])
        self.check_fields(keys, "value")
        # One list of values per field, at C speed: it proves every row has the first
        # row's fields (a missing one is a KeyError, an extra one a different length) and
        # feeds the type and length checks. Rows are walked one by one only to name the
        # first offender.
        try:
            values = {key: list(map(operator.itemgetter(key), batch)) for key in batch[0]}
        except KeyError:
            values = {}
        # every row has the first row's fields: equal sizes leave no room for another one
        if not values or sum(map(len, batch)) != len(keys) * len(batch):
            for i, row in enumerate(batch):
                if row.keys() != keys:
                    raise ValidationError(
                        f"every row of a batch of {self.name} needs the same fields",
                        [FieldError(f"rows[{i}]", f"has {sorted(row)}, expected {sorted(keys)}")],
                    )
        kinds = self.check_batch_types(values)
        for key in self.pk:  # the types found, or a walk for a column of unknown type
            if key in values and _NONE in kinds.get(key, map(type, values[key])):
                raise _null_key(self.name, f"rows[{values[key].index(None)}].{key}")
        self._check_batch_lengths(values, kinds)
        return self.identified_batch(self._decimal_floats(Batch(batch, values), kinds))

    def _decimal_floats(self, batch: Batch, kinds: Mapping[str, set[type]]) -> Batch:
        """*batch* with each float of a ``Numeric`` column as the ``Decimal`` of its text.

        As its shortest text, which an INSERT sends and the column rounds: binary COPY,
        asyncpg and SQLite would take the float's exact binary value (1.005 is 1.00499...:
        stored 1.00 where an INSERT stores 1.01). The rows hold them too, in new dicts
        (the caller's stay as given), for the paths that read rows.
        """
        exact = {
            key: [_as_decimal(v) if type(v) is float else v for v in batch.columns[key]]
            for key, found in kinds.items()
            if float in found and self.columns[key].decimal
        }
        if not exact:
            return batch
        rows = [row | {k: v[i] for k, v in exact.items()} for i, row in enumerate(batch)]
        return Batch(rows, {**batch.columns, **exact})

    def decimal_floats(self, values: Mapping[str, object]) -> dict[str, object]:
        """One row's *values*, each float of a ``Numeric`` column as the ``Decimal`` of its text.

        What :meth:`batch` does for a batch's rows, for one row a SQL adapter writes itself
        (``upsert``): asyncpg would send a float's exact binary value.
        """
        columns = self.columns
        return {
            k: _as_decimal(v) if type(v) is float and columns[k].decimal else v
            for k, v in values.items()
        }

    def _check_batch_lengths(
        self, values: Mapping[str, list[object]], kinds: Mapping[str, set[type]]
    ) -> None:
        """Each value of a bounded column fits it, or ``ValidationError`` (``rows[i].k``).

        A string its length, a number its ``Numeric(p, s)``.
        """
        for column in self.bounded:
            key = column.key
            if key not in values:
                continue
            found = kinds.get(key)
            if found is None:
                found = set(map(type, values[key]))
            if _all_fit(column, values[key], found):
                continue
            for i, value in enumerate(values[key]):
                column.check_length(value, f"rows[{i}].{key}")
                column.check_number(value, f"rows[{i}].{key}")

    def check_batch_types(self, values: Mapping[str, list[object]]) -> dict[str, set[type]]:
        """Each value of each field has its column's type, or ``ValidationError`` (``rows[i].k``).

        *values* holds each field's values in row order, the fields in the first row's
        order (so the first bad one is named). Drivers disagree on a mismatch (asyncpg
        raises ``TypeError``, psycopg2 lets the server reject it, the fake would store it),
        so every backend checks it here first. One set of the value types per column
        decides the common case at C speed; values are walked one by one only to name an
        offending one (or check time zones).

        Returns the set of value types of each field it took at C speed, for the length
        checks to reuse.
        """
        kinds: dict[str, set[type]] = {}
        for key, column_values in values.items():
            column = self.columns.get(key)
            if column is None or column.accepts is None:
                continue
            found = kinds[key] = set(map(type, column_values))
            if found <= self._plain[key]:  # no zone-aware datetime, no Enum name to check
                continue
            for i, value in enumerate(column_values):
                column.check_value(value, f"rows[{i}].{key}")
        return kinds

    def upsert_many_args(
        self,
        rows: Iterable[Mapping[str, object]],
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None,
    ) -> tuple[Batch, tuple[str, ...], tuple[str, ...] | None]:
        """Validate an ``upsert_many`` batch: rows, conflict columns, update fields."""
        batch = self.batch(rows)
        if not batch:
            self.conflict_target(conflict_on)
            return batch, (), None
        # Every row has the first row's fields (batch() checked), so one check serves all.
        target, fields = self.upsert_args(batch[0], conflict_on, update_fields)
        # A single-column key is compared as the bare value (the checks' own list of it):
        # 10k tuples kept alive would cost more in garbage collection than the whole
        # check. Several columns give tuples.
        columns = [batch.columns[k] for k in target]
        keys: list[object] = columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
        stored = [self.columns[k] for k in target]
        if any(
            c.choices is not None or c.digits is not None or c.decimal or c.floating for c in stored
        ):
            # compared as the columns store them: "RED" is Color.RED, 1.001 is 1.00 in
            # Numeric(6, 2), NaN is NaN (PostgreSQL would update one row twice, SQLSTATE 21000)
            if len(stored) == 1:
                keys = list(map(stored[0].stored_key, keys))
            else:
                keys = [
                    tuple(c.stored_key(v) for c, v in zip(stored, key, strict=True))  # type: ignore[call-overload]
                    for key in keys
                ]
        given = keys
        try:
            distinct = len(set(keys))
        except TypeError:  # a list or a dict (an ARRAY or PickleType key): its stand-in
            keys = list(map(hashable, keys))
            distinct = len(set(keys))
        if distinct != len(keys):
            seen: dict[object, int] = {}
            for i, key in enumerate(keys):
                if _holds_null(given[i]):
                    continue  # NULLs never conflict: a plain unique constraint lets them repeat
                if key in seen:
                    raise ValidationError(
                        f"upsert_many of {self.name} got one conflict key twice",
                        [FieldError(f"rows[{i}]", f"same {list(target)} as rows[{seen[key]}]")],
                    )
                seen[key] = i
        return batch, target, fields


def _null_key(name: str, path: str) -> ValidationError:
    """A primary key value given as ``None``: PostgreSQL refuses the row (SQLSTATE 23502).

    SQLite would generate an ``INTEGER PRIMARY KEY`` (or store a NULL in any other key
    column) and the fake would generate one: every backend refuses it, before any I/O.
    """
    return ValidationError(
        f"a row of {name} gives its primary key as None",
        [FieldError(path, "must not be null: leave the field out for a generated key")],
    )


def _holds_null(key: object) -> bool:
    """Whether a conflict key (a value, or a tuple of several columns' values) holds a NULL."""
    return key is None or (type(key) is tuple and None in key)


_NONE = type(None)
_STR_OR_NONE = frozenset((str, type(None)))
_INT_OR_NONE = frozenset((int, type(None)))
_FLOAT_OR_NONE = frozenset((float, type(None)))
_DOUBLE_INTS = 2**1023
"""Every int of a smaller magnitude converts to a finite double."""


def _all_fit(column: ColumnInfo, values: list[object], found: set[type]) -> bool:  # noqa: PLR0911 - one exit per case
    """Whether *values* (of the types *found*) all fit *column*, decided at C speed.

    ``True`` for the common cases: strings (or ``None``) within the length, ints (or
    ``None``) within an integer type or a ``Numeric(p, s)``. ``False`` means "look one by
    one".
    """
    kept: Iterable[Any] = filter(None, values) if type(None) in found else values
    if found <= _STR_OR_NONE and (column.text or column.length is not None):
        strings = list(kept)
        if column.text and not _storable_text("".join(strings)):
            return False
        return column.length is None or max(map(len, strings), default=0) <= column.length
    if found <= _INT_OR_NONE:  # a 0 left out by the filter fits anyway
        if column.int_range is not None:
            ints = list(kept)
            return not ints or (min(ints) >= -column.int_range and max(ints) < column.int_range)
        if column.digits is not None:
            precision, scale = column.digits
            return bool(max(map(abs, kept), default=0) < 10 ** (precision - scale))
        if column.floating:
            return bool(max(map(abs, kept), default=0) < _DOUBLE_INTS)
    if found <= _FLOAT_OR_NONE:
        return column.digits is None  # any float fits a float column (PostgreSQL's double)
    return False
