"""Relationships in the in-memory repository's flush, followed as a ``Session``'s flush does.

A ``Session`` writes what an object's relationships hold: ``Child(parent=p)`` gets
``parent_id`` from ``p`` at the flush, a new ``p`` reached that way is stored first (the
default ``save-update`` cascade), and children appended to a parent's collection are
stored with their foreign key set to the parent's key. Before each flush the fake walks
the relationships of the objects it writes the same way (:func:`follow`): it stores the
new related objects through the same checks as an ``add``, writes the models of the
related objects first, and copies the referenced columns into the foreign keys
(:meth:`Plan.sync`) just before the referring objects are written.

What it cannot write as exactly is refused with a ``ValidationError`` naming the model,
the relationship and what to do instead, when a relationship holds a value a ``Session``
would write: many-to-many (``secondary=``), ``post_update``, a join without plain column
pairs, an object removed from a collection, a related object of the same model written in
the same flush, one held by another unit of work. An object of another model is refused
with the ``AssertionError`` a ``Session``'s cascade raises. A related object no unit of
work holds that a ``Session`` would not store (reached only through a backref, or
without ``save-update``) is not written along it, with the ``SAWarning`` it gives.

A ``Session`` stores an object appended to a collection (or set on a relationship) of an
object it holds only when the change was made on that side, not through a backref:
:func:`watch` listens to every relationship of a registry to tell the two apart.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from serpens._rules.repository import model_info
from serpens.errors import FieldError, ValidationError
from serpens.fakes._repository_dirty import instance_state
from serpens.fakes._repository_unloaded import reveal

__all__ = ["Plan", "follow", "watch"]

# Key of an object's InstanceState.info: the (relationship, id(owner)) pairs it was set on
_MARK = "serpens.fakes.forward"  # or appended to from the owner's side

_SET_KEYS = "set the foreign-key columns instead"

_WATCHED: set[int] = set()  # id()s of the registries whose relationships are watched


@dataclass(frozen=True, slots=True)
class Relation:
    """One relationship of a model, as the fake follows it."""

    owner: str
    key: str
    target: type[Any]
    to_one: bool  # many-to-one: the owner holds the foreign key
    pairs: tuple[tuple[str, str], ...]  # (referenced attribute, foreign-key attribute)
    save_update: bool
    unsupported: str | None  # why the fake cannot write it, if it cannot
    instead: str  # what to do instead, then
    key_columns: bool  # the foreign key is (part of) the owner's primary key


def relations(model: type[Any]) -> tuple[Relation, ...]:
    """The relationships of *model* a flush writes (``viewonly`` ones write nothing)."""
    known = _RELATIONS.get(model)
    if known is None:
        known = _RELATIONS[model] = _relations(model)
    return known


_RELATIONS: dict[type[Any], tuple[Relation, ...]] = {}


def _relations(model: type[Any]) -> tuple[Relation, ...]:
    mapper = model_info(model).mapper
    out = []
    for prop in mapper.relationships:
        if prop.viewonly:
            continue
        direction = prop.direction.name
        target = prop.mapper
        one, many = (target, mapper) if direction == "MANYTOONE" else (mapper, target)
        pairs = tuple(
            (one._columntoproperty[a].key, many._columntoproperty[b].key)  # noqa: SLF001
            for a, b in prop.synchronize_pairs
            if a in one._columntoproperty and b in many._columntoproperty  # noqa: SLF001
        )
        why, instead = None, _SET_KEYS
        if prop.secondary is not None:
            why = "a many-to-many relationship (secondary=)"
            instead = "write the association rows through a repository of a model mapping them"
        elif prop.post_update:
            why = "a relationship written by a second UPDATE (post_update=True)"
            instead = "store both objects, then set the foreign-key columns"
        elif not pairs or len(pairs) != len(prop.synchronize_pairs):
            why = "a relationship whose join pairs no mapped columns"
        fk = {b for _, b in pairs}
        out.append(
            Relation(
                owner=model.__name__,
                key=prop.key,
                target=target.class_,
                to_one=direction == "MANYTOONE",
                pairs=pairs,
                save_update=prop.cascade.save_update,
                unsupported=why,
                instead=instead,
                key_columns=bool(fk & set(model_info(model).pk)),
            )
        )
    return tuple(out)


def watch(mapper: Any) -> None:
    """Listen to the relationships of *mapper*'s registry: which side each change came from."""
    registry = mapper.registry
    if id(registry) in _WATCHED:
        return
    _WATCHED.add(id(registry))
    from sqlalchemy import event  # noqa: PLC0415 - only a mapped class gets here

    for each in list(registry.mappers):
        for prop in each.relationships:
            if prop.parent is each and not prop.viewonly:
                what = "append" if prop.uselist else "set"
                event.listen(prop.class_attribute, what, _marker(prop.key), propagate=True)


