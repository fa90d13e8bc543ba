"""Dataclass documents stored in DynamoDB (or any :class:`serpens.ports.DocumentStore`).

Subclass :class:`BaseDocument` in a ``@dataclass`` and name the table::

    @dataclass
    class PersonDocument(BaseDocument):
        _table_name_ = "person"
        id: str
        name: str

    PersonDocument(id="1", name="Ana").save()
    PersonDocument.get_by_key({"id": "1"})

Reads convert values back to the field types (DynamoDB returns every number as
``Decimal``; an ``int`` or ``float`` field gets an ``int`` or ``float`` back), so a
document loaded from the table equals the one saved. One exception: a union field that
takes ``str`` keeps a stored string as the ``str`` (``date | str`` saved as a ``date``
reads back as ``"2024-05-17"``), since a value already of one of the options is kept
as it is. A stored value that does not fit its field (another writer's ``"abc"`` or
``1.5`` in an ``int`` field) is a :class:`serpens.errors.ValidationError` naming the
field and the types, never the value.
All documents share one store per process: a :class:`serpens_aws.DynamoDBDocumentStore`
created on first use, or the store given to :func:`set_store` / :func:`use_store` (an
:class:`serpens.fakes.InMemoryDocumentStore` in unit tests). A missing table raises
``serpens_aws.TableNotFoundError``, a :class:`serpens.errors.NotFoundError` that is also
botocore's ``ClientError`` (code ``ResourceNotFoundException``), which serpens 2.9 let
through, so ``except ClientError`` still catches it.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
import types
import typing
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Self

from serpens._extras import aws_not_found
from serpens._slot import Slot
from serpens.errors import ConfigurationError, NotFoundError, ValidationError
from serpens.schema import Schema

if TYPE_CHECKING:
    from serpens.ports import DocumentStore, KeyValue

__all__ = ["BaseDocument", "get_store", "set_store", "use_store"]


def _dynamodb_store() -> DocumentStore:
    from serpens_aws import DynamoDBDocumentStore  # noqa: PLC0415 - needs serpens[aws]

    return DynamoDBDocumentStore()


# one store (and so one boto3 client) per process, not one per document
_store: Slot[DocumentStore] = Slot(_dynamodb_store)


def get_store() -> DocumentStore:
    """Return the process-wide document store, creating the DynamoDB one on first use."""
    return _store.get()


def set_store(store: DocumentStore | None) -> None:
    """Use *store* for every document from now on (``None``: back to DynamoDB on next use)."""
    _store.set(store)


def use_store(store: DocumentStore) -> AbstractContextManager[DocumentStore]:
    """Use *store* inside the ``with`` block, then restore the previous store."""
    return _store.use(store)


@contextmanager
def _missing_table_as_in_29() -> Iterator[None]:
    """A missing table as ``serpens_aws.TableNotFoundError``, also botocore's ``ClientError``.

    serpens 2.9 called boto3's ``Table`` directly, so a missing table was a ``ClientError``
    (``ResourceNotFoundException``) its callers caught; from any store, the in-memory one
    included, it is still one (a plain ``NotFoundError`` without ``serpens[aws]``).
    """
    try:
        yield
    except NotFoundError as exc:  # the port's only NotFoundError: the table is missing
        error = aws_not_found("TableNotFoundError", exc, str(exc))
        if error is exc:
            raise
        raise error from exc


class BaseDocument(Schema):
    """Mix-in for ``@dataclass`` documents kept in the table named by ``_table_name_``.

    A :class:`~serpens.schema.Schema`, as in serpens 2.9: construction checks the field
    types (``TypeError``), and ``load``/``loads``/``dump``/``dumps`` work on documents
    (``PersonDocument.load(request.body).save()``).

    Class attributes:
        _table_name_: the table's name (required).
        _key_: the key attribute names, partition key first then the optional sort key.
            Defaults to the first field. Used by :meth:`delete`.
    """

    _table_name_: ClassVar[str]
    _key_: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _table(cls) -> str:
        name = getattr(cls, "_table_name_", None)
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"{cls.__name__} must set _table_name_ to the table's name")
        if getattr(cls, "__dataclass_fields__", None) is None:
            raise ConfigurationError(f"{cls.__name__} must be decorated with @dataclass")
        return name

    @classmethod
    def _key_names(cls) -> tuple[str, ...]:
        if cls._key_:
            return cls._key_
        return (dataclasses.fields(cls)[0].name,)  # type: ignore[arg-type]

    def to_item(self) -> dict[str, object]:
        """Return the document as a storable item (enums, dates and UUIDs as strings)."""
        self._table()
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_item(cls, item: Mapping[str, object]) -> Self:
        """Build a document from a stored item, converting values to the field types.

        Attributes that are not fields are ignored (other writers may add them); a
        missing field without a default, or a value that does not fit its field's type
        (nested fields and elements included), is a
        :class:`serpens.errors.ValidationError` naming the field.
        """
        table = cls._table()
        hints = _field_types(cls)
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            if not field.init:
                continue
            if field.name in item:
                try:
                    values[field.name] = _load_field(
                        item[field.name], field, hints[field.name], field.name
                    )
                except (TypeError, ValueError) as exc:
                    raise ValidationError(
                        f"{table}: stored {field.name!r} does not fit {cls.__name__}: {exc}"
                    ) from exc
            elif (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                raise ValidationError(
                    f"{table}: stored item has no {field.name!r}, a required field of "
                    f"{cls.__name__}"
                )
        return cls(**values)

    def save(self, *, if_absent: bool = False) -> Self:
        """Store the document, replacing the item with the same key.

        With ``if_absent=True`` an existing item is kept and
        :class:`serpens.errors.ConflictError` is raised instead.
        """
        with _missing_table_as_in_29():
            get_store().put(self._table(), self.to_item(), if_absent=if_absent)
        return self

    def delete(self) -> bool:
        """Delete this document's item; return whether it existed."""
        key = {
            name: typing.cast("KeyValue", _dump(getattr(self, name))) for name in self._key_names()
        }
        with _missing_table_as_in_29():
            return get_store().delete(self._table(), key)

    @classmethod
    def get_by_key(cls, key: Mapping[str, KeyValue]) -> Self | None:
        """Return the document stored under *key* (every key attribute), or ``None``."""
        with _missing_table_as_in_29():
            item = get_store().get(cls._table(), key)
        return None if item is None else cls.from_item(item)

    @classmethod
    def query(
        cls,
        partition: KeyValue,
        *,
        sort_prefix: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[Self]:
        """Return the documents of one partition, ordered by sort key."""
        with _missing_table_as_in_29():
            items = get_store().query(
                cls._table(), partition, sort_prefix=sort_prefix, descending=descending, limit=limit
            )
        return [cls.from_item(item) for item in items]

    @classmethod
    def get_table(cls) -> Any:
        """Return the boto3 ``Table`` resource, an escape hatch for what the store lacks.

        Always DynamoDB (needs ``serpens[aws]``), whichever store :func:`use_store` set.
        """
        return _boto3_table(cls._table())


_resource_lock = threading.Lock()
_resource: Any = None


def _boto3_table(name: str) -> Any:
    global _resource  # noqa: PLW0603 - one boto3 resource per process, not per document
    with _resource_lock:
        if _resource is None:
            from serpens._extras import require  # noqa: PLC0415

            _resource = require("boto3", "aws").resource("dynamodb")
        return _resource.Table(name)


_HINTS: dict[type, dict[str, Any]] = {}


def _field_types(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _dump(value: object) -> object:  # noqa: PLR0911 - one return per stored type
    if isinstance(value, enum.Enum):
        return _dump(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, set | frozenset):
        return {_dump(v) for v in value}
    return value


_CHECKED: tuple[type, ...] = (str, bytes, bool, int, float, Decimal, datetime, date, uuid.UUID)
"""Field types a stored value must be an instance of (after the conversions below)."""


class _MismatchError(TypeError):
    """A stored value's type does not fit its field; names the path and types, not the value."""

    def __init__(self, path: str, hint: Any, value: object) -> None:
        expected = hint if isinstance(hint, str) else _name(hint)
        super().__init__(f"{path} must be {expected}, got {type(value).__name__}")


def _load(value: object, hint: Any, path: str) -> Any:  # noqa: C901, PLR0911 - one branch per type
    """Convert a stored *value* to the type *hint* describes (numbers, containers, ...).

    Raises:
        TypeError: the value's type does not fit *hint* (a ``str`` for an ``int`` field,
            a fraction for an ``int``, a number for a ``str``); the message names *path*
            and the types, never the value.
        ValueError: the value does not parse as the field's type (an enum, a date).
    """
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        return _load_union(value, typing.get_args(hint), path)
    if value is None:
        if hint in _CHECKED:
            raise _MismatchError(path, hint, value)
        return value
    if hint in _NUMBERS:
        return _load_number(value, hint, path)
    if hint in (datetime, date, uuid.UUID) and isinstance(value, str):
        return hint.fromisoformat(value) if hint is not uuid.UUID else uuid.UUID(value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _load_dataclass(value, hint, path)
    if origin in (list, tuple, set, frozenset, dict) or hint is dict:
        return _load_container(value, origin or dict, typing.get_args(hint), path)
    if hint in _CHECKED and not isinstance(value, hint):
        raise _MismatchError(path, hint, value)
    return value


def _load_container(value: object, origin: type, args: tuple[Any, ...], path: str) -> Any:
    """A list, tuple, set or dict field's value, its elements converted to *args*."""
    if origin is dict:
        if not isinstance(value, Mapping):
            raise _MismatchError(path, dict, value)
        if len(args) != 2:  # noqa: PLR2004 - dict[K, V]
            return value
        return {k: _load(v, args[1], f"{path}.{k}") for k, v in value.items()}
    if not isinstance(value, list | set | tuple | frozenset):
        raise _MismatchError(path, origin, value)
    item_hint = args[0] if args else Any
    return origin([_load(v, item_hint, f"{path}[{i}]") for i, v in enumerate(value)])


_NUMBERS = (int, float, Decimal)


def _load_number(value: object, hint: type, path: str) -> int | float | Decimal:
    """An ``int``, ``float`` or ``Decimal`` field's value; DynamoDB reads numbers as Decimal.

    An ``int`` field takes an integral number only (``Decimal("1.5")`` does not fit); a
    boolean or a string fits no number field.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _MismatchError(path, hint, value)
    if hint is float:
        return float(value)
    if hint is Decimal:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        integral = value.is_integer()
    else:
        integral = value.is_finite() and value == value.to_integral_value()
    if not integral:  # a fraction, infinity or NaN
        raise _MismatchError(path, hint, value)
    return int(value)


def _load_union(value: object, args: tuple[Any, ...], path: str) -> Any:
    """A union field's value: kept as it is when already one of the options.

    Otherwise it becomes the first option that takes it (``float | str`` reads a stored
    number as a float); ``None`` fits when the union holds ``None``.
    """
    if value is None and type(None) in args:
        return None
    options = [a for a in args if a is not type(None)]
    if len(options) == 1:
        return _load(value, options[0], path)
    if any(type(value) is option for option in options if option in _CHECKED):
        return value
    for option in options:
        try:
            return _load(value, option, path)
        except (TypeError, ValueError):
            continue
    raise _MismatchError(path, " | ".join(_name(option) for option in options), value)


def _name(hint: Any) -> str:
    """A type's name for a message (``int``, ``list[int]``)."""
    return hint.__name__ if isinstance(hint, type) else str(hint)


def _load_field(value: object, field: dataclasses.Field[Any], hint: Any, path: str) -> Any:
    """A dataclass field's value; ``None`` also fits a field whose default is ``None``."""
    if value is None and field.default is None:
        return None
    return _load(value, hint, path)


def _load_dataclass(value: object, hint: type, path: str) -> Any:
    """A nested dataclass from a stored map, its fields converted like a document's."""
    if not isinstance(value, Mapping):
        raise _MismatchError(path, hint, value)
    nested = _field_types(hint)
    return hint(
        **{
            f.name: _load_field(value[f.name], f, nested[f.name], f"{path}.{f.name}")
            for f in dataclasses.fields(hint)
            if f.init and f.name in value
        }
    )
