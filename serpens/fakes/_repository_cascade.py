"""An ``add`` through the in-memory repository with what its objects' relationships reach.

As a ``Session`` writes an added object in a savepoint, with the new objects its
relationships reach (:mod:`serpens.fakes._repository_relations`), all or nothing: on a
failure every repository of the unit of work and every object involved is restored to
what it was before the call, as the savepoint's rollback leaves the unit of work usable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

from serpens.fakes._repository_dirty import instance_state
from serpens.fakes._repository_relations import follow

__all__ = ["write_new"]


def write_new(repo: Any, objs: Sequence[object]) -> bool:
    """Insert *objs* (an ``add``) with what their relationships reach, all or nothing.

    ``False`` when they reach nothing to write (the caller writes them alone). On a
    failure every member's writes and objects are restored to before the call, as a
    ``Session`` rolls back the savepoint of the ``add``.
    """
    plan = follow(repo, objs)
    if plan is None:
        return False
    ids = {id(obj) for obj in objs}
    # Nothing new reached, only foreign keys of the added objects to set (many-to-one to
    # stored objects; the unit's pending objects were flushed before): written alone.
    if not plan.cascaded and all(id(dest) in ids for dest, _, _ in plan.syncs):
        plan.sync(repo if repo._unit is None else plan.member(repo.model))  # noqa: SLF001
        repo._flush(objs, plain=True)  # noqa: SLF001
        return True
    unit = repo._unit  # noqa: SLF001
    members = [repo] if unit is None else unit.members()
    saved = _save(members, [*plan.new.values(), *(d for d, _, _ in plan.syncs)])
    try:
        with contextlib.ExitStack() as stack:
            for member in members:
                stack.enter_context(member._rows.atomic())  # noqa: SLF001
            for member in plan.order(members):
                plan.sync(member)
                own = member._rows is repo._rows  # noqa: SLF001
                member._flush(objs if own else (), plain=True)  # noqa: SLF001
    except BaseException:
        _restore(saved)
        for _, item in plan.cascaded:  # made pending by follow(): forgotten, as rolled back
            plan.member(type(item))._pending.pop(id(item), None)  # noqa: SLF001
        raise
    return True


def _save(members: Sequence[Any], objs: Iterable[object]) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    for m in members:
        for name in ("_identity", "_keys", "_snapshot", "_pending", "_expired"):
            box = getattr(m, name)
            out.append((box, box.copy()))
        out.append((m._dirty._modified, set(m._dirty._modified)))  # noqa: SLF001
    for obj in {id(o): o for o in objs}.values():
        state = instance_state()(obj)
        out.append((obj.__dict__, dict(obj.__dict__)))
        out.append((state.committed_state, dict(state.committed_state)))
        if "callables" in state.__dict__:  # loader callables of an async repository's
            out.append((state.callables, dict(state.callables)))
        out.append((state, (state.modified, state._instance_dict)))  # noqa: SLF001
    return out


def _restore(saved: list[tuple[Any, Any]]) -> None:
    for box, copy in saved:
        if isinstance(copy, tuple):
            box.modified, box._instance_dict = copy  # noqa: SLF001
        else:
            box.clear()
            box.update(copy)
