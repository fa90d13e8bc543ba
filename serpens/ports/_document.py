"""The DocumentStore port: key-addressed items in named tables (DynamoDB semantics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol, TypeAlias

__all__ = ["DocumentStore", "Item", "KeyValue"]

KeyValue: TypeAlias = str | int | Decimal | bytes
Item: TypeAlias = dict[str, object]
"""A stored item. Numbers read back as ``int`` when integral, else ``Decimal``."""


class DocumentStore(Protocol):
    """Tables of items addressed by a partition key and an optional sort key.

    Shared semantics (pinned by ``serpens_contract.DocumentStoreContract``):

    - Values: str, bool, None, bytes, int, float, Decimal, lists, string-keyed dicts and
      sets. Numbers are stored exactly (a float is stored as its shortest ``repr``) and
      read back as ``int`` when integral, else ``Decimal``. Empty-string key values and
      NaN/infinity are rejected with :class:`serpens.errors.ValidationError`, as is a
      number (attribute, nested element or key) DynamoDB cannot store: more than 38
      significant digits, or a magnitude outside 1E-130 to 9.99...E+125 (38 nines); an
      invalid value's error holds one FieldError whose path locates it (``item.doc.tags[2]``,
      or the key attribute's name). A subclass of ``str``, ``int``, ``float`` or ``bytes``
      (an ``IntEnum`` or ``StrEnum`` member) is stored as its value and read back as the
      plain type, in keys, names, nested values and sets alike.
    - ``put`` replaces the whole item; ``if_absent=True`` raises
      :class:`serpens.errors.ConflictError` when an item with that key exists.
    - ``query`` returns the items of one partition ordered by sort key (ascending, or
      descending with ``descending=True``), optionally only sort keys starting with
      ``sort_prefix`` (string sort keys only; a non-empty ``str``, since DynamoDB refuses
      an empty key condition value: ``None`` matches every sort key); ``limit`` (an
      ``int`` >= 1, not a ``bool``) caps the count. It returns every matching item
      however many 1 MB pages DynamoDB needs for them.
    - Limits are DynamoDB's, counted as DynamoDB counts them, and raise
      :class:`serpens.errors.ValidationError`: an item is at most 409,600 bytes (400 KB),
      the UTF-8 bytes of every attribute name plus its value's size (strings their
      UTF-8 bytes, binary its length, numbers 1 byte per two significant digits plus 1,
      booleans and nulls 1, lists and maps 3 bytes plus 1 per element, and a map
      element's name). Key attributes have the type their table declares (``str``,
      ``int`` or ``bytes``: ``create_table``'s ``partition_type`` and ``sort_type``,
      ``str`` by default; ``int`` sort keys order numerically); a string or binary
      partition key is at most 2048 bytes, a sort key at most 1024.
    - An item whose key attributes are missing raises ``ValidationError``, and so do an
      item or key that is not a mapping (``None``, a list of pairs) and an empty table
      name; a table that does not exist raises
      :class:`serpens.errors.NotFoundError`; an unreachable service raises
      :class:`serpens.errors.BackendUnavailableError`.
    - ``create_table`` (on the fake and the DynamoDB store, not part of this protocol)
      refuses with ``ValidationError``, before any I/O, what ``CreateTable`` refuses: a
      table name that is not 1-255 ASCII letters, digits, ``_``, ``-`` or ``.`` (DynamoDB
      also wants at least 3; serpens does not check that), a partition or sort key name
      that is not a string of 1-255 characters, and a sort key named like the partition
      key. ``sort_key=None`` means no sort key; ``""`` is refused.
    """

    def put(self, table: str, item: Mapping[str, object], *, if_absent: bool = False) -> None:
        """Store *item* (which contains its key attributes), replacing any existing one."""
        ...

    def get(self, table: str, key: Mapping[str, KeyValue]) -> Item | None:
        """Return the item with *key*, or ``None``."""
        ...

    def delete(self, table: str, key: Mapping[str, KeyValue]) -> bool:
        """Delete the item with *key*; return whether it existed."""
        ...

    def query(
        self,
        table: str,
        partition: KeyValue,
        *,
        sort_prefix: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> Sequence[Item]:
        """Return items whose partition key equals *partition*, ordered by sort key."""
        ...
