"""Row-level rules of the in-memory repository: defaults, keys, uniqueness, versions, order.

Pure functions over row dicts (attribute key -> value), so a whole write can be applied to
a copy of a table and swapped in only when every row passed: writes are all or nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import json
import re
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Protocol

from serpens._rules.repository import ModelInfo, OrderTerm, is_sql_expression, same_nan
from serpens.errors import ConfigurationError, ConflictError, FieldError, ValidationError
from serpens.fakes._repository_index import EqualityIndex, OrderedIndex, OrderKey, Rank

__all__ = [
    "PLAIN_TYPES",
    "RowRules",
    "RowStore",
    "TableRows",
    "copy_value",
]

Row = dict[str, object]
_IMMUTABLE = (str, int, float, bool, type(None), Decimal, dt.date, dt.time, uuid.UUID, bytes)
# The exact types of the common immutable values: on the hot paths a set lookup answers
# before the isinstance checks (which also accept subclasses) are needed.
PLAIN_TYPES = frozenset({str, int, float, bool, type(None), Decimal, uuid.UUID, bytes})
_NOW_NAMES = {"now", "current_timestamp", "localtimestamp", "now()", "current_timestamp()"}


def copy_value(value: object) -> object:
    """*value* itself when immutable, else a deep copy."""
    return value if isinstance(value, _IMMUTABLE) else copy.deepcopy(value)


class TableRows:
    """Committed rows of one table keyed by primary-key tuple, with their indexes.

    Written only by a unit of work's commit (``PendingRows.publish``), which checks every
    row before it writes any: a commit is stored completely or not at all.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[object, ...], Row] = {}
        self.last_id = 0
        self._indexes: dict[tuple[str, ...], dict[tuple[object, ...], tuple[object, ...]]] = {}
        self._ordered: dict[OrderKey, OrderedIndex] = {}
        self._equal: dict[str, EqualityIndex | None] = {}  # None: a value is unhashable

    def index(self, unique: tuple[str, ...]) -> dict[tuple[object, ...], tuple[object, ...]]:
        """Values -> primary key for one unique column set (rows with a NULL are left out)."""
        found = self._indexes.get(unique)
        if found is None:
            found = self._indexes[unique] = {}
            for pk, row in self.rows.items():
                self._link(unique, found, row, pk)
        return found

    def ordered(self, order: OrderKey) -> OrderedIndex:
        """The keys in *order* (a total order: the primary key is its last term)."""
        found = self._ordered.get(order)
        if found is None:
            found = self._ordered[order] = OrderedIndex(self.rows, order)
        return found

    def equal(self, column: str) -> EqualityIndex | None:
        """Values of *column* -> keys; ``None`` when a value cannot be hashed (JSON)."""
        if column in self._equal:
            return self._equal[column]
        try:
            found: EqualityIndex | None = EqualityIndex(self.rows, column)
        except TypeError:
            found = None
        self._equal[column] = found
        return found

    @staticmethod
    def _link(unique: tuple[str, ...], index: dict[Any, Any], row: Row, pk: Any) -> None:
        values = tuple(row[k] for k in unique)
        if None not in values:
            index[values] = pk

    def write(self, pk: tuple[object, ...], row: Row) -> None:
        """Store *row* under *pk*, keeping the indexes current."""
        old = self.rows.get(pk)
        for unique, index in self._indexes.items():
            if old is not None:
                values = tuple(old[k] for k in unique)
                if index.get(values) == pk:  # another row may hold them by now
                    del index[values]
            self._link(unique, index, row, pk)
        if old is not None:
            self._unindex(pk, old)
        self.rows[pk] = row
        self._reindex(pk, row)

    def _unindex(self, pk: tuple[object, ...], old: Row) -> None:
        """Drop *old* from the secondary indexes (it is still stored under *pk*)."""
        for ordered in self._ordered.values():
            ordered.remove(self.rows, pk, old)
        for equal in self._equal.values():
            if equal is not None:
                equal.discard(pk, old)

    def _reindex(self, pk: tuple[object, ...], row: Row) -> None:
        """Add *row*, now stored under *pk*, to the secondary indexes."""
        for ordered in self._ordered.values():
            ordered.insert(self.rows, pk, row)
        for column, equal in self._equal.items():
            if equal is not None:
                try:
                    equal.add(pk, row)
                except TypeError:  # an unhashable value: this column goes unindexed
                    self._equal[column] = None