def _marker(key: str) -> Any:
    def mark(target: object, value: object, *rest: Any) -> None:
        initiator = rest[-1] if rest else None
        if value is None or getattr(initiator, "key", None) != key:
            return  # a backref's echo: a Session cascades nothing along it
        marks = instance_state()(value).info.setdefault(_MARK, set())
        marks.add((key, id(target)))

    return mark


def _refuse(rel: Relation, why: str, instead: str) -> ValidationError:
    return ValidationError(
        f"the in-memory repository cannot write {rel.owner}.{rel.key}: {why}",
        [FieldError(rel.key, instead)],
    )


@dataclass
class Plan:
    """What a flush writes along relationships: new objects, foreign keys, model order."""

    repo: Any
    new: dict[int, object] = field(default_factory=dict)  # id() -> object written as new
    cascaded: list[tuple[type[Any], object]] = field(default_factory=list)
    syncs: list[tuple[object, Relation, object | None]] = field(default_factory=list)
    first: set[tuple[type[Any], type[Any]]] = field(default_factory=set)  # (before, after)

    def member(self, model: type[Any]) -> Any:
        """The unit-of-work state holding objects of *model*, if one is open."""
        repo = self.repo
        unit = repo._unit  # noqa: SLF001 - the fake's own state
        if unit is None:
            return repo if issubclass(model, repo.model) else None
        found = [m for m in unit.members() if issubclass(model, m.model)]
        exact = [m for m in found if m.model is model]
        return (exact or found or [None])[0]

    def sync(self, member: Any) -> None:
        """Copy referenced columns into the foreign keys of *member*'s objects."""
        for dest, rel, src in self.syncs:
            if self.member(type(dest)) is not member:
                continue
            for one, many in rel.pairs:
                if src is not None and one not in src.__dict__:
                    self._load(src)  # expired, in an async unit of work: a flush loads it
                value = None if src is None else src.__dict__.get(one)
                if dest.__dict__.get(many) != value or many not in dest.__dict__:
                    setattr(dest, many, value)

    def _load(self, obj: object) -> None:
        """Load *obj* if it is an expired object of this unit of work, as a flush does."""
        member = self.member(type(obj))
        if member is not None:
            member._held(instance_state()(obj))  # noqa: SLF001 - an expired one, loaded
            reveal(member, obj)  # a subclass's columns a read of its base class left unloaded

    def order(self, members: Sequence[Any]) -> list[Any]:
        """*members* with those holding related objects written in this flush first."""
        after: dict[int, set[int]] = {id(m): set() for m in members}
        for before, later in self.first:
            a, b = self.member(before), self.member(later)
            if a is not None and b is not None and a is not b:
                after[id(b)].add(id(a))
        done: list[Any] = []
        left = list(members)
        while left:
            ready = [m for m in left if after[id(m)] <= {id(d) for d in done}]
            if not ready:
                raise _refuse(
                    self.syncs[0][1],
                    "new related objects of models that refer to each other",
                    "add the objects of one model first",
                )
            done.append(ready[0])
            left.remove(ready[0])
        return done


