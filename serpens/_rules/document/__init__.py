"""Sans-I/O value rules shared by every DocumentStore (fake and DynamoDB adapter).

The limits are DynamoDB's, counted as DynamoDB counts them (item size, key sizes and
types, number digits and range), so an item the fake accepts is one DynamoDB accepts.

One module per subject: :mod:`._values` (the stored form of a value, numbers included),
:mod:`._keys` (key types and values), :mod:`._sizes` (item sizes) and :mod:`._tables`
(table names, ``create_table`` and query arguments).
"""

from serpens._rules.document._keys import (
    KEY_TYPES,
    MAX_PARTITION_KEY_BYTES,
    MAX_SORT_KEY_BYTES,
    KeyType,
    KeyTypeCode,
    key_type_code,
    stored_key,
    validate_key_value,
)
from serpens._rules.document._sizes import (
    MAX_ITEM_BYTES,
    QUERY_PAGE_BYTES,
    check_item_size,
    item_size,
)
from serpens._rules.document._tables import (
    MAX_KEY_NAME_LENGTH,
    MAX_TABLE_NAME_LENGTH,
    check_query,
    check_table,
    check_table_name,
)
from serpens._rules.document._values import MAX_NAME_BYTES, MAX_NESTING, from_stored, to_stored

__all__ = [
    "KEY_TYPES",
    "MAX_ITEM_BYTES",
    "MAX_KEY_NAME_LENGTH",
    "MAX_NAME_BYTES",
    "MAX_NESTING",
    "MAX_PARTITION_KEY_BYTES",
    "MAX_SORT_KEY_BYTES",
    "MAX_TABLE_NAME_LENGTH",
    "QUERY_PAGE_BYTES",
    "KeyType",
    "KeyTypeCode",
    "check_item_size",
    "check_query",
    "check_table",
    "check_table_name",
    "from_stored",
    "item_size",
    "key_type_code",
    "stored_key",
    "to_stored",
    "validate_key_value",
]
