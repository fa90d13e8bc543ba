"""Checks of a table's name and keys (``create_table``) and of a query's arguments.

Each raises :class:`~serpens.errors.ValidationError` before any I/O, for what DynamoDB
(or botocore, before sending) would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from serpens._rules.document._keys import KeyType, validate_key_value
from serpens._rules.document._values import _NO_UTF8
from serpens._rules.text import has_utf8
from serpens.errors import ValidationError

MAX_TABLE_NAME_LENGTH = 255
"""Longest table name ``CreateTable`` takes; names are ASCII letters, digits, ``_-.``."""
MAX_KEY_NAME_LENGTH = 255
"""Longest key attribute name ``CreateTable`` takes (its ``KeySchema``), in characters."""
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,255}")
"""DynamoDB's table name characters. DynamoDB also needs at least 3 of them; serpens
takes shorter names still (existing code and tests create tables named ``"t"``)."""


def check_table_name(table: object) -> None:
    """Raise ValidationError unless *table* names a table: a non-empty string.

    DynamoDB refuses an empty name (botocore before sending); a table never created is
    a :class:`~serpens.errors.NotFoundError`.
    """
    if not isinstance(table, str) or not table:
        raise ValidationError(f"a table name must be a non-empty string, got {table!r}")


def check_table(table: object, partition_key: object, sort_key: object) -> None:
    """Raise ValidationError for a ``create_table`` DynamoDB refuses, before any I/O.

    The table name is 1 to 255 ASCII letters, digits, ``_``, ``-`` or ``.``; each key
    attribute name a string of 1 to 255 characters with a UTF-8 form; a sort key, when
    given (not ``None``), is named unlike the partition key.
    """
    check_table_name(table)
    assert isinstance(table, str)  # noqa: S101 - check_table_name made sure
    if _TABLE_NAME.fullmatch(table) is None:
        raise ValidationError(
            f"table name {table!r} must be 1 to {MAX_TABLE_NAME_LENGTH} ASCII letters,"
            " digits, '_', '-' or '.'"
        )
    _check_key_name("partition_key", partition_key)
    if sort_key is not None:
        _check_key_name("sort_key", sort_key)
        if sort_key == partition_key:
            raise ValidationError(
                f"sort_key must differ from partition_key; both are {partition_key!r}"
            )


def _check_key_name(argument: str, name: object) -> None:
    if not isinstance(name, str):
        raise ValidationError(f"{argument} must be a string, got {type(name).__name__}")
    if not 1 <= len(name) <= MAX_KEY_NAME_LENGTH:
        raise ValidationError(
            f"{argument} must be 1 to {MAX_KEY_NAME_LENGTH} characters, got {len(name)}"
        )
    if not has_utf8(name):
        raise ValidationError(f"{argument} {name!r}: {_NO_UTF8}")


def check_query(
    table: str,
    partition_key: str,
    sort_key: str | None,
    partition: object,
    *,
    sort_prefix: object,
    limit: object,
    types: Mapping[str, KeyType] | None = None,
) -> None:
    """Raise ValidationError for a query the table cannot answer.

    *types* maps key attribute names to their declared types (checked when given): a
    ``sort_prefix`` needs a string sort key, and is itself a non-empty string with a
    UTF-8 form (DynamoDB refuses an empty key condition value); ``limit`` is an ``int``
    (not a ``bool``) of at least 1.
    """
    validate_key_value(partition_key, partition, (types or {}).get(partition_key))
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise ValidationError(f"limit must be an int, got {type(limit).__name__}")
        if limit < 1:
            raise ValidationError("limit must be >= 1")
    if sort_prefix is None:
        return
    if sort_key is None:
        raise ValidationError(f"table {table!r} has no sort key to match a prefix on")
    if (types or {}).get(sort_key, str) is not str:
        raise ValidationError(f"sort_prefix needs a string sort key; {sort_key!r} is not one")
    if not isinstance(sort_prefix, str):
        raise ValidationError(f"sort_prefix must be a string, got {type(sort_prefix).__name__}")
    if not sort_prefix:
        raise ValidationError("sort_prefix must not be empty (None matches every sort key)")
    if not has_utf8(sort_prefix):
        raise ValidationError(f"sort_prefix: {_NO_UTF8}")