def follow(repo: Any, extra: Sequence[object] = ()) -> Plan | None:
    """What the next flush of *repo*'s unit of work writes along relationships, or ``None``.

    Refusals come before anything changes; then the new related objects are added to
    their models' pending objects (a repository opened for a model without one).
    """
    unit = repo._unit  # noqa: SLF001 - the fake's own state
    members = [repo] if unit is None else unit.members()
    if not _related(members, extra):
        return None
    plan = Plan(repo)
    work = _written(plan, members, extra)
    while work:
        obj, new = work.pop(0)
        for rel in relations(type(obj)):
            for item, fresh in _follow_one(plan, obj, new, rel):
                if fresh:
                    plan.new[id(item)] = item
                    plan.cascaded.append((rel.target, item))
                    work.append((item, True))
    if not plan.syncs and not plan.cascaded:
        return None
    for model, item in plan.cascaded:
        member = plan.member(type(item))
        if member is None:  # a Session stores it without a repository of its model
            member = type(repo)(model, session=unit)
            member._loads_on_access = repo._loads_on_access  # noqa: SLF001
        member._pending[id(item)] = item  # noqa: SLF001
    return plan


def _related(members: Sequence[Any], extra: Sequence[object]) -> bool:
    """Whether a model of *members* or of *extra* has a relationship a flush writes.

    Loops, not ``any()`` over generators: every flush asks, most models have none.
    """
    for member in members:
        if relations(member.model) or _below(member.model):
            return True
    for obj in extra:  # noqa: SIM110 - a loop: no generator on the flush's fast path
        if relations(type(obj)):
            return True
    return False


def _below(model: type[Any]) -> bool:
    """Whether a class mapped below *model* declares a relationship a flush writes.

    A unit of work may hold a subclass's object through its base's repository, and a
    ``Session`` writes the relationships of each object's own class.
    """
    mapper = model_info(model).mapper
    if not mapper._inheriting_mappers:  # noqa: SLF001 - no subclass: the flush's fast path
        return False
    return any(relations(m.class_) for m in mapper.self_and_descendants)


def _written(plan: Plan, members: Sequence[Any], extra: Sequence[object]) -> list[Any]:
    """The objects the flush writes, each with whether it is new (recorded in *plan*)."""
    work: list[tuple[object, bool]] = []
    for member in members:
        for obj in member._pending.values():  # noqa: SLF001
            plan.new[id(obj)] = obj
            work.append((obj, True))
        for state in list(member._dirty._modified):  # noqa: SLF001
            found = member._held(state)  # noqa: SLF001
            if found is not None:
                work.append((found[1], False))
    for obj in extra:
        plan.new[id(obj)] = obj
        work.append((obj, True))
    return work


def _follow_one(plan: Plan, obj: object, new: bool, rel: Relation) -> Iterable[tuple[object, bool]]:
    """Record what *rel* of *obj* writes; yield each related object, and whether it is new."""
    from sqlalchemy.orm import attributes, base  # noqa: PLC0415 - only a mapped class gets here

    history = attributes.get_history(obj, rel.key, base.PASSIVE_NO_INITIALIZE)
    added = [x for x in history.added or () if x is not None]
    if not history.added and not history.deleted:
        return
    if _cleared(plan, obj, rel, history, added):
        return
    for item in added:
        if rel.save_update and not isinstance(item, rel.target):
            raise _stray(obj, rel, item)
        fresh = _status(plan, obj, new, rel, item)
        if fresh is None:
            continue
        if rel.to_one:
            plan.syncs.append((obj, rel, item))
        else:
            plan.syncs.append((item, rel, obj))
        if fresh or id(item) in plan.new:
            one, many = (type(item), type(obj)) if rel.to_one else (type(obj), type(item))
            if plan.member(one) is plan.member(many):
                raise _refuse(
                    rel,
                    f"it holds a new {type(item).__name__} written in the same flush as the "
                    f"{type(obj).__name__}, and the fake writes one model's rows in one step",
                    "add the referenced object first (a flush of its own), then this one",
                )
            plan.first.add((one, many))
        yield item, fresh


