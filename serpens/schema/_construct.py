"""Construction-time type checks of a Schema, as serpens 2.9 made them.

``Person("Mike", "18")`` raises ``TypeError("'age' must be of type int")``: every field
annotated with a class is checked with ``isinstance`` when the instance is built. The
checks are compiled once per class from its resolved annotations:

- a class (``int``, ``Decimal``, a nested Schema, any user class): ``isinstance``, except
  that ``bool`` is no ``int``/``float`` and an ``int`` is a valid ``float`` (the rules
  :meth:`Schema.load` applies);
- ``X | None`` / ``Optional[X]`` / ``Union[X, Y]``: ``None`` where allowed, else one of
  the classes; as in serpens 2.9, a field whose default is ``None`` (``note: str =
  None``) admits ``None`` too;
- a parametrised container (``list[int]``, ``dict[str, X]``): its container class only;
- anything else (``Any``, ``Literal``, type variables, ...): not checked.
"""

from __future__ import annotations

import dataclasses
import threading
import types
import typing
from collections.abc import Callable
from typing import Any

from serpens.errors import FieldError

__all__ = ["CHECKS", "check_fields", "field_rules", "fits"]

_Check = tuple[str, tuple[type, ...], bool, str]
"""Field name, accepted classes, whether None is accepted, and the type's name."""

_checks: dict[type, Callable[[Any], None]] = {}
CHECKS: typing.Mapping[type, Callable[[Any], None]] = _checks
"""The checks generated so far, by class (read-only view for a lock-free fast path)."""
_lock = threading.Lock()


def _union(members: tuple[Any, ...]) -> tuple[tuple[type, ...], bool] | None:
    found: list[type] = []
    nullable = False
    for member in members:
        inner = _classes(member)
        if inner is None:
            return None
        found.extend(inner[0])
        nullable = nullable or inner[1]
    return tuple(found), nullable


def _classes(hint: Any) -> tuple[tuple[type, ...], bool] | None:
    """Return the classes *hint* admits and whether it admits None; None: not checkable."""
    if hint is type(None):
        return (), True
    if hint is Any:  # a class on Python 3.11, but not one isinstance accepts
        return None
    if isinstance(hint, type):
        return (hint,), False
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return _classes(typing.get_args(hint)[0])
    if origin is typing.Union or origin is types.UnionType:
        return _union(typing.get_args(hint))
    return ((origin,), False) if isinstance(origin, type) else None


def _name(classes: tuple[type, ...]) -> str:
    return " | ".join(c.__name__ for c in classes)


def _compile(cls: type) -> list[_Check]:
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):  # unresolvable annotations: load reports them
        return []
    checks: list[_Check] = []
    for field in dataclasses.fields(cls):
        admitted = _classes(hints.get(field.name, Any))
        if admitted is None or not admitted[0]:
            continue
        classes, nullable = admitted
        # serpens 2.9: a field whose default is None admits None (``note: str = None``)
        nullable = nullable or field.default is None
        if float in classes and int not in classes:
            classes = (*classes, int)
        checks.append((field.name, classes, nullable, _name(admitted[0])))
    return checks


def fits(value: Any, classes: tuple[type, ...]) -> bool:
    """Whether *value* passes a field's check against its admitted *classes*."""
    if isinstance(value, bool) and bool not in classes:
        return False  # True is no int, as Schema.load rules
    return isinstance(value, classes)


def field_rules(cls: type) -> dict[str, tuple[tuple[type, ...], bool]]:
    """The checked fields of *cls*: name -> (admitted classes, whether None is admitted).

    :mod:`serpens.schema._load` builds instances without ``__init__`` when it can prove
    every value passes these rules, so both must read the same table.
    """
    return {name: (classes, nullable) for name, classes, nullable, _ in _compile(cls)}


def _fail(instance: Any) -> None:
    """Raise for every mistyped field of *instance*, as serpens 2.9 did.

    2.9 raised ``TypeError(*messages)``: one message per mistyped field, in field order,
    so ``args`` lists them all (``("'name' must be of type str", "'age' must be of type
    int")``). Only reached once the generated check saw a failure, so it is never on the
    fast path.
    """
    from serpens.schema import SchemaValidationError  # noqa: PLC0415 - import cycle

    errors = [
        FieldError(name, f"must be of type {type_name}")
        for name, classes, nullable, type_name in _compile(type(instance))
        if not (nullable and getattr(instance, name) is None)
        and not fits(getattr(instance, name), classes)
    ]
    if not errors:  # the value changed since the check (another thread): it fits now
        return
    wordings = tuple(f"'{e.path}' {e.message}" for e in errors)
    if len(wordings) == 1:
        error = SchemaValidationError(wordings[0])
    else:
        text = f"invalid {type(instance).__name__}: " + "; ".join(wordings)
        error = SchemaValidationError(text, field_messages=wordings)
    error.errors = errors
    raise error


def _no_check(instance: Any) -> None:  # noqa: ARG001 - a class with nothing to check
    return None


def _generate(cls: type) -> Callable[[Any], None]:
    """Generate ``check(o)`` for *cls*: per field, an exact-type test before ``isinstance``.

    ``type(v) is C`` (C the first admitted class) settles the common case without a call;
    anything else takes the full rule (:func:`fits`), so the outcome is unchanged.
    """
    checks = _compile(cls)
    if not checks:
        return _no_check
    namespace: dict[str, Any] = {"fits": fits, "fail": _fail}
    lines = ["def check(o):"]
    for index, (name, classes, nullable, _type_name) in enumerate(checks):
        namespace[f"K{index}"] = classes[0]
        namespace[f"C{index}"] = classes
        none = f" and v{index} is not None" if nullable else ""
        lines += [
            f"    v{index} = o.{name}",
            f"    if type(v{index}) is not K{index}{none} and not fits(v{index}, C{index}):",
            "        fail(o)",
        ]
    exec("\n".join(lines), namespace)  # noqa: S102 - source built from dataclass field names
    return typing.cast("Callable[[Any], None]", namespace["check"])


def check_fields(instance: Any) -> None:
    """Raise ``TypeError("'<field>' must be of type <T>", ...)`` naming every mistyped field.

    The error is a :class:`~serpens.schema.SchemaValidationError` (a ``TypeError`` and
    a ``ValidationError``) whose ``errors`` carry the field path.
    """
    cls = type(instance)
    check = _checks.get(cls)
    if check is None:
        with _lock:
            check = _checks.get(cls)
            if check is None:
                check = _checks[cls] = _generate(cls)
    check(instance)
