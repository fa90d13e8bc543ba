"""Relationships with a backref: the in-memory repository writes what a ``Session`` writes.

A ``Session`` (SQLAlchemy 2.0) stores an object appended to a collection, or set on a
many-to-one, of an object it holds only when the change was made on that side: the echo a
backref (``back_populates``) makes on the other side cascades nothing, and the flush warns
that the object is not in the session. An object being added, though, cascades along
whatever its relationships hold, a backref's echo included, and so do the new objects it
reaches. The same steps run on the fake and on the SQLAlchemy repositories sharing one
``Session`` on SQLite; the rows stored and the warnings' texts must be the same (a
many-to-one's ends "won't proceed", a collection's "will not proceed").
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from serpens.fakes import InMemoryRepository, InMemorySession
from serpens_sqlalchemy import SQLAlchemyRepository


class _Base(DeclarativeBase):
    pass


class Parent(_Base):
    """Holds its children in a collection, with a backref to it on each child.

    A read-only view of the same children comes first: a flush writes nothing along it,
    and the collection after it is still written.
    """

    __tablename__ = "backref_parents"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    seen: Mapped[list[Child]] = relationship(viewonly=True)
    children: Mapped[list[Child]] = relationship(back_populates="parent")


class Child(_Base):
    """Refers to its parent by a many-to-one with a backref to the parent's collection."""

    __tablename__ = "backref_children"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("backref_parents.id"))
    parent: Mapped[Parent | None] = relationship(back_populates="children")


Repos = tuple[Any, Any]
Steps = Callable[[Any, Any], None]


def _appended_to_a_held_parent(parents: Any, _children: Any) -> None:
    parent = parents.add(Parent(name="p", children=[]))
    parent.children.append(Child(name="c"))  # on the parent's side: stored with it
    parents.flush()


def _parent_set_on_a_new_child(parents: Any, _children: Any) -> None:
    parent = parents.add(Parent(name="p", children=[]))
    Child(name="c").parent = parent  # the parent's collection gets it by the backref only
    parents.flush()


def _new_parent_set_on_an_added_child(_parents: Any, children: Any) -> None:
    children.add(Child(name="c", parent=Parent(name="q")))  # on the child's side: stored first


def _held_child_appended_to_a_new_parent(_parents: Any, children: Any) -> None:
    child = children.add(Child(name="c"))
    Parent(name="r").children.append(child)  # the child's parent is set by the backref only
    children.flush()


def _held_objects_on_both_sides(parents: Any, children: Any) -> None:
    parent = parents.add(Parent(name="p", children=[]))
    child = children.add(Child(name="c"))
    parent.children.append(child)  # a held child appended on the parent's side
    children.flush()
    other = parents.add(Parent(name="s", children=[]))
    children.add(Child(name="d", parent=other))  # a new child set on the child's side


def _parent_added_after_a_child_set_it(parents: Any, _children: Any) -> None:
    parent = Parent(name="p")
    Child(name="c").parent = parent  # in the parent's collection by the backref
    parents.add(parent)  # an added object cascades along what its collection holds


def _parent_added_unflushed_after_a_child_set_it(parents: Any, _children: Any) -> None:
    parent = Parent(name="p")
    Child(name="c").parent = parent
    parents.add(parent, flush=False)  # cascaded at the add, written by the next flush
    parents.flush()


def _new_parent_of_two_new_children_one_added(_parents: Any, children: Any) -> None:
    parent = Parent(name="q")
    Child(name="d").parent = parent  # only the parent reaches it, by the backref
    children.add(Child(name="c", parent=parent))  # c -> its new parent -> d


def _held_child_moved_to_a_parent_a_new_child_holds(_parents: Any, children: Any) -> None:
    held = children.add(Child(name="h"))
    parent = Parent(name="p")
    fresh = Child(name="c", parent=parent)
    parent.children.append(held)  # the held child's parent is set by the backref only
    children.add(fresh)  # the many-to-one of the held child warns ("won't proceed")


STEPS: dict[str, Steps] = {
    "appended to a held parent": _appended_to_a_held_parent,
    "parent set on a new child": _parent_set_on_a_new_child,
    "new parent set on an added child": _new_parent_set_on_an_added_child,
    "held child appended to a new parent": _held_child_appended_to_a_new_parent,
    "held objects on both sides": _held_objects_on_both_sides,
    "parent added after a child set it": _parent_added_after_a_child_set_it,
    "parent added unflushed after a child set it": _parent_added_unflushed_after_a_child_set_it,
    "new parent of two new children, one added": _new_parent_of_two_new_children_one_added,
    "held child moved to a parent a new child holds": (
        _held_child_moved_to_a_parent_a_new_child_holds
    ),
}


@pytest.fixture(name="engine")
def _engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _run(
    steps: Steps, parents: Any, children: Any
) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The children stored (name, parent's name) after *steps*, and the warnings given."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        steps(parents, children)
        children.flush()
    names = {p.id: p.name for p in parents.list(limit=100)}
    stored = sorted((c.name, names.get(c.parent_id)) for c in children.list(limit=100))
    return stored, sorted(
        str(w.message) for w in caught if issubclass(w.category, sa.exc.SAWarning)
    )


@pytest.mark.parametrize("name", list(STEPS))
def test_the_fake_writes_along_a_backref_what_a_session_writes(
    name: str, engine: sa.Engine
) -> None:
    """The rows stored and the ``SAWarning`` texts after *name*'s steps, as a ``Session``'s.

    SQLAlchemy 2.0 cascades ``save-update`` from an added object (and from what it
    reaches) along everything its relationships hold, and from a held object only along
    a change made on that side; what it does not store it names in a warning.
    """
    with Session(engine) as sess:
        real = _run(
            STEPS[name], SQLAlchemyRepository(sess, Parent), SQLAlchemyRepository(sess, Child)
        )
    unit = InMemorySession()
    fake = _run(
        STEPS[name],
        InMemoryRepository(Parent, session=unit),
        InMemoryRepository(Child, session=unit),
    )
    assert fake == real
