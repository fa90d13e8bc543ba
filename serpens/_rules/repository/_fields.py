"""A mapped class read once, and the checks of its field names and values.

:class:`ModelFields` reads the mapper (columns, primary key, unique sets, version
column, the value types each column takes unchecked) and validates names, rows, equality
filters and primary keys against it. It is the base of the other parts of
:class:`~._model.ModelInfo` (ordering, writes, pages), which read what it stores.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from typing import Any

from serpens._rules.repository._column_types import (
    _accepted_types,
    _choices,
    _decimal,
    _digits,
    _floating,
    _int_range,
    _length,
    _text,
)
from serpens._rules.repository._columns import ColumnInfo, _plain_types, _written_as_is
from serpens._rules.repository._terms import OrderTerm, RawOrder
from serpens._rules.repository._values import (
    _EXACT_NUMBERS,
    _JSON_COMPARED,
    _NAN_TYPES,
    _as_decimal,
    _bad,
    _storable_text,
    as_array,
    is_sql_expression,
    same_nan,
)
from serpens._rules.repository._versions import VersionRule
from serpens.errors import ConfigurationError, FieldError, NotFoundError, ValidationError


class ModelFields:
    """The columns, keys and unique sets of one mapped class, and its field checks."""

    def __init__(self, model: type[Any]) -> None:
        import sqlalchemy as sa  # noqa: PLC0415 - keep serpens importable without the SDK

        try:
            mapper = sa.inspect(model)
        except sa.exc.NoInspectionAvailable as exc:
            raise ValidationError(f"{model!r} is not a SQLAlchemy-mapped class") from exc
        self.model = model
        self.name = model.__name__
        self.mapper = mapper
        self.table = mapper.local_table
        self.columns: dict[str, ColumnInfo] = {}
        self._key_of: dict[Any, str] = {}
        self.expressions: dict[str, Any] = {}
        """The attributes a SQL expression computes on each read (``column_property(a * 2)``,
        ``query_expression()``): never written, and no column of the table."""
        self._map_columns(mapper)
        if any(c not in self._key_of for c in mapper.primary_key):
            # joined-table inheritance: the key's attribute maps a column of each table
            raise ConfigurationError(
                f"{self.name} maps its primary key over several tables (joined-table "
                "inheritance), which serpens' repositories do not support: map each table on a "
                "class of its own, or use single-table inheritance"
            )
        self.pk: tuple[str, ...] = tuple(self._key_of[c] for c in mapper.primary_key)
        uniques: list[tuple[str, ...]] = [self.pk]
        uniques.extend(  # on mapped columns: one no attribute maps is never written here
            tuple(self._key_of[c] for c in constraint.columns)
            for constraint in self.table.constraints
            if isinstance(constraint, sa.UniqueConstraint)
            and all(c in self._key_of for c in constraint.columns)
        )
        unique_indexes = [i for i in self.table.indexes if i.unique]
        uniques.extend(
            tuple(self._key_of[c] for c in index.columns)
            for index in unique_indexes
            if _on_columns(index) and all(c in self._key_of for c in index.columns)
        )
        self.computed_unique_indexes: tuple[Any, ...] = tuple(
            i for i in unique_indexes if not _on_columns(i)
        )
        """Partial (``WHERE``) and expression unique indexes: no conflict target (an ``ON
        CONFLICT`` naming their columns fails on PostgreSQL and SQLite), enforced by the
        database, and by the fake through :mod:`serpens.fakes._repository_computed`."""
        uniques.extend(
            (self._key_of[col],) for col in self.table.columns if col.unique and col in self._key_of
        )
        self.check_constraints: tuple[Any, ...] = _checks(self.table)
        self.foreign_keys: tuple[Any, ...] = tuple(
            sorted(
                (c for c in self.table.foreign_key_constraints if c.initially != "DEFERRED"),
                key=operator.attrgetter("_creation_order"),
            )
        )
        """The table's foreign keys checked at each write (not those checked at commit):
        enforced by the database, and by the fake (:mod:`serpens.fakes._repository_references`)."""
        """The table's ``CHECK`` constraints, its columns' included: enforced by the
        database, and by the fake through :mod:`serpens.fakes._repository_computed`."""
        self.unique_sets: tuple[tuple[str, ...], ...] = tuple(dict.fromkeys(uniques))
        self.bounded: tuple[ColumnInfo, ...] = tuple(
            c
            for c in self.columns.values()
            if c.text or c.length or c.digits or c.int_range or c.floating or c.item
        )
        """The columns whose stored values have a limit: a string length, a number's size."""
        self._ranged: tuple[tuple[str, int, ColumnInfo], ...] = tuple(
            (c.key, c.int_range, c) for c in self.columns.values() if c.int_range
        )
        """The integer columns, each with its bound, for :meth:`check_row`."""
        self._int_bounds: dict[str, int] = {key: bound for key, bound, _ in self._ranged}
        """The same bounds by column, for :meth:`filters`."""
        self._written: tuple[tuple[ColumnInfo, frozenset[type], int | None], ...] = tuple(
            (c, *_written_as_is(c))
            for c in self.columns.values()
            if c.accepts or c.length or c.digits or c.int_range or c.text
        )
        """The columns :meth:`check_row` checks, each with the value types it stores unchecked
        and the length an exact ``str`` may have unchecked."""
        self._targets: dict[tuple[str, ...], tuple[str, ...]] = {}  # conflict_on -> unique set
        self._within: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}  # see unique_within
        self._plain: dict[str, frozenset[type]] = {
            c.key: _plain_types(c) for c in self.columns.values()
        }
        """Per column, the exact value types :meth:`ColumnInfo.check_value` accepts as they
        are (``None`` included): a filter or key of one of them needs no further check."""
        self._json_nulls = frozenset(  # JSON columns where None writes JSON's null
            c.key for c in self.columns.values() if c.json and not c.column.type.none_as_null
        )
        self._plain_filters: dict[str, frozenset[type]] = {
            c.key: self._plain[c.key] - {float} if c.decimal else self._plain[c.key]
            for c in self.columns.values()
        }
        """:attr:`_plain` for filters: a float for a ``Numeric`` column is mapped first."""
        self._pk_plain = self._plain[self.pk[0]] if len(self.pk) == 1 else frozenset()
        self._pk_range = self.columns[self.pk[0]].int_range if len(self.pk) == 1 else None
        self._orders: dict[str | None, tuple[OrderTerm | RawOrder, ...]] = {}  # order_by -> terms
        self._seeks: dict[str | None, tuple[OrderTerm, ...]] = {}  # order_by -> seek terms
        # the version column, and how it is filled and bumped (``version_id_generator``)
        self.versions = VersionRule(mapper, self._key_of.get(mapper.version_id_col), self.name)
        self.version: str | None = self.versions.key

    # -- names ---------------------------------------------------------------------------
    def key_of(self, column: Any) -> str | None:
        """Return the attribute key mapped to *column*, or ``None``."""
        return self._key_of.get(column)

    def _map_columns(self, mapper: Any) -> None:
        """Fill :attr:`columns` (and the column-to-key map) from *mapper*'s column attributes."""
        import sqlalchemy as sa  # noqa: PLC0415 - only a mapped class gets here

        for prop in mapper.column_attrs:
            if len(prop.columns) != 1:  # pragma: no cover - multi-column properties are rare
                continue
            col = prop.columns[0]
            if not isinstance(col, sa.Column):  # a SQL expression, computed on each read
                self.expressions[prop.key] = col
                continue
            self.columns[prop.key] = _column_info(
                prop.key, col, autoincrement=col is self.table.autoincrement_column
            )
            self._key_of[col] = prop.key

    def check_fields(self, names: Iterable[str], what: str) -> None:
        """Raise ``ValidationError`` naming every name in *names* that is not a column."""
        unknown = [n for n in names if n not in self.columns]
        if unknown:
            raise ValidationError(
                f"unknown {what} for {self.name}",
                [FieldError(n, f"not a column of {self.name}") for n in unknown],
            )

    def check_row(self, values: Mapping[str, object], prefix: str = "") -> None:
        """Raise ``ValidationError`` (path ``prefix + key``) for a value its column cannot store.

        What :meth:`batch` checks for the bulk writes, for one object's writes (``add``, a
        flush): a value of another type (``price="12"``: psycopg2 lets the server cast it,
        asyncpg raises, SQLite stores the string, the fake would keep it), a naive datetime
        in a timezone-aware column, a string over its limit. A SQL expression assigned to an
        attribute passes: only a SQL backend evaluates it.
        """
        for column, as_is, bound in self._written:
            value = values.get(column.key)
            kind = type(value)
            if value is None or kind in as_is:
                continue
            if (  # a str within its bound: ASCII without NUL needs no call to prove it storable
                type(value) is str
                and bound
                and len(value) <= bound
                and ((value.isascii() and "\x00" not in value) or _storable_text(value))
            ):
                continue
            if is_sql_expression(value):
                continue
            path = prefix + column.key
            column.check_value(value, path)
            column.check_length(value, path)
            column.check_number(value, path)
        for key, bound, column in self._ranged:  # an int is stored as is once in range
            value = values.get(key)
            if type(value) is int and not -bound <= value < bound:
                column.check_number(value, prefix + key)

    def _as_given(self, filters: Mapping[str, object]) -> bool:
        """Whether every filter names a column with a value it compares as given.

        One loop over the filters (a ``get_by`` names one or two columns): a known column,
        a value of a type it stores as is, a storable string, an integer in range, no NaN
        (those are mapped to one shared NaN).
        """
        plain, bounds = self._plain_filters, self._int_bounds
        for key, value in filters.items():
            kind = type(value)
            if kind not in plain.get(key, ()):
                return False
            if kind is str:
                if not _storable_text(value):  # type: ignore[arg-type]
                    return False
            elif kind is int:
                bound = bounds.get(key)
                if bound is not None and not -bound <= value < bound:  # type: ignore[operator]
                    return False
            elif kind in _NAN_TYPES and same_nan(value) is not value:
                return False
        return True

    def filters(
        self, filters: Mapping[str, object], *, json_null: bool = True
    ) -> dict[str, object]:
        """Validate equality filters (``None`` means IS NULL) and return them as a dict.

        Without *json_null* (the in-memory fake, which stores JSON's ``null`` and SQL NULL
        alike), ``None`` for a ``JSON`` column that writes ``None`` as JSON's ``null`` is
        refused: ``IS NULL`` finds only the SQL NULLs there, which the fake cannot tell.

        An ``Enum`` column's value comes back as what it stands for (``"RED"`` as
        ``Color.RED``), and a number as the column's kind: a ``Decimal`` of a float's
        shortest text for a ``Numeric`` column (``1.1`` is ``Decimal("1.1")``, as psycopg2
        sends it; asyncpg sent its binary value, which no stored number equals), a float
        for a ``Float`` column (``Decimal("0.1")`` is the double ``0.1`` there, as on
        PostgreSQL). So every backend compares the same thing.
        """
        if not json_null and self._json_nulls:
            self._refuse_json_null(filters)
        if self._as_given(filters):
            return dict(filters)  # known columns, values of their own types: nothing to map
        self.check_fields(filters, "filter")
        out = dict(filters)
        for key, value in filters.items():
            column = self.columns[key]
            if column.json and value is not None:
                raise _bad(f"bad filter for {self.name}", key, _JSON_COMPARED)
            column.check_value(value, key)
            if column.array and isinstance(value, tuple):
                out[key] = as_array(value)
                continue  # compared as stored: a list
            if value is None:
                continue
            if column.choices is not None:
                out[key] = column.choices[value]
            elif column.decimal and type(value) is float:
                out[key] = _as_decimal(value)
            elif column.floating and type(value) in _EXACT_NUMBERS:
                out[key] = float(value)  # type: ignore[arg-type]
            out[key] = same_nan(out[key])
        return out

    def _refuse_json_null(self, filters: Mapping[str, object]) -> None:
        for key in self._json_nulls:
            if key in filters and filters[key] is None:
                raise _bad(
                    f"the in-memory repository of {self.name} cannot filter {key} on None",
                    key,
                    "None writes JSON's null there, which SQL's IS NULL does not find; the "
                    "fake stores both as None: declare the column JSON(none_as_null=True)",
                )

    def ident(self, ident: object) -> tuple[object, ...]:
        """Return the primary-key tuple for *ident* (a scalar, or a tuple for composite keys)."""
        kind = type(ident)
        if kind in self._pk_plain:  # one key column, a value of its own type
            bound = self._pk_range
            in_range = bound is None or kind is not int or -bound <= ident < bound  # type: ignore[operator]
            if in_range and (kind is not str or _storable_text(ident)):  # type: ignore[arg-type]
                return (ident,)
        values = tuple(ident) if isinstance(ident, tuple | list) else (ident,)
        if len(values) != len(self.pk):
            raise _bad(f"bad primary key for {self.name}", "ident", f"expected {self.pk}")
        for key, value in zip(self.pk, values, strict=True):
            self.columns[key].check_value(value, "ident")
        return values

    def not_found(self, ident: object) -> NotFoundError:
        """The documented ``"<Model> id=<repr>"`` error."""
        return NotFoundError(f"{self.name} id={ident!r}")


