"""Row-level rules of the in-memory repository: defaults, keys, uniqueness, versions, order.

Pure functions over row dicts (attribute key -> value), so a whole write can be applied to
a copy of a table and swapped in only when every row passed: writes are all or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from serpens._rules.repository import (
    ModelInfo,
    OrderTerm,
    array_rank,
    as_array,
    is_sql_expression,
    same_nan,
)
from serpens.errors import ConfigurationError, ConflictError, FieldError, ValidationError
from serpens.fakes._repository_computed import (
    computed_attributes,
    computed_checks,
    computed_uniques,
)
from serpens.fakes._repository_defaults import _evaluator, _key_sequence
from serpens.fakes._repository_index import Rank, Unique, duplicate, lookup, unique_key
from serpens.fakes._repository_references import foreign_keys
from serpens.fakes._repository_table import RowStore, TableRows
from serpens.fakes._repository_values import (
    _IMMUTABLE,
    PLAIN_TYPES,
    _array_as_read_back,
    _as_json,
    _as_jsonb,
    _enum_rank,
    copy_value,
)

__all__ = [
    "PLAIN_TYPES",
    "RowRules",
    "RowStore",
    "TableRows",
    "copy_value",
]

Row = dict[str, object]


class RowRules:
    """How one model's rows are inserted, updated and compared."""

    def __init__(
        self,
        info: ModelInfo,
        clock: Callable[[], dt.datetime],
        tables: Callable[[object], TableRows] | None = None,
    ) -> None:
        self.info = info
        self.defaults: dict[str, Any] = {}
        self.onupdates: dict[str, Any] = {}
        for key, col in info.columns.items():
            if getattr(col.column, "computed", None) is not None:
                raise ConfigurationError(
                    f"the in-memory repository cannot emulate computed column {info.name}.{key}"
                )
            default = _evaluator(info, key, col.default, clock) or _evaluator(
                info, key, col.server_default, clock
            )
            if default is not None:
                self.defaults[key] = default
            onupdate = _evaluator(info, key, col.onupdate, clock)
            if onupdate is not None:
                self.onupdates[key] = onupdate
        self.uniques: tuple[Unique, ...] = info.unique_sets[1:] + computed_uniques(info)
        """Every unique set but the primary key: column tuples, then partial and expression
        indexes (:mod:`~serpens.fakes._repository_computed`)."""
        self.checks = computed_checks(info)
        """The table's ``CHECK`` constraints (:mod:`~serpens.fakes._repository_computed`)."""
        self.computed = computed_attributes(info)
        """The attributes a SQL expression computes, set on each written row."""
        self.references = () if tables is None else foreign_keys(info, tables)
        """The foreign keys a written row is checked against (:mod:`~serpens.fakes.
        _repository_references`), none when the database does not enforce them."""
        self.autoincrement = next((k for k, c in info.columns.items() if c.autoincrement), None)
        self.key_start, self.key_step = _key_sequence(info, self.autoincrement)
        """The generated keys' first value and step (``Identity``'s or ``Sequence``'s)."""
        self._aware = frozenset(k for k, c in info.columns.items() if c.aware_datetime)
        self._choices = tuple((k, c.choices) for k, c in info.columns.items() if c.choices)
        self.ranks: dict[str, Rank] = {
            k: _enum_rank(c.column.type) for k, c in info.columns.items() if c.choices
        }
        self.ranks.update((k, array_rank) for k, c in info.columns.items() if c.array)
        """How each ``Enum`` column's values sort (see :func:`_enum_rank`), and each
        ``ARRAY`` column's (:func:`~serpens._rules.repository.array_rank`)."""
        self._arrays = tuple(k for k, c in info.columns.items() if c.array)
        self._array_items = tuple(
            (k, c.item)
            for k, c in info.columns.items()
            if c.item is not None
            and (c.item.choices or c.item.decimal or c.item.floating or c.item.aware_datetime)
        )
        """``ARRAY`` columns whose elements are stored converted (:func:`_array_as_read_back`)."""
        self._decimals = tuple(c for c in info.columns.values() if c.decimal)
        self._floats = tuple(k for k, c in info.columns.items() if c.floating)
        self._json = tuple((k, c.column.type.NULL) for k, c in info.columns.items() if c.json)
        self._json_keys = frozenset(k for k, _ in self._json)
        from sqlalchemy.dialects.postgresql import JSONB  # noqa: PLC0415 - lazy SDK import

        self._jsonb = frozenset(
            k
            for k, c in info.columns.items()
            if isinstance(getattr(c.column.type, "impl_instance", c.column.type), JSONB)
        )
        """``JSONB`` columns: stored as PostgreSQL's ``jsonb`` reads back (:func:`_as_jsonb`)."""
        self._naive_times = tuple(k for k, c in info.columns.items() if c.naive_time)
        self._binaries = tuple(k for k, c in info.columns.items() if c.binary)
        self._not_null = tuple(k for k, c in info.columns.items() if not c.nullable)
        filled = (self.autoincrement, info.versions.filled)  # None: a key, the first version
        self._given_not_null = tuple(k for k in self._not_null if k not in filled)
        self._required = tuple(k for k in self._given_not_null if k not in self.defaults)
        """The NOT NULL columns an INSERT must be given a value for (nothing fills them)."""
        self.mutable = [False]
        """Whether the table ever stored a mutable value (a list, a dict): until then, loads
        share stored values instead of copying. One flag per table (``InMemoryDatabase``)."""

    def pk(self, row: Row) -> tuple[object, ...]:
        """The primary-key tuple of *row*."""
        keys = self.info.pk
        return (row[keys[0]],) if len(keys) == 1 else tuple(row[k] for k in keys)

    def _normalise(self, row: Row, keys: RowStore | None = None) -> Row:
        """Check and convert *row* as stored; with *keys*, give it a generated key.

        The key comes after the checks the SQL adapters make before any I/O (a value
        they refuse never reaches PostgreSQL, whose sequence moves only for a row it
        builds) and before the database's own constraints (NOT NULL, ``CHECK``, unique:
        a row PostgreSQL refuses has used its key up).
        """
        self._checked(row)
        if keys is not None and self.autoincrement is not None:
            row[self.autoincrement] = self.key_start + (keys.next_id() - 1) * self.key_step
        self._as_read_back(row)
        self._check_not_null([k for k in self._not_null if row.get(k) is None])
        for check in self.checks:  # after NOT NULL, before unique: PostgreSQL's order
            check.check(row)
        for computed in self.computed:  # what a read would compute: column_property(a * 2)
            row[computed.key] = computed.value(row)
        return row

    def _checked(self, row: Row) -> None:
        """Check *row*'s values as the SQL adapters do before any I/O; convert them as stored."""
        self.info.check_row(row)  # types, zones and lengths, as the SQL adapter checks them
        self._as_stored(row)
        aware = self._aware
        for key, value in row.items():
            if type(value) in PLAIN_TYPES and (key not in aware or value is None):
                continue  # the common case: stored as is
            if is_sql_expression(value):  # Product.stock - 1: only a database evaluates it
                raise ValidationError(
                    f"the in-memory fake cannot store a SQL expression in {key}",
                    [FieldError(key, "SQL expressions need a SQL backend")],
                )
            if key in aware:
                if not isinstance(value, dt.datetime) or value.tzinfo is None:
                    raise ValidationError(  # a user's zone-aware TypeDecorator: unchecked above
                        "a timezone-aware column needs a timezone-aware datetime",
                        [FieldError(key, f"got {value!r}")],
                    )
                row[key] = value.astimezone(dt.UTC)
            elif not isinstance(value, _IMMUTABLE):
                self.mutable[0] = True
                if key not in self._json_keys:  # a JSON value is a new object already
                    row[key] = copy_value(value)

    def _check_not_null(self, missing: list[str]) -> None:
        if missing:
            raise ValidationError(
                f"{self.info.name} needs a value for every NOT NULL column",
                [FieldError(k, "must not be null") for k in missing],
            )

    def _as_stored(self, row: Row) -> None:
        """Store what a SQL column keeps of a value.

        ``JSON`` its JSON text (see :func:`_as_json`; ``JSONB`` as :func:`_as_jsonb`), a
        binary column ``bytes``, an
        ``ARRAY`` lists, a ``Time`` column no ``tzinfo``.
        """
        for key, null in self._json:
            value = row.get(key)
            if value is not None:
                value = row[key] = _as_json(key, value, null)
                if key in self._jsonb and value is not None:
                    row[key] = _as_jsonb(key, value)
        for key in self._binaries:  # a bytearray or a memoryview: bytes, as drivers read
            value = row.get(key)
            if value is not None and type(value) is not bytes:
                row[key] = bytes(value)  # type: ignore[call-overload]
        for key in self._arrays:  # a tuple, as the list every driver reads back
            value = row.get(key)
            if isinstance(value, tuple):
                row[key] = as_array(value)
        for key in self._naive_times:
            value = row.get(key)
            if isinstance(value, dt.time) and value.tzinfo is not None:
                row[key] = value.replace(tzinfo=None)

    def _as_read_back(self, row: Row) -> None:
        """Store *row*'s values as a SQL database reads them back: enums, NUMERIC, FLOAT."""
        for key, choices in self._choices:  # stored as what they stand for
            value = row.get(key)
            if value is not None:
                row[key] = choices[value]
        for key, item in self._array_items:  # an ARRAY's elements alike
            value = row.get(key)
            if value is not None:
                row[key] = _array_as_read_back(item, value)
        self._numbers_as_read_back(row)

    def _numbers_as_read_back(self, row: Row) -> None:
        for column in self._decimals:  # a Decimal, at the column's scale
            value = row.get(column.key)
            if type(value) is int or type(value) is Decimal or type(value) is float:
                row[column.key] = same_nan(column.stored_number(value))
        for key in self._floats:  # a float, as double precision reads back (the rules
            value = row.get(key)  # refused a number no double holds)
            if type(value) is int or type(value) is Decimal:
                row[key] = same_nan(float(value))
            elif type(value) is float:
                row[key] = same_nan(value)  # one NaN object: equal to itself, as PostgreSQL's

    def _check_unique(self, work: RowStore, row: Row, own: tuple[object, ...] | None) -> None:
        for unique in self.uniques:
            values = unique_key(row, unique)
            if values is None:
                continue  # NULLs never conflict, as in SQL
            holder = work.index(unique).get(values)
            if holder is not None and holder != own:
                raise duplicate(self.info, unique, row)

    def find(self, work: RowStore, target: tuple[str, ...], values: Row) -> Row | None:
        """The stored row whose *target* columns equal those of *values*, if any.

        Compared as the columns store them, as PostgreSQL compares the row it would insert:
        an ``Enum`` name finds its member, ``1.005`` the ``1.01`` of a ``Numeric(6, 2)``,
        a NaN the stored NaN.
        """
        columns = self.info.columns
        wanted = tuple(columns[k].stored_key(values[k]) for k in target)
        if target == self.info.pk:
            found: Row | None = work.rows.get(wanted)
            return found
        pk = lookup(work.index(target), wanted)
        return None if pk is None else work.rows[pk]

    def insert(self, work: RowStore, values: Row, *, none_is_default: bool) -> Row:
        """Build the full row for *values*, check it and store it in *work*."""
        row = self._filled(values, none_is_default=none_is_default)
        # PostgreSQL's sequence: explicit keys do not advance it, so a generated key may
        # collide with one (ConflictError below); a row the database refuses uses it up
        generated = self.autoincrement is not None and row[self.autoincrement] is None
        row = self._normalise(row, work if generated else None)
        ident = self.pk(row)
        if ident in work.rows:
            raise ConflictError(f"duplicate key: {self.info.name} id={ident!r} exists")
        self._check_unique(work, row, None)
        for reference in self.references:  # last, as PostgreSQL's triggers run after
            reference.check(work, row, None)
        work.write(ident, row)
        return row

    def _filled(self, values: Row, *, none_is_default: bool) -> Row:
        """*values* with every column: defaults for those left out, the first version.

        An object's insert (*none_is_default*) gets the generator's first version whatever
        it holds, as a ``Session`` writes it; a row dict's version is kept when given.
        """
        row: Row = dict.fromkeys(self.info.columns)
        row.update(values)  # a None left out would be None all the same
        for key, default in self.defaults.items():
            if key not in values or (none_is_default and values[key] is None):
                row[key] = default(row)
        self.info.versions.fill(row, replace=none_is_default)
        return row

    def _check_candidate(self, work: RowStore, values: Row) -> None:
        """Check the row an upsert's INSERT proposes, though it conflicts with a stored one.

        PostgreSQL and SQLite check NOT NULL and ``CHECK`` constraints on the proposed row
        before they look for the conflict, so an upsert that would update a stored row
        still fails on a value its INSERT lacks or breaks. PostgreSQL builds that row's
        generated key first: the sequence moves on though no row is inserted.
        """
        key = None
        if self.autoincrement is not None and values.get(self.autoincrement) is None:
            key = self.key_start + (work.next_id() - 1) * self.key_step
        self._check_not_null(
            [k for k in self._given_not_null if k in values and values[k] is None]
            + [k for k in self._required if k not in values]
        )
        if self.checks:
            row = self._filled(values, none_is_default=False)
            if key is not None and self.autoincrement is not None:
                row[self.autoincrement] = key
            self._normalise(row)

    def _store_update(self, work: RowStore, old: Row, changes: Row, mine: Row | None = None) -> Row:
        row = dict(old)
        row.update(changes)
        for key, onupdate in self.onupdates.items():
            if key not in changes:
                row[key] = onupdate(row)
        self.info.versions.bump(row, old, mine or ())  # mine: set on the object, kept
        row = self._normalise(row)
        own = self.pk(old)
        if self.pk(row) != own:
            raise ValidationError(f"the primary key of {self.info.name} cannot change")
        self._check_unique(work, row, own)
        for reference in self.references:
            reference.check(work, row, old)
        work.write(own, row)
        return row

    def stale(self, work: RowStore, before: Row) -> ConflictError | None:
        """The error for an object whose row is gone or has a newer version, else ``None``."""
        own = self.pk(before)
        stored = work.rows.get(own)
        version = self.info.version
        if stored is None or (version is not None and stored[version] != before[version]):
            return ConflictError(f"stale version: {self.info.name} id={own!r} changed meanwhile")
        return None

    def update(self, work: RowStore, before: Row, state: Row) -> Row:
        """Write an object's changed attributes, its row found current (:meth:`stale`).

        The version is the generator's next one, or the one set on the object (as a
        ``Session`` writes it; with ``version_id_generator=False``, the one it holds).
        """
        changes = {k: v for k, v in state.items() if v != before[k]}
        return self._store_update(work, work.rows[self.pk(before)], changes, changes)

    def upsert(
        self,
        work: RowStore,
        values: Row,
        target: Sequence[str],
        fields: Sequence[str] | None,
    ) -> Row:
        """``INSERT ... ON CONFLICT (target) DO NOTHING/UPDATE``; return the stored row."""
        if self._arrays:  # a tuple finds the list it is stored as
            values = {
                k: as_array(v) if isinstance(v, tuple) and k in self._arrays else v
                for k, v in values.items()
            }
        existing = self.find(work, tuple(target), values)
        if existing is None:
            return self.insert(work, values, none_is_default=False)
        self._check_candidate(work, values)
        self.info.check_family(existing, target)  # another class's row: neither updated nor read
        if fields is None:
            return existing
        return self._store_update(work, existing, {k: values[k] for k in fields})

    @staticmethod
    def after(cursor: list[object], terms: Sequence[OrderTerm]) -> Callable[[Row], bool]:
        """A test of whether a row sorts strictly after the cursor position.

        Seek keys hold no NULLs. The cursor's aware datetimes are read in UTC once here,
        not on each of the bisection's probes.
        """
        bounds = [
            (
                term.key,
                term.descending,
                value.astimezone(dt.UTC)
                if isinstance(value, dt.datetime) and value.tzinfo is not None
                else value,
            )
            for term, value in zip(terms, cursor, strict=True)
        ]

        def test(row: Row) -> bool:
            for key, descending, value in bounds:
                mine: Any = row[key]
                if mine == value:
                    continue
                if mine != mine or value != value:  # noqa: PLR0124 - a NaN, above every number
                    if mine != mine and value != value:  # noqa: PLR0124 - two NaNs tie
                        continue
                    return bool(mine != mine) != descending  # noqa: PLR0124
                return bool(mine < value) if descending else bool(mine > value)
            return False

        return test
