"""Single-table subclasses with columns of their own: the fake beside PostgreSQL.

What the contract cases cannot show through the port alone: which ``onupdate`` values an
upsert writes (its class's only, as the adapter's ``ON CONFLICT DO UPDATE`` sets them,
where an object's UPDATE applies the table's), which attributes an object holds (its
class's columns only), and the one hierarchy the fake refuses (one attribute key mapping
two columns in sibling classes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ConfigurationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from tests.serpens.fakes._beside_postgresql import Step, engine_for, on_both


class _Base(DeclarativeBase):
    pass


class Part(_Base):
    __tablename__ = "fake_hierarchy_parts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(20))

    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "part"}  # noqa: RUF012


class Gear(Part):
    teeth: Mapped[int | None] = mapped_column(sa.Integer)
    touched: Mapped[int | None] = mapped_column(sa.Integer, onupdate=99)

    __mapper_args__ = {"polymorphic_identity": "gear"}  # noqa: RUF012


def _attributes(obj: Any) -> list[str]:
    return sorted(k for k in vars(obj) if not k.startswith("_"))


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


def _upsert(model: type[Any], name: str) -> tuple[type[Any], Step]:
    """An upsert through *model*'s repository renaming row 1; its ``touched`` as returned."""
    values = {"id": 1, "name": name}
    return model, lambda r: r.upsert(values, conflict_on=["id"], update_fields=["name"]).touched


UPSERT_STEPS: list[tuple[type[Any], Step]] = [
    (Part, lambda r: r.add(Gear(id=1, name="g", teeth=3)).id),
    (Part, lambda r: r.add(Part(id=2, name="p")).id),
    _upsert(Part, "g2"),  # the base's SET has no touched: a gear's onupdate is not its
    (Gear, lambda r: (r.get(1).name, r.get(1).touched)),
    _upsert(Gear, "g3"),  # the gear's SET has it
    (Part, lambda r: _attributes(r.get(2))),  # a part holds no gear's column
    (Gear, lambda r: _attributes(r.get(1))),
]
UPSERT_OUTCOMES: list[object] = [
    1,
    2,
    None,
    ("g2", None),
    99,
    ["id", "kind", "name"],
    ["id", "kind", "name", "teeth", "touched"],
]


def test_an_upsert_writes_its_own_class_onupdate_values_only(engine: sa.Engine) -> None:
    database = InMemoryDatabase()
    outcomes = [on_both(database, engine, model, step) for model, step in UPSERT_STEPS]
    assert [fake for fake, _ in outcomes] == [real for _, real in outcomes], outcomes
    assert [fake for fake, _ in outcomes] == UPSERT_OUTCOMES


def test_in_memory_the_upsert_steps_pinned_beside_postgresql() -> None:
    """The steps above on the fake alone, each committed (for the mutation run: no server)."""
    database = InMemoryDatabase()
    outcomes = []
    for model, step in UPSERT_STEPS:
        repo: Any = InMemoryRepository(model, database=database)
        outcomes.append(step(repo))
        repo.commit()
    assert outcomes == UPSERT_OUTCOMES


def test_an_object_update_applies_the_table_onupdate_values(engine: sa.Engine) -> None:
    database = InMemoryDatabase()

    def rename(repo: Any) -> None:
        repo.get(2).name = "p2"
        repo.flush()

    steps: list[tuple[type[Any], Any]] = [
        (Part, lambda r: r.add(Part(id=2, name="p")).id),
        (Part, rename),  # an UPDATE of the table: Core sets every column's onupdate
    ]
    outcomes = [on_both(database, engine, model, step) for model, step in steps]
    assert [fake for fake, _ in outcomes] == [real for _, real in outcomes], outcomes
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT touched FROM fake_hierarchy_parts")).scalar()
    assert (database.table(Part.__table__).rows[(2,)]["touched"], stored) == (99, 99)


def test_the_base_repository_loads_a_subclass_row_whole() -> None:
    """Unlike a ``Session``, which loads a subclass's own columns on first access."""
    repo: Any = InMemoryRepository(Part)
    repo.add(Gear(id=1, name="g", teeth=3))
    repo.commit()
    repo.close()
    gear = repo.get(1)
    assert (type(gear), gear.teeth, gear.touched) == (Gear, 3, None)


class _Other(DeclarativeBase):
    pass


class Shape(_Other):
    __tablename__ = "fake_hierarchy_shapes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))

    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "shape"}  # noqa: RUF012


class Circle(Shape):
    size: Mapped[int | None] = mapped_column("radius", sa.Integer)

    __mapper_args__ = {"polymorphic_identity": "circle"}  # noqa: RUF012


class Square(Shape):
    size: Mapped[int | None] = mapped_column("side", sa.Integer)

    __mapper_args__ = {"polymorphic_identity": "square"}  # noqa: RUF012


def test_one_attribute_mapping_two_columns_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="attribute 'size' maps another column"):
        InMemoryRepository(Circle)