def _stray(obj: object, rel: Relation, item: object) -> AssertionError:
    """What a ``Session``'s ``save-update`` cascade raises (type, words) for another model's."""
    parent = model_info(type(obj)).mapper.relationships[rel.key].parent.class_
    return AssertionError(
        f"Attribute '{rel.key}' on class '{parent}' doesn't handle objects of type '{type(item)}'"
    )


def _cleared(plan: Plan, obj: object, rel: Relation, history: Any, added: list[Any]) -> bool:
    """Refuse what the fake cannot write of *rel*; whether nothing is left to follow."""
    if rel.unsupported is not None:
        if added or history.deleted:
            raise _refuse(rel, rel.unsupported, rel.instead)
        return True
    if not rel.to_one and history.deleted:
        raise _refuse(
            rel,
            "an object was removed from it (a Session sets its foreign key to NULL, or "
            "deletes it with delete-orphan)",
            "set the foreign key of the removed object, or delete it, through its repository",
        )
    if rel.to_one and not added:
        if history.added and rel.key_columns:
            raise _refuse(rel, "it was cleared, and its foreign key is the primary key", _SET_KEYS)
        if history.added:
            plan.syncs.append((obj, rel, None))  # set to None: the foreign key is cleared
        return True
    return False


def _status(plan: Plan, owner: object, new: bool, rel: Relation, item: object) -> bool | None:
    """Whether *item* is a new object the flush stores (``None``: not written along *rel*).

    Refuses one it cannot write.
    """
    name = type(item).__name__
    member = plan.member(type(item))
    held = instance_state()(item)
    ref = held._instance_dict  # noqa: SLF001 - SQLAlchemy's identity-map hook
    holder = ref() if isinstance(ref, weakref.ref) else None
    if member is not None and (id(item) in member._pending or member._tracked(item)):  # noqa: SLF001
        return False
    if id(item) in plan.new:
        return False
    mine = member is not None and holder is member._dirty  # noqa: SLF001 - forgotten here
    if (holder is not None and not mine) or held.session_id is not None:
        raise _refuse(
            rel,
            f"it holds a related {name} another unit of work holds",
            f"read the {name} through a repository of this unit of work (one InMemorySession)",
        )
    forward = (rel.key, id(owner)) in held.info.get(_MARK, ())
    if not rel.save_update or not (new or forward):
        # set through a backref, or no save-update cascade: a Session writes nothing along
        # the relationship and warns, as the fake does
        import warnings  # noqa: PLC0415

        from sqlalchemy.exc import SAWarning  # noqa: PLC0415

        ends = "won't proceed" if rel.to_one else "will not proceed"
        warnings.warn(
            f"Object of type <{name}> not in session, add operation along "
            f"'{rel.owner}.{rel.key}' {ends}",
            SAWarning,
            stacklevel=2,
        )
        return None
    if member is None and plan.repo._unit is None:  # noqa: SLF001
        raise _refuse(
            rel,
            f"storing the new {name} it holds needs a repository of {name} in the same unit "
            "of work",
            "open the repositories with one InMemorySession (session=), or add it first and "
            "set the foreign key",
        )
    info = model_info(type(item))
    key = tuple(item.__dict__.get(k) for k in info.pk)
    if None not in key and member is not None and member._rows.get(key) is not None:  # noqa: SLF001
        raise _refuse(
            rel,
            f"it holds a related {name} this unit of work does not hold, with the key of a stored "
            "row "
            f"({', '.join(info.pk)})={key!r}",
            f"read the {name} through a repository of this unit of work, or set the foreign key",
        )
    return True
