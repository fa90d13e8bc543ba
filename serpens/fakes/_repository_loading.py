"""Objects built from a window of stored rows: listing the in-memory repository is bound by this.

:func:`load_many` is :meth:`RepositorySession._load <serpens.fakes._repository_session.
RepositorySession._load>` for many rows at once, with every lookup hoisted out of the
loop: each row not held yet becomes a new instance of the class its discriminator names
(single-table inheritance), built as SQLAlchemy's loading builds one (no attribute
events), holding only its class's columns when the hierarchy's subclasses add some.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serpens.fakes._repository_loaders import Unloaded
from serpens.fakes._repository_unloaded import fill_in, unload, unloaded_keys
from serpens.fakes._repository_values import PLAIN_TYPES, copy_value

__all__ = ["load_many"]

Row = dict[str, object]


def load_many(repo: Any, rows: Sequence[Row]) -> list[Any]:
    """The objects of *rows* in *repo*'s unit of work: held ones as held (expired: reloaded)."""
    identity, snapshot, keys = repo._identity, repo._snapshot, repo._keys  # noqa: SLF001
    manager: Any = repo._manager  # noqa: SLF001 - the fake's own state
    own = manager
    cls = manager.class_
    managers = repo._managers  # noqa: SLF001
    inheritance = repo._info.inheritance  # noqa: SLF001
    kind: Any = None if inheritance is None else inheritance.key
    view = repo._view  # noqa: SLF001 - None but for a hierarchy whose subclasses add columns
    make_state = manager._state_constructor  # noqa: SLF001 - what new_instance() calls
    set_state = manager._state_setter  # noqa: SLF001
    dirty_ref = repo._dirty_ref  # noqa: SLF001
    pk = repo._pk  # noqa: SLF001
    single = pk[0] if len(pk) == 1 else None
    share = not repo._rules.mutable[0]  # noqa: SLF001
    expired = repo._expired  # noqa: SLF001
    # an async repository of a class whose subclasses add columns leaves theirs unloaded
    partial = None if view is None or repo._loads_on_access else unloaded_keys(own.class_)  # noqa: SLF001
    loader: Any = None if partial is None else Unloaded(repo)
    out: list[Any] = []
    for row in rows:
        ident = (row[single],) if single is not None else tuple(row[k] for k in pk)
        obj = identity.get(ident)
        if obj is not None:
            if expired and ident in expired:
                repo._reload(ident, obj, row)  # noqa: SLF001
                if partial is not None:  # a read loads its class's columns only
                    unload(obj, partial(type(obj)), loader, keep_set=True)
            elif partial is not None:
                fill_in(obj, row, partial(None))
        else:
            if managers is not None:  # the class the row's discriminator names
                manager = managers.get(row[kind], own)
                cls = manager.class_
                if view is not None:
                    row = view(cls, row)  # noqa: PLW2901 - as its class loads it
            obj = cls.__new__(cls)
            state = make_state(obj, manager)
            set_state(obj, state)
            if share:
                obj.__dict__.update(row)
            else:
                obj.__dict__.update(
                    {k: v if type(v) in PLAIN_TYPES else copy_value(v) for k, v in row.items()}
                )
            state._instance_dict = dirty_ref  # noqa: SLF001 - SQLAlchemy's dirty hook
            if partial is not None:
                unload(obj, partial(cls), loader)
            snapshot[ident] = row
            identity[ident] = obj
            keys[state] = ident
        out.append(obj)
    return out