class RowStore(Protocol):
    """Where :class:`RowRules` writes: committed ``TableRows`` or a unit of work's pending rows."""

    last_id: int

    @property
    def rows(self) -> Any:
        """Stored rows by key (``get``, ``in``, ``[]``)."""
        ...

    def index(self, unique: tuple[str, ...]) -> Any:
        """Values -> key for one unique column set (``get``)."""
        ...

    def write(self, pk: tuple[object, ...], row: Row) -> None:
        """Store *row* under *pk*."""
        ...


def _evaluator(info: ModelInfo, key: str, default: Any, clock: Callable[[], dt.datetime]) -> Any:
    """A zero-argument callable for a column default, or ``None`` when there is none.

    Python-side defaults are called or copied; of server defaults, ``now()`` (by any of
    its SQL names) reads the fake's clock and a literal (``server_default="new"``,
    ``text("0")``, ``sa.true()``) becomes the value the column reads back. Anything else
    is a ``ConfigurationError``: the fake never guesses what a server would compute.
    """
    if default is None:
        return None
    if getattr(default, "is_sequence", False) or getattr(default, "is_identity", False):
        return None  # the autoincrement counter stands in for sequences
    if getattr(default, "is_scalar", False):
        value = default.arg
        return lambda: copy_value(value)
    if getattr(default, "is_callable", False):
        return lambda: default.arg(None)
    arg = getattr(default, "arg", None)
    if isinstance(arg, str):  # server_default="new": the literal itself, SQL-quoted by DDL
        literal: Any = _literal(info, key, arg)
    else:
        sql = str(getattr(arg, "text", None) or getattr(arg, "name", "") or arg).strip()
        if sql.lower() in _NOW_NAMES:
            return clock
        literal = _sql_literal(info, key, sql)
    return lambda: literal


def _sql_literal(info: ModelInfo, key: str, sql: str) -> object:
    """The value of the SQL literal *sql* (``'o''neil'``, ``-1.25``, ``true``) in *key*."""
    if len(sql) >= 2 and sql[0] == sql[-1] == "'":  # noqa: PLR2004 - the two quotes
        return _literal(info, key, sql[1:-1].replace("''", "'"))
    if _SQL_WORD.fullmatch(sql):
        return _literal(info, key, sql)
    raise _cannot_emulate(info, key, sql)


_SQL_WORD = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?|true|false", re.IGNORECASE)
_TRUE = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}


def _literal(info: ModelInfo, key: str, text: str) -> object:
    """The value a column of *key*'s type reads back for the SQL literal *text*."""
    column_type = info.columns[key].column.type
    try:
        python_type = getattr(column_type, "impl_instance", column_type).python_type
        if python_type is bool:
            return _TRUE[text.lower()]
        if python_type in (str, int, float, Decimal):
            return python_type(text)
        if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
            return python_type[text]  # SQLAlchemy's Enum stores member names
    except (KeyError, ValueError, ArithmeticError, NotImplementedError) as exc:
        raise _not_a_value(info, key, text) from exc
    raise _not_a_value(info, key, text)


def _not_a_value(info: ModelInfo, key: str, text: str) -> ConfigurationError:
    return ConfigurationError(
        f"the in-memory repository cannot read the server default {text!r} of "
        f"{info.name}.{key} as a value of its column type"
    )


def _cannot_emulate(info: ModelInfo, key: str, default: object) -> ConfigurationError:
    return ConfigurationError(
        f"the in-memory repository cannot emulate the default of {info.name}.{key} "
        f"({default!r}); use a Python-side default, now() or a literal"
    )


def _as_json(key: str, value: object, null: object) -> object:
    """*value* as a ``JSON`` column reads it back: its JSON text, read again.

    The text is ``json.dumps``'s, as SQLAlchemy writes it, so int keys come back as
    strings and tuples as lists.
    A value with no JSON text (a date, a ``Decimal``, a set) is refused as SQLAlchemy's
    serializer refuses it; so is a NaN or an infinity, which PostgreSQL's ``json`` refuses.
    ``JSON.NULL`` is JSON's ``null``.
    """
    if value is null:
        return None
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValidationError(
            f"bad JSON value for {key}", [FieldError(key, f"not JSON: {exc}")]
        ) from None


