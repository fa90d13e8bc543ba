"""Columns the in-memory repository leaves unloaded, as a ``Session`` does.

A ``Session``'s rollback expires every object it holds (when a transaction is in
progress: after a commit with no statement since, it is a pass-through): the next read of
an attribute loads the row. A sync ``Session`` runs that load; an ``AsyncSession`` cannot
(no IO outside an ``await``) and SQLAlchemy raises ``MissingGreenlet`` instead. The fakes
do the same: :func:`expire_all` takes the expired objects' column values out of their
instance dicts and registers, for each, a per-instance loader callable
(:mod:`~._repository_loaders`): the sync fake's loads the row, the async fake's raises
SQLAlchemy's own ``MissingGreenlet``. Whatever loads an object again (a read returning
it, ``get``, a flush writing it, an upsert, a sync read of a column) writes the values
back and then calls :func:`loaded`, which drops the callables; an attribute set meanwhile
is an ordinary set, written by the next flush as on a ``Session``. ``close()`` detaches
the objects as they are: a loader finds its object no longer held and raises
``DetachedInstanceError``, as SQLAlchemy does for a detached object's expired columns.

A read through a single-table hierarchy's base class selects the base's columns: a
``Session`` leaves a subclass's own unloaded. The async fake's reads
(:func:`~._repository_loading.load_many`) do the same with :func:`unload` and
:func:`unloaded_keys`; a read through the subclass's repository fills them in
(:func:`fill_in`), a flush writes them from the row the object was loaded from, and
whatever must read one (a foreign key copied from it) puts them back first
(:func:`reveal`). (The sync fake loads them with the read.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from serpens.fakes._repository_dirty import instance_state
from serpens.fakes._repository_loaders import Unloaded
from serpens.fakes._repository_values import PLAIN_TYPES, copy_value

Row = dict[str, object]

__all__ = [
    "expire_all",
    "fill_in",
    "loaded",
    "reveal",
    "unload",
    "unloaded_keys",
]


def unload(obj: object, keys: Iterable[str], loader: Unloaded, *, keep_set: bool = False) -> None:
    """Take *keys* out of *obj*'s instance dict; reading one calls *loader*.

    With *keep_set*, the keys set since the object was loaded stay (a read loads around them).
    """
    state = instance_state()(obj)
    if "callables" not in state.__dict__:  # SQLAlchemy's shared empty default otherwise
        state.callables = {}
    callables = state.callables
    assigned = state.committed_state if keep_set else ()
    values = obj.__dict__
    for key in keys:
        if key not in assigned:
            values.pop(key, None)
            callables[key] = loader


def unloaded_keys(model: type[Any]) -> Callable[[type[Any] | None], tuple[str, ...]]:
    """The columns a read through *model*'s repository leaves unloaded on an object of a class.

    A ``Session`` selects *model*'s columns: a subclass's own stay unloaded (an
    ``AsyncSession`` raises ``MissingGreenlet`` for them). Called with ``None``: *model*'s
    own columns, which such a read fills in on an object missing them (:func:`fill_in`).
    """
    return functools.partial(_unloaded_keys, model)


_UNLOADED: dict[tuple[type[Any], type[Any] | None], tuple[str, ...]] = {}


def _unloaded_keys(model: type[Any], cls: type[Any] | None) -> tuple[str, ...]:
    found = _UNLOADED.get((model, cls))
    if found is None:
        from serpens._rules.repository import model_info  # noqa: PLC0415 - mapped classes

        mine = model_info(model)
        found = own = (*mine.columns, *mine.expressions)
        if cls is not None:
            theirs = model_info(cls)
            found = tuple(k for k in (*theirs.columns, *theirs.expressions) if k not in own)
        _UNLOADED[model, cls] = found
    return found


def fill_in(obj: object, row: Row, keys: Iterable[str]) -> None:
    """Load *row*'s values of *keys* that *obj* left unloaded, as a read of them does."""
    state = instance_state()(obj)
    callables = state.callables
    if not callables:
        return
    values = obj.__dict__
    for key in keys:
        if isinstance(callables.get(key), Unloaded):
            del callables[key]
            if key not in values:
                value = row[key]
                values[key] = value if type(value) in PLAIN_TYPES else copy_value(value)


def reveal(repo: Any, obj: object) -> None:
    """Put back on *obj* every value it left unloaded, from *repo*'s snapshot of it."""
    state = instance_state()(obj)
    ident = repo._keys.get(state)  # noqa: SLF001 - the fake's own state
    if ident is not None and state.callables:
        fill_in(obj, repo._snapshot[ident], list(state.callables))  # noqa: SLF001


def loaded(state: Any) -> None:
    """Drop the callables :func:`unload` registered on *state*: its values are back."""
    callables = state.callables
    if callables:
        for key in [k for k, call in callables.items() if isinstance(call, Unloaded)]:
            del callables[key]


def expire_all(repo: Any) -> None:
    """Expire every object *repo* holds, as a rollback does: each loads its row when read.

    Called for a rollback that ends a transaction in progress only: a ``Session`` whose
    transaction is not begun passes a rollback through, expiring nothing. Each object's
    columns are unloaded: a sync repository loads the row on the next read of one, an
    async one raises ``MissingGreenlet`` (:class:`~._repository_loaders.Unloaded`).
    """
    identity = repo._identity  # noqa: SLF001 - the fake's own state
    repo._expired.update(identity)  # noqa: SLF001
    loader = Unloaded(repo)
    snapshot = repo._snapshot  # noqa: SLF001
    for ident, obj in identity.items():
        unload(obj, snapshot[ident], loader)
