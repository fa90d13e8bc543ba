"""The document store's differential test: random operations answer like a reference model.

Holds the model (:class:`_DocumentModel`, plain dicts), the Hypothesis state machine
comparing it with the store under test, and the test that runs it
(:class:`_DocumentDifferentialCases`): the one part of the suite that needs Hypothesis.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

try:
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens.errors import ConflictError
from serpens.ports import Item
from serpens_contract.differential import again_when_stalled, observe
from serpens_contract.document._store import StoreFactory
from serpens_contract.settings import hypothesis_settings

_KEYS = st.sampled_from(["a", "b", "c"])
_SORT_KEYS = st.sampled_from(["x1", "x2", "y1"])
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.text(max_size=5),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000),
    st.lists(st.integers(0, 9), max_size=3),
)


def _read_back(value: object) -> object:
    """A stored value as DynamoDB gives it back: integral numbers as int, copies."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, list):
        return [_read_back(v) for v in value]
    return value


class _DocumentModel:
    """The suite's reference model of the two tables the differential test uses.

    Plain dicts, written from DynamoDB's documented behaviour for the values the test
    draws; it shares no code with the fake or the shared rules.
    """

    def __init__(self) -> None:
        self.tables: dict[str, tuple[tuple[str, ...], dict[tuple[object, ...], Item]]] = {}

    def create_table(self, table: str, partition_key: str, sort_key: str | None = None) -> None:
        keys = (partition_key, sort_key) if sort_key else (partition_key,)
        self.tables[table] = (keys, {})

    def put(self, table: str, item: Mapping[str, object], *, if_absent: bool = False) -> None:
        keys, rows = self.tables[table]
        key = tuple(item[k] for k in keys)
        if if_absent and key in rows:
            raise ConflictError("exists")
        rows[key] = {k: _read_back(v) for k, v in item.items()}

    def get(self, table: str, key: Mapping[str, object]) -> Item | None:
        keys, rows = self.tables[table]
        found = rows.get(tuple(key[k] for k in keys))
        return None if found is None else copy.deepcopy(found)

    def delete(self, table: str, key: Mapping[str, object]) -> bool:
        keys, rows = self.tables[table]
        return rows.pop(tuple(key[k] for k in keys), None) is not None

    def query(
        self,
        table: str,
        partition: object,
        *,
        sort_prefix: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[Item]:
        _, rows = self.tables[table]
        hits = sorted(
            (key[1], item)
            for key, item in rows.items()
            if key[0] == partition and str(key[1]).startswith(sort_prefix or "")
        )
        ordered = [copy.deepcopy(item) for _, item in (reversed(hits) if descending else hits)]
        return ordered[:limit]


class _DocumentMachine(RuleBasedStateMachine):
    def __init__(self, factory: StoreFactory) -> None:
        super().__init__()
        namespace = f"d{uuid.uuid4().hex[:12]}"
        self.tables = (f"{namespace}-people", f"{namespace}-events")
        self.model = _DocumentModel()
        self.impl = factory(namespace)
        for store in (self.model, self.impl):
            store.create_table(self.tables[0], "id")
            store.create_table(self.tables[1], "user", "at")

    def _both(self, method: str, *args: Any, **kwargs: Any) -> None:
        expected = observe(getattr(self.model, method), *args, **kwargs)
        actual = observe(getattr(self.impl, method), *args, **kwargs)
        assert actual == expected, (
            f"{method}{args}{kwargs}: the store under test answered {actual},"
            f" the suite's reference model {expected}"
        )

    @rule(key=_KEYS, value=_VALUES, if_absent=st.booleans())
    def put(self, key: str, value: object, if_absent: bool) -> None:
        self._both("put", self.tables[0], {"id": key, "v": value}, if_absent=if_absent)

    @rule(user=_KEYS, at=_SORT_KEYS, value=_VALUES)
    def put_event(self, user: str, at: str, value: object) -> None:
        self._both("put", self.tables[1], {"user": user, "at": at, "v": value})

    @rule(key=_KEYS)
    def get(self, key: str) -> None:
        self._both("get", self.tables[0], {"id": key})

    @rule(key=_KEYS)
    def delete(self, key: str) -> None:
        self._both("delete", self.tables[0], {"id": key})

    @rule(
        user=_KEYS,
        prefix=st.sampled_from([None, "x", "y1", "z"]),
        descending=st.booleans(),
        limit=st.sampled_from([None, 1, 2]),
    )
    def query(self, user: str, prefix: str | None, descending: bool, limit: int | None) -> None:
        self._both(
            "query", self.tables[1], user, sort_prefix=prefix, descending=descending, limit=limit
        )


class _DocumentDifferentialCases:
    """The differential test, on two tables: one partition-only, one with a sort key."""

    def test_differential_against_fake(self, open_document_store: StoreFactory) -> None:
        """Random put/get/delete/query sequences answer like the suite's reference model.

        The model is written here, independently of the fake and of the shared rules, so
        a failure blames the implementation under test, the fake included.
        """

        class Machine(_DocumentMachine):
            def __init__(self) -> None:
                super().__init__(open_document_store)

        again_when_stalled(
            lambda: run_state_machine_as_test(Machine, settings=hypothesis_settings())
        )
