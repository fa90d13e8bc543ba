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
    """Case-insensitive header mapping that keeps the names as given.

    ``headers["Content-Type"]``, ``headers.get("content-type")`` and
    ``headers.content_type`` (underscores stand for hyphens) all find the same header,
    and so do writes (``headers["X-Trace"] = "1"``, ``update``, ``setdefault``, ``pop``,
    ``del``, ``headers.x_trace = "1"``). Keys are the names as the event (or the first
    write) spelled them, so iteration, ``dict(headers)`` and ``vars(headers)`` show
    ``Content-Type`` as serpens 2.9's ``AttrDict`` did; a write to a header already held
    keeps its name. Equality is a ``dict``'s (it compares the names as spelled).
    """

    __slots__ = ("_names",)
    _names: dict[str, str]  # lower-cased name -> the name stored

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_names", {})
        super().__init__()
        if data:
            for name, value in data.items():
                self[name] = _wrap(value)  # nested dicts are AttrDicts, as AttrDict's

    def _key(self, name: str) -> str | None:
        """The stored key of header *name* (any case), or ``None``."""
        return self._names.get(name.lower())

    def __getitem__(self, name: str) -> Any:
        if dict.__contains__(self, name):  # the name as stored: one C lookup
            return dict.__getitem__(self, name)
        key = self._key(name)
        if key is None:
            raise MissingKeyError(name)
        return dict.__getitem__(self, key)

    def __setitem__(self, name: str, value: Any) -> None:
        key = self._names.setdefault(name.lower(), name)
        dict.__setitem__(self, key, value)

    def __delitem__(self, name: str) -> None:
        key = self._names.pop(name.lower(), None)
        if key is None:
            raise MissingKeyError(name)
        dict.__delitem__(self, key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._names

    def get(self, name: str, default: Any = None) -> Any:
        """Return the header *name* (any case) or *default*."""
        key = self._key(name)
        return default if key is None else dict.__getitem__(self, key)

    def pop(self, name: str, /, *default: Any) -> Any:
        """Remove the header *name* (any case) and return its value (or *default*)."""
        key = self._names.pop(name.lower(), None)
        if key is None:
            if default:
                return default[0]
            raise MissingKeyError(name)
        return dict.pop(self, key)

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last header written, as ``(name, value)``."""
        name, value = dict.popitem(self)
        del self._names[name.lower()]
        return name, value

    def clear(self) -> None:
        """Remove every header."""
        dict.clear(self)
        self._names.clear()

    def setdefault(self, name: str, default: Any = None) -> Any:
        """Return the header *name* (any case), first setting it to *default* if absent."""
        key = self._key(name)
        if key is None:
            self[name] = default
            return default
        return dict.__getitem__(self, key)

    def update(self, other: Any = (), /, **more: Any) -> None:
        """Set every header of *other* (a mapping or ``(name, value)`` pairs) and *more*."""
        # dict.update's rule: an object with keys() is a mapping, anything else pairs.
        pairs = ((k, other[k]) for k in other.keys()) if hasattr(other, "keys") else other  # noqa: SIM118
        for name, value in pairs:
            self[name] = value
        for name, value in more.items():
            self[name] = value

    def __ior__(self, other: Any) -> Self:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # copy and pickle rebuild through __init__: _names is not an item
        return type(self), (dict(self),)

    def _attribute_key(self, name: str) -> str:
        """The name ``headers.<name>`` stands for: the name itself, else with hyphens."""
        lowered = name.lower()
        if lowered in self._names:
            return lowered
        return lowered.replace("_", "-")

    def __getattr__(self, name: str) -> Any:
        names = self._names
        lowered = name.lower()  # _attribute_key inlined: this is the hot one
        key = names.get(lowered) or names.get(lowered.replace("_", "-"))
        if key is None:
            raise MissingKeyError(name)
        return dict.__getitem__(self, key)

    def __setattr__(self, name: str, value: Any) -> None:
        self[self._attribute_key(name)] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[self._attribute_key(name)]
        except MissingKeyError:
            raise MissingKeyError(name) from None
