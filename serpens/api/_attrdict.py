"""The mappings :class:`~serpens.api.Request` hands out: ``AttrDict`` and ``Headers``.

Plain ``dict`` subclasses whose keys are also attributes (``request.path.user_id``), the
case-insensitive ``Headers``, and ``MissingKeyError``, what both raise for a missing key.
They hold no request logic, so they live apart from the event parsing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

__all__ = ["AttrDict", "Headers", "MissingKeyError"]


def _wrap(value: Any) -> Any:
    if type(value) is dict:
        return AttrDict(value)
    if type(value) is list:
        return [_wrap(v) for v in value]
    return value


class MissingKeyError(KeyError, AttributeError):
    """A key an :class:`AttrDict` does not hold, read as ``d["x"]`` or ``d.x``.

    Both a ``KeyError`` (dict-style ``except KeyError``) and an ``AttributeError``: serpens
    2.9's ``AttrDict`` was a plain object, so ``except AttributeError``,
    ``getattr(d, "x", None)`` and ``hasattr`` must keep working whichever way it is read.
    """


class AttrDict(dict[str, Any]):
    """A ``dict`` whose keys are also attributes: ``request.path.user_id``.

    Nested dicts (also inside lists) are ``AttrDict`` too. A missing key, read as
    ``d["x"]`` or ``d.x``, raises :class:`MissingKeyError`, both a ``KeyError`` and an
    ``AttributeError``, so ``getattr(d, "x", None)`` and ``hasattr`` work. Setting or
    deleting an attribute sets or deletes the item, and ``vars(d)`` is a plain ``dict``
    copy of the items, as with serpens 2.9's plain-object ``AttrDict``. Keys that collide
    with ``dict`` methods (``get``, ``items``, ...) are reachable by item access only.
    """

    # No instance __dict__: every attribute is an item, and building one per request
    # stays as cheap as building the dict.
    __slots__ = ()

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        if not data:
            super().__init__()
            return
        super().__init__(data)
        for key, value in data.items():
            if type(value) is dict or type(value) is list:
                dict.__setitem__(self, key, _wrap(value))

    def __missing__(self, key: str) -> Any:
        # Called by dict's own __getitem__ on a miss only: a hit stays a C lookup.
        raise MissingKeyError(key)

    def __getattr__(self, name: str) -> Any:
        return self[name]

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __delitem__(self, key: str) -> None:
        try:
            dict.__delitem__(self, key)
        except KeyError:
            raise MissingKeyError(key) from None

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        """A plain ``dict`` copy of the items: ``vars(request.query)`` as in serpens 2.9."""
        return dict(self)


class Headers(AttrDict):
    """Case-insensitive header mapping; keys are stored lower-cased.

    ``headers["Content-Type"]``, ``headers.get("content-type")`` and
    ``headers.content_type`` (underscores stand for hyphens) all find the same header;
    every write (``headers["X-Trace"] = "1"``, ``update``, ``setdefault``, ``pop``, ``del``,
    ``headers.x_trace = "1"``) lower-cases the name too.
    """

    __slots__ = ()

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        super().__init__({k.lower(): v for k, v in data.items()} if data else None)

    def __getitem__(self, name: str) -> Any:
        return dict.__getitem__(self, name.lower())

    def __setitem__(self, name: str, value: Any) -> None:
        dict.__setitem__(self, name.lower(), value)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and dict.__contains__(self, name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        """Return the header *name* (any case) or *default*."""
        return dict.get(self, name.lower(), default)

    def pop(self, name: str, /, *default: Any) -> Any:
        """Remove the header *name* (any case) and return its value (or *default*)."""
        return dict.pop(self, name.lower(), *default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        """Return the header *name* (any case), first setting it to *default* if absent."""
        return dict.setdefault(self, name.lower(), default)

    def update(self, other: Any = (), /, **more: Any) -> None:
        """Set every header of *other* (a mapping or ``(name, value)`` pairs) and *more*."""
        # dict.update's rule: an object with keys() is a mapping, anything else pairs.
        pairs = ((k, other[k]) for k in other.keys()) if hasattr(other, "keys") else other  # noqa: SIM118
        for name, value in pairs:
            dict.__setitem__(self, name.lower(), value)
        for name, value in more.items():
            dict.__setitem__(self, name.lower(), value)

    def __ior__(self, other: Any) -> Self:  # type: ignore[override,misc]
        self.update(other)
        return self

    def _attribute_key(self, name: str) -> str:
        """The key ``headers.<name>`` stands for: the name itself, else with hyphens."""
        key = name.lower()
        if dict.__contains__(self, key):
            return key
        return key.replace("_", "-")

    def __getattr__(self, name: str) -> Any:
        key = name.lower()  # _attribute_key inlined: this is the hot one
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        try:
            return dict.__getitem__(self, key.replace("_", "-"))
        except KeyError:
            raise MissingKeyError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        dict.__setitem__(self, self._attribute_key(name), value)

    def __delattr__(self, name: str) -> None:
        try:
            dict.__delitem__(self, self._attribute_key(name))
        except KeyError:
            raise MissingKeyError(name) from None