def _column_info(key: str, col: Any, *, autoincrement: bool = False) -> ColumnInfo:
    """What the rules know of one column: its type's limits, and an array's element type."""
    import sqlalchemy as sa  # noqa: PLC0415 - only a mapped class gets here

    impl = getattr(col.type, "impl", col.type)
    item = None
    if isinstance(impl, sa.ARRAY):  # each element checked as a value of a column of its type
        item = _column_info(key, sa.Column(key, impl.item_type))
    return ColumnInfo(
        key=key,
        column=col,
        nullable=bool(col.nullable),
        primary_key=bool(col.primary_key),
        autoincrement=autoincrement,
        default=col.default,
        onupdate=col.onupdate,
        server_default=col.server_default,
        aware_datetime=isinstance(impl, sa.DateTime) and bool(impl.timezone),
        accepts=_accepted_types(col.type),
        length=_length(col.type),
        choices=_choices(col.type),
        digits=_digits(col.type),
        decimal=_decimal(col.type),
        floating=_floating(col.type),
        int_range=_int_range(col.type),
        text=_text(col.type),
        json=isinstance(impl, sa.JSON),
        array=item is not None,
        naive_datetime=isinstance(col.type, sa.DateTime) and not col.type.timezone,
        naive_time=isinstance(col.type, sa.Time) and not col.type.timezone,
        binary=isinstance(col.type, sa.LargeBinary | sa.BINARY | sa.VARBINARY),
        uuid_text=isinstance(col.type, sa.Uuid) and not col.type.as_uuid,
        item=item,
    )


