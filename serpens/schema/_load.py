"""Per-class loaders for :meth:`Schema.load`, generated once from the field annotations.

Each class gets one generated function (as attrs and dataclasses generate ``__init__``):
one unrolled block per field, a type-identity fast path for ``str``/``int``/``bool``
fields (optional or not), and a compiled converter for everything else. Failures are
collected across every field before raising one :class:`Invalid`.

These are the reference loaders: :meth:`Schema.load` tries the fast function of
:mod:`serpens.schema._fast` first and runs them when it declines, so their results and
errors are the ones users see.
"""

from __future__ import annotations

import dataclasses
import threading
import types
import typing
from collections.abc import Mapping
from typing import Any

from serpens.errors import ValidationError
from serpens.schema._convert import converter_for
from serpens.schema._scalars import Converter, Invalid, describe

__all__ = ["build", "loader_for", "loaders"]

loaders: dict[type, Converter] = {}
_building: set[type] = set()
_lock = threading.RLock()  # re-entered when a class's loader builds its nested classes

# Exact types whose converter is the identity: a `type(v) is K` check replaces the call.
_FAST = (str, int, bool)


def _fast_kind(hint: Any) -> tuple[type | None, bool]:
    if hint in _FAST:
        return hint, False
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1 and members[0] in _FAST:
            return members[0], True
    return None, False


def _post_init_failure(exc: ValueError) -> Invalid:
    """A ``ValueError``/``ValidationError`` from the class's own ``__post_init__``."""
    if isinstance(exc, ValidationError) and exc.errors:
        return Invalid([([e.path] if e.path else [], e.message) for e in exc.errors])
    return Invalid.one(str(exc))


def _field_block(index: int, name: str, required: bool, kind: type | None, nullable: bool) -> str:
    key = repr(name)
    missing = (
        f"        failures.append(([{key}], 'is a required field'))" if required else "        pass"
    )
    convert = [
        "        try:",
        f"            kw[{key}] = C{index}(v)",
        "        except Invalid as exc:",
        f"            failures.extend(exc.under({key}).failures)",
    ]
    if kind is not None:
        check = f"type(v) is K{index}" + (" or v is None" if nullable else "")
        convert = [f"        if {check}:", f"            kw[{key}] = v", "        else:"] + [
            "    " + line for line in convert
        ]
    head = ["    try:", f"        v = data[{key}]", "    except KeyError:", missing, "    else:"]
    return "\n".join([*head, *convert])


def _generate(cls: type) -> Converter:
    if "__dataclass_fields__" not in cls.__dict__:
        raise TypeError(f"{cls.__qualname__} must be decorated with @dataclass to be loaded")
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except NameError as exc:
        raise TypeError(f"cannot resolve the annotations of {cls.__qualname__}: {exc}") from exc
    namespace: dict[str, Any] = {
        "cls": cls,
        "Invalid": Invalid,
        "Mapping": Mapping,
        "describe": describe,
        "post_init_failure": _post_init_failure,
    }
    blocks = []
    for index, field in enumerate(f for f in dataclasses.fields(cls) if f.init):
        hint = hints[field.name]
        if field.default is None:  # serpens 2.9: `note: str = None` admits None
            hint = typing.Optional[hint]  # noqa: UP045 - hint is a runtime object
        try:
            namespace[f"C{index}"] = converter_for(hint, loader_for)
        except TypeError as exc:
            raise TypeError(f"{cls.__qualname__}.{field.name}: {exc}") from None
        kind, nullable = _fast_kind(hint)
        namespace[f"K{index}"] = kind
        required = (
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        )
        blocks.append(_field_block(index, field.name, required, kind, nullable))
    source = "\n".join(
        [
            "def load(data):",
            "    if type(data) is not dict:",
            "        if isinstance(data, cls):",
            "            return data",
            "        if not isinstance(data, Mapping):",
            "            raise Invalid.one(f'must be an object, got {describe(data)}')",
            "    kw = {}",
            "    failures = []",
            *blocks,
            "    if failures:",
            "        raise Invalid(failures)",
            "    try:",
            "        return cls(**kw)",
            "    except ValueError as exc:",
            "        raise post_init_failure(exc) from None",
        ]
    )
    exec(source, namespace)  # noqa: S102 - source built from dataclass field names only
    return typing.cast("Converter", namespace["load"])


def build(cls: type) -> Converter:
    """Return *cls*'s loader, generating it on first use (thread-safe)."""
    loader = loaders.get(cls)
    if loader is None:
        with _lock:
            loader = loaders.get(cls)
            if loader is None:
                _building.add(cls)
                try:
                    loader = loaders[cls] = _generate(cls)
                finally:
                    _building.discard(cls)
    return loader


def loader_for(cls: type) -> Converter:
    """Return the loader for a nested dataclass, built now unless it is being built.

    A class already being built (``children: list[Node]`` inside ``Node``) gets a stand-in
    that fetches the real loader on its first call, so self-references do not recurse.
    """
    loader = loaders.get(cls)
    if loader is not None:
        return loader
    if cls not in _building:
        return build(cls)
    cell: list[Converter] = []

    def lazy(data: Any) -> Any:
        if not cell:
            cell.append(build(cls))
        return cell[0](data)

    return lazy
