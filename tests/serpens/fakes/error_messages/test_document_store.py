"""The exact wording of the in-memory document store's errors.

Items it cannot store, tables, keys and queries, and an outage.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from serpens.errors import BackendUnavailableError, ConflictError, NotFoundError, ValidationError
from serpens.fakes import InMemoryDocumentStore
from tests.serpens.fakes.error_messages._error_cases import (
    _down,
    _observed,
    _untyped,
)


def _documents(
    sort_key: str | None = None, *, sort_type: type[str | int] = str
) -> InMemoryDocumentStore:
    """A store with table "t" keyed by "pk" (a str), and *sort_key* when given."""
    store = InMemoryDocumentStore()
    store.create_table("t", "pk", sort_key, sort_type=sort_type)
    return store


def _put_twice_if_absent() -> None:
    store = _documents()
    store.put("t", {"pk": "a"})
    store.put("t", {"pk": "a"}, if_absent=True)


DOCUMENT_CASES = [
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "doc": {1: "x"}}),
        ValidationError,
        "invalid item: item.doc: map keys must be strings, got int",
        [("item.doc", "map keys must be strings, got int")],
        id="document-map-key-not-a-str",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "doc": {"tags": [1, object()]}}),
        ValidationError,
        "invalid item: item.doc.tags[1]: cannot store a value of type object",
        [("item.doc.tags[1]", "cannot store a value of type object")],
        id="document-value-of-unsupported-type",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "score": float("nan")}),
        ValidationError,
        "invalid item: item.score: NaN and infinity cannot be stored",
        [("item.score", "NaN and infinity cannot be stored")],
        id="document-float-nan",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "score": Decimal("Infinity")}),
        ValidationError,
        "invalid item: item.score: NaN and infinity cannot be stored",
        [("item.score", "NaN and infinity cannot be stored")],
        id="document-decimal-infinity",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "tags": set()}),
        ValidationError,
        "invalid item: item.tags: empty sets cannot be stored",
        [("item.tags", "empty sets cannot be stored")],
        id="document-empty-set",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "tags": {1, "x"}}),
        ValidationError,
        "invalid item: item.tags: a set must hold only strings, only numbers or only bytes",
        [("item.tags", "a set must hold only strings, only numbers or only bytes")],
        id="document-mixed-set",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "blob": "x" * 409_600}),
        ValidationError,
        "an item must be at most 409600 bytes (names and values), got 409607",
        [],
        id="document-item-too-large",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", "pk", partition_type=_untyped(float)),
        ValidationError,
        "a key attribute's type must be str, int or bytes",
        [],
        id="document-partition-type-unsupported",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", "pk", "sk", sort_type=_untyped(bool)),
        ValidationError,
        "a key attribute's type must be str, int or bytes",
        [],
        id="document-sort-type-unsupported",
    ),
    pytest.param(
        lambda: _documents().create_table("t", "pk"),
        ConflictError,
        "table 't' already exists",
        [],
        id="document-table-exists",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().get("missing", {"pk": "a"}),
        NotFoundError,
        "table 'missing' does not exist",
        [],
        id="document-table-does-not-exist",
    ),
    pytest.param(
        _put_twice_if_absent,
        ConflictError,
        "an item with key ('a',) already exists in 't'",
        [],
        id="document-put-if-absent-existing",
    ),
    pytest.param(
        lambda: _documents().put("t", {"id": "a"}),
        ValidationError,
        "missing key attribute 'pk'",
        [],
        id="document-key-attribute-missing",
    ),
    pytest.param(
        lambda: _documents().get("t", {"pk": "a", "extra": 1}),
        ValidationError,
        "a key must have exactly the attributes ['pk']",
        [],
        id="document-key-with-extra-attributes",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": True}),
        ValidationError,
        "key attribute 'pk' must be a string, number or bytes",
        [],
        id="document-key-a-bool",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": ""}),
        ValidationError,
        "key attribute 'pk' must not be empty",
        [],
        id="document-key-empty",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": 7}),
        ValidationError,
        "key attribute 'pk' must be of type str, got int",
        [],
        id="document-key-wrong-type",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "k" * 2049}),
        ValidationError,
        "key attribute 'pk' must be at most 2048 bytes",
        [],
        id="document-partition-key-too-long",
    ),
    pytest.param(
        lambda: _documents("sk").put("t", {"pk": "a", "sk": "s" * 1025}),
        ValidationError,
        "key attribute 'sk' must be at most 1024 bytes",
        [],
        id="document-sort-key-too-long",
    ),
    pytest.param(
        lambda: _documents().query("t", "a", limit=0),
        ValidationError,
        "limit must be >= 1",
        [],
        id="document-query-limit-zero",
    ),
    pytest.param(
        lambda: _documents().query("t", "a", sort_prefix="x"),
        ValidationError,
        "table 't' has no sort key to match a prefix on",
        [],
        id="document-query-prefix-without-sort-key",
    ),
    pytest.param(
        lambda: _documents("sk", sort_type=int).query("t", "a", sort_prefix="x"),
        ValidationError,
        "sort_prefix needs a string sort key; 'sk' is not one",
        [],
        id="document-query-prefix-on-number-sort-key",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().get("", {"pk": "a"}),
        ValidationError,
        "a table name must be a non-empty string, got ''",
        [],
        id="document-table-name-empty",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("a b", "pk"),
        ValidationError,
        "table name 'a b' must be 1 to 255 ASCII letters, digits, '_', '-' or '.'",
        [],
        id="document-create-table-name-refused",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", ""),
        ValidationError,
        "partition_key must be 1 to 255 characters, got 0",
        [],
        id="document-create-partition-key-empty",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", _untyped(1)),
        ValidationError,
        "partition_key must be a string, got int",
        [],
        id="document-create-partition-key-not-a-str",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", "pk", "pk"),
        ValidationError,
        "sort_key must differ from partition_key; both are 'pk'",
        [],
        id="document-create-sort-key-named-like-partition-key",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", "pk", "s\ud800"),
        ValidationError,
        "sort_key 's\\ud800': a string must have a UTF-8 form (a lone surrogate, U+D800 to"
        " U+DFFF, has none)",
        [],
        id="document-create-sort-key-lone-surrogate",
    ),
    pytest.param(
        lambda: _documents().query("t", "a", limit=_untyped(1.5)),
        ValidationError,
        "limit must be an int, got float",
        [],
        id="document-query-limit-not-an-int",
    ),
    pytest.param(
        lambda: _documents("sk").query("t", "a", sort_prefix=_untyped(1)),
        ValidationError,
        "sort_prefix must be a string, got int",
        [],
        id="document-query-prefix-not-a-str",
    ),
    pytest.param(
        lambda: _documents("sk").query("t", "a", sort_prefix=""),
        ValidationError,
        "sort_prefix must not be empty (None matches every sort key)",
        [],
        id="document-query-prefix-empty",
    ),
    pytest.param(
        lambda: _documents("sk").query("t", "a", sort_prefix="\ud800"),
        ValidationError,
        "sort_prefix: a string must have a UTF-8 form (a lone surrogate, U+D800 to U+DFFF,"
        " has none)",
        [],
        id="document-query-prefix-lone-surrogate",
    ),
    pytest.param(
        lambda: _down(_documents()).query("t", "a"),
        BackendUnavailableError,
        "InMemoryDocumentStore: simulated outage, the backend is unreachable",
        [],
        id="document-store-outage",
    ),
]

# Raise sites with no case, because no call through a fake reaches their text:
# - serpens/_rules/document/_sizes.py ``_value_size``: ``to_stored`` refuses the value first.
# - serpens/fakes/_document.py ``query``'s "sort_prefix needs a string sort key": the
#   declared key types make ``check_query`` refuse it first.


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), DOCUMENT_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