def _checks(table: Any) -> tuple[Any, ...]:
    """*table*'s ``CHECK`` constraints as PostgreSQL and SQLite hold them.

    Left out: those a type creates (``Enum``/``Boolean`` with ``create_constraint=True``:
    the column's type check refuses those values already) and those declared for other
    databases only (``.ddl_if(dialect="postgresql")``: SQL that SQLite, and so the fake,
    cannot run).
    """
    import sqlalchemy as sa  # noqa: PLC0415 - only a mapped class gets here

    declared = [*table.constraints, *(c for col in table.columns for c in col.constraints)]
    checks = [
        c
        for c in declared
        if isinstance(c, sa.CheckConstraint) and not c._type_bound and _for_sqlite(c._ddl_if)  # noqa: SLF001
    ]
    return tuple(sorted(checks, key=operator.attrgetter("_creation_order")))  # as declared


def _for_sqlite(ddl_if: Any) -> bool:
    """Whether a constraint's ``ddl_if`` lets SQLite create it (no dialect named, or it)."""
    dialect = None if ddl_if is None else ddl_if.dialect
    if dialect is None:
        return True
    return "sqlite" in ((dialect,) if isinstance(dialect, str) else dialect)


def _on_columns(index: Any) -> bool:
    """Whether *index* is on bare columns of every row: no expression, no ``WHERE``."""
    import sqlalchemy as sa  # noqa: PLC0415

    options = index.dialect_options
    partial = options["postgresql"]["where"] is not None or options["sqlite"]["where"] is not None
    return not partial and all(isinstance(e, sa.Column | str) for e in index.expressions)
