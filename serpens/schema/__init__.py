"""Dataclasses with static type checks at load and JSON helpers.

Mix :class:`Schema` into a ``@dataclass`` to get ``load``/``loads`` (validate and build
from a dict or JSON text) and ``dump``/``dumps`` (JSON-native dict or JSON text)::

    @dataclass
    class Person(Schema):
        name: str
        age: int

    person = Person.load({"name": "Mike", "age": 18})
    person.dump()            # {'name': 'Mike', 'age': 18}
    Person.dump(person)      # the same, the original spelling
    Person.dumps([person], many=True)

Loading checks every field against its annotation without silent coercion (``True`` is
not an ``int``, ``"1"`` is not an ``int``), collects *every* bad field, and raises one
:class:`SchemaValidationError` whose ``errors`` carry paths such as ``items[2].price``;
its message keeps serpens 2.9's wording (``'age' must be of type int``, ``'name' is a
required field``). Unknown keys are ignored. A loader is compiled once per class, on
first use, with a fast path for well-formed input that gives the same results (see
:mod:`serpens.schema._fast`).

Constructing an instance checks types too, as serpens 2.9 did: ``Person("Mike", "18")``
raises ``TypeError("'age' must be of type int")`` (every field annotated with a class is
checked with ``isinstance``). A subclass that defines ``__post_init__`` calls
``super().__post_init__()`` to keep the check.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from typing import Any, Literal, Self, overload

from serpens._json import SchemaEncoder
from serpens._json import dumps as _json_dumps
from serpens.errors import FieldError, ValidationError
from serpens.schema._construct import CHECKS as _CHECKS
from serpens.schema._construct import check_fields as _check_fields
from serpens.schema._dump import COMPILED as _DUMPERS
from serpens.schema._dump import dump_any as _dump_any
from serpens.schema._fast import FAST as _FAST
from serpens.schema._fast import fast_for as _fast_for
from serpens.schema._load import loaders as _loaders
from serpens.schema._numbers import close_table as _close_table
from serpens.schema._numbers import decode as _decode
from serpens.schema._numbers import needs_literals as _needs_literals
from serpens.schema._numbers import open_table as _open_table
from serpens.schema._scalars import Converter, PathPart
from serpens.schema._scalars import Invalid as _Invalid
from serpens.schema._scalars import describe as _describe

__all__ = ["Schema", "SchemaEncoder", "SchemaValidationError"]


_TOO_DEEP = "is nested too deeply"

_USE_FAST_PATH = True
"""Private switch: False loads through the reference loaders only (the differential tests)."""


class SchemaValidationError(ValidationError, TypeError):
    """Input does not match a Schema.

    A :class:`~serpens.errors.ValidationError` (so a ``ValueError``); also a ``TypeError``
    because the original ``Schema.load`` raised ``TypeError`` and services catch that.

    Attributes:
        errors: every invalid field with its path, in input order.

    ``args`` holds one message per invalid field (``("'name' is a required field",
    "'age' is a required field")``), as serpens 2.9's ``TypeError(*messages)`` did, so
    tests comparing ``exc.args`` keep passing; ``str(exc)`` stays one line.
    """

    _text: str | None = None

    def __init__(
        self,
        message: str,
        errors: list[FieldError] | None = None,
        *,
        field_messages: tuple[str, ...] = (),
    ) -> None:
        """Several *field_messages* become ``args`` (2.9's shape); ``str()`` stays *message*."""
        super().__init__(message, errors)
        if len(field_messages) > 1:
            self._text = str(self)
            self.args = field_messages

    def __str__(self) -> str:
        return super().__str__() if self._text is None else self._text

    def __reduce__(self) -> tuple[Any, ...]:
        # args may hold one message per field; rebuild from the one-line text instead
        return (type(self), (str(self),), self.__dict__)


def _wording(error: FieldError) -> str:
    """Word *error* as serpens 2.9 did (``'age' must be of type int``); errors keep detail."""
    if not error.path:
        return error.message
    return f"'{error.path}' {error.message.split(', got ', 1)[0]}"


def _raise(cls: type, exc: _Invalid) -> typing.NoReturn:
    errors: list[FieldError] = exc.field_errors()
    if len(errors) == 1 and errors[0].path:
        failure = SchemaValidationError(_wording(errors[0]))
    else:
        wordings = tuple(_wording(e) for e in errors)
        failure = SchemaValidationError(
            f"invalid {cls.__name__}: " + "; ".join(wordings),
            # 2.9: TypeError(*messages), one per field
            field_messages=wordings if all(e.path for e in errors) else (),
        )
    failure.errors = errors
    raise failure from None


def _load_many(cls: type, fast: Converter | None, data: Any) -> list[Any]:
    """``load(data, many=True)``: every item, each failure under its index."""
    if not isinstance(data, list | tuple):
        _raise(cls, _Invalid.one(f"must be an array, got {_describe(data)}"))
    loader = _loaders[cls]
    out: list[Any] = []
    failures: list[tuple[list[PathPart], str]] = []
    for index, item in enumerate(data):
        if fast is not None:
            try:
                out.append(fast(item))
                continue
            except Exception:  # noqa: BLE001, S110 - the reference loader decides
                pass
        try:
            out.append(loader(item))
        except _Invalid as exc:
            failures.extend(exc.under(index).failures)
        except RecursionError:
            failures.extend(_Invalid.one(_TOO_DEEP).under(index).failures)
    if failures:
        _raise(cls, _Invalid(failures))
    return out


def _parse(cls: type, parse: Callable[[str | bytes], Any], text: str | bytes) -> Any:
    """``parse(text)``, a malformed text raised as :class:`SchemaValidationError`."""
    try:
        return parse(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _raise(cls, _Invalid.one(f"malformed JSON: {exc}"))
    except ValueError:  # an integer past the interpreter's digit limit (4,300 by default)
        _raise(cls, _Invalid.one("malformed JSON: a number has too many digits"))
    except RecursionError:
        _raise(cls, _Invalid.one(_TOO_DEEP))


class Schema:
    """Mix-in for ``@dataclass`` classes: typed ``load``/``loads`` and JSON ``dump``/``dumps``."""

    __slots__ = ()

    def __post_init__(self) -> None:
        """Check every field annotated with a class (``TypeError`` as in serpens 2.9)."""
        check = _CHECKS.get(type(self))
        if check is None:
            _check_fields(self)
        else:
            check(self)

    @overload
    @classmethod
    def load(cls, data: Any, many: Literal[False] = False) -> Self: ...
    @overload
    @classmethod
    def load(cls, data: Any, many: Literal[True]) -> list[Self]: ...
    @classmethod
    def load(cls, data: Any, many: bool = False) -> Self | list[Self]:
        """Validate *data* (a dict, or a list of dicts with ``many=True``) and build instances.

        Raises:
            SchemaValidationError: listing every invalid or missing field with its path.
            TypeError: the class is not a dataclass or has an unsupported annotation.
        """
        try:
            fast = _FAST[cls]
        except KeyError:
            fast = _fast_for(cls)  # builds the reference loader too
        if not _USE_FAST_PATH:
            fast = None
        if many:
            return _load_many(cls, fast, data)
        if fast is not None:
            try:
                return typing.cast("Self", fast(data))
            except Exception:  # noqa: BLE001, S110 - the reference loader decides
                pass
        try:
            return typing.cast("Self", _loaders[cls](data))
        except _Invalid as exc:
            _raise(cls, exc)
        except RecursionError:
            _raise(cls, _Invalid.one(_TOO_DEEP))

    @overload
    @classmethod
    def loads(cls, text: str | bytes, many: Literal[False] = False) -> Self: ...
    @overload
    @classmethod
    def loads(cls, text: str | bytes, many: Literal[True]) -> list[Self]: ...
    @classmethod
    def loads(cls, text: str | bytes, many: bool = False) -> Self | list[Self]:
        """Parse JSON *text* and :meth:`load` it.

        A ``Decimal`` field gets every digit of its JSON number (``Decimal(text)``, as
        ``parse_float=Decimal`` gives); every other field gets what ``json.loads`` gives.

        Raises:
            SchemaValidationError: the text is not JSON, or the data is invalid.
        """
        token = _open_table() if _needs_literals(cls) else None
        try:
            data = _parse(cls, json.loads if token is None else _decode, text)
            if many:
                return cls.load(data, many=True)
            return cls.load(data)
        finally:
            if token is not None:
                _close_table(token)

    def dump(
        instance: Any,  # noqa: N805 - Person.dump(p) too
        many: bool = False,
        decoder: type[json.JSONDecoder] | None = None,
    ) -> Any:
        """Return JSON-native data (``dict``, or a list with ``many=True``); see SchemaEncoder.

        ``p.dump()``, ``Person.dump(p)`` and ``Person.dump(people, many=True)`` all work:
        called on the class, the first argument is the instance (or the list).
        *decoder*, as in serpens 2.9, is a ``json.JSONDecoder`` class that reads the
        dumped JSON back (``decoder=MyDecoder`` with ``parse_float=Decimal`` gives
        ``Decimal`` numbers, as DynamoDB wants).
        """
        if decoder is not None:
            return json.loads(Schema.dumps(instance, many), cls=decoder)
        if many:
            return [_dump_any(item) for item in instance]
        dumper = _DUMPERS.get(type(instance))
        if dumper is not None:
            return dumper(instance)
        return _dump_any(instance)

    def dumps(instance: Any, many: bool = False) -> str:  # noqa: N805 - Person.dumps(p) too
        """Return JSON text for the instance (or a list of instances with ``many=True``)."""
        return _json_dumps(Schema.dump(instance, many))