def _enum_rank(column_type: Any) -> Rank:
    """Each value of an ``Enum`` column -> its place in the order PostgreSQL gives it.

    A native enum (``CREATE TYPE ... AS ENUM``) sorts in declaration order; a non-native
    one is a ``VARCHAR`` of the stored strings (member names, or what ``values_callable``
    gives), sorted as text. Either way not as the members compare: a plain ``Enum``'s do
    not, a ``StrEnum``'s compare by value. SQLite stores every enum as text and sorts a
    native one by its strings too.
    """
    stored: list[str] = list(column_type.enums)
    enum_class = column_type.enum_class
    values: list[object] = (
        list(stored) if enum_class is None else list(enum_class.__members__.values())
    )
    places: list[int]
    if column_type.native_enum:
        places = list(range(len(stored)))
    else:
        by_text = sorted(range(len(stored)), key=stored.__getitem__)
        places = [by_text.index(i) for i in range(len(stored))]
    return dict(zip(values, places, strict=True)).__getitem__


class RowRules:
    """How one model's rows are inserted, updated and compared."""

    def __init__(self, info: ModelInfo, clock: Callable[[], dt.datetime]) -> None:
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
        self.autoincrement = next((k for k, c in info.columns.items() if c.autoincrement), None)
        self._aware = frozenset(k for k, c in info.columns.items() if c.aware_datetime)
        self._choices = tuple((k, c.choices) for k, c in info.columns.items() if c.choices)
        self.ranks: dict[str, Rank] = {
            k: _enum_rank(c.column.type) for k, c in info.columns.items() if c.choices
        }
        """How each ``Enum`` column's values sort (see :func:`_enum_rank`)."""
        self._decimals = tuple(c for c in info.columns.values() if c.decimal)
        self._floats = tuple(k for k, c in info.columns.items() if c.floating)
        self._json = tuple((k, c.column.type.NULL) for k, c in info.columns.items() if c.json)
        self._json_keys = frozenset(k for k, _ in self._json)
        self._naive_times = tuple(k for k, c in info.columns.items() if c.naive_time)
        self._binaries = tuple(k for k, c in info.columns.items() if c.binary)
        self._not_null = tuple(k for k, c in info.columns.items() if not c.nullable)
        self.mutable_values = False
        """Whether a mutable value (a list, a dict) was ever stored: until then, loading
        shares every stored value with the objects it builds instead of copying."""

    def pk(self, row: Row) -> tuple[object, ...]:
        """The primary-key tuple of *row*."""
        keys = self.info.pk
        return (row[keys[0]],) if len(keys) == 1 else tuple(row[k] for k in keys)

    def _normalise(self, row: Row) -> Row:
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
                self.mutable_values = True
                if key not in self._json_keys:  # a JSON value is a new object already
                    row[key] = copy_value(value)
        self._as_read_back(row)
        missing = [k for k in self._not_null if row.get(k) is None]
        if missing:
            raise ValidationError(
                f"{self.info.name} needs a value for every NOT NULL column",
                [FieldError(k, "must not be null") for k in missing],
            )
        return row

    def _as_stored(self, row: Row) -> None:
        """Store what a SQL column keeps of a value.

        ``JSON`` its JSON text (see :func:`_as_json`), a binary column ``bytes``, a ``Time``
        column no ``tzinfo``.
        """
        for key, null in self._json:
            value = row.get(key)
            if value is not None:
                row[key] = _as_json(key, value, null)
        for key in self._binaries:  # a bytearray or a memoryview: bytes, as drivers read
            value = row.get(key)
            if value is not None and type(value) is not bytes:
                row[key] = bytes(value)  # type: ignore[call-overload]
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
        for column in self._decimals:  # a Decimal, at the column's scale
            value = row.get(column.key)
            if type(value) is int or type(value) is Decimal:
                row[column.key] = same_nan(column.stored_number(value))
            elif type(value) is float:
                row[column.key] = same_nan(value)
        for key in self._floats:  # a float, as double precision reads back (the rules
            value = row.get(key)  # refused a number no double holds)
            if type(value) is int or type(value) is Decimal:
                row[key] = same_nan(float(value))
            elif type(value) is float:
                row[key] = same_nan(value)  # one NaN object: equal to itself, as PostgreSQL's

    def _check_unique(self, work: RowStore, row: Row, own: tuple[object, ...] | None) -> None:
        for unique in self.info.unique_sets[1:]:
            values = tuple(row[k] for k in unique)
            if None in values:
                continue  # NULLs never conflict, as in SQL
            holder = work.index(unique).get(values)
            if holder is not None and holder != own:
                raise ConflictError(
                    f"duplicate key: {self.info.name} ({', '.join(unique)})={values!r} exists"
                )

    def find(self, work: RowStore, target: tuple[str, ...], values: Row) -> Row | None:
        """The stored row whose *target* columns equal those of *values*, if any."""
        wanted = tuple(values[k] for k in target)
        if target == self.info.pk:
            found: Row | None = work.rows.get(wanted)
            return found
        pk = work.index(target).get(wanted)
        return None if pk is None else work.rows[pk]

    def insert(self, work: RowStore, values: Row, *, none_is_default: bool) -> Row:
        """Build the full row for *values*, check it and store it in *work*."""
        row: Row = dict.fromkeys(self.info.columns)
        row.update(values)  # a None left out would be None all the same
        for key, default in self.defaults.items():
            if key not in values or (none_is_default and values[key] is None):
                row[key] = default()
        if self.info.version is not None and row[self.info.version] is None:
            row[self.info.version] = 1
        if self.autoincrement is not None and row[self.autoincrement] is None:
            # PostgreSQL's sequence: explicit keys do not advance it, so a generated key
            # may collide with one (ConflictError below); a failed insert still uses it up
            work.last_id += 1
            row[self.autoincrement] = work.last_id
        row = self._normalise(row)
        ident = self.pk(row)
        if ident in work.rows:
            raise ConflictError(f"duplicate key: {self.info.name} id={ident!r} exists")
        self._check_unique(work, row, None)
        work.write(ident, row)
        return row

    def _store_update(self, work: RowStore, old: Row, changes: Row) -> Row:
        row = dict(old)
        row.update(changes)
        for key, onupdate in self.onupdates.items():
            if key not in changes:
                row[key] = onupdate()
        if self.info.version is not None:
            row[self.info.version] = int(old[self.info.version]) + 1  # type: ignore[call-overload]
        row = self._normalise(row)
        own = self.pk(old)
        if self.pk(row) != own:
            raise ValidationError(f"the primary key of {self.info.name} cannot change")
        self._check_unique(work, row, own)
        work.write(own, row)
        return row

    def update(self, work: RowStore, before: Row, state: Row) -> Row:
        """Write an object's changed attributes, checking its version is still current."""
        own = self.pk(before)
        stored = work.rows.get(own)
        version = self.info.version
        if stored is None or (version is not None and stored[version] != before[version]):
            raise ConflictError(f"stale version: {self.info.name} id={own!r} changed meanwhile")
        changes = {k: v for k, v in state.items() if v != before[k] and k != version}
        return self._store_update(work, stored, changes)

    def upsert(
        self,
        work: RowStore,
        values: Row,
        target: Sequence[str],
        fields: Sequence[str] | None,
    ) -> Row:
        """``INSERT ... ON CONFLICT (target) DO NOTHING/UPDATE``; return the stored row."""
        existing = self.find(work, tuple(target), values)
        if existing is None:
            return self.insert(work, values, none_is_default=False)
        if fields is None:
            return existing
        return self._store_update(work, existing, {k: values[k] for k in fields})

    def after(self, row: Row, cursor: list[object], terms: Sequence[OrderTerm]) -> bool:
        """Whether *row* sorts strictly after the cursor position (no NULLs in seek keys)."""
        for term, raw in zip(terms, cursor, strict=True):
            mine: Any = row[term.key]
            value: Any = raw
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = value.astimezone(dt.UTC)
            if mine == value:
                continue
            if mine != mine or value != value:  # noqa: PLR0124 - a NaN, above every number
                if mine != mine and value != value:  # noqa: PLR0124 - two NaNs tie
                    continue
                return bool(mine != mine) != term.descending  # noqa: PLR0124
            return bool(mine < value) if term.descending else bool(mine > value)
        return False
