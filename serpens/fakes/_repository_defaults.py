"""Column defaults of the in-memory repository: Python-side, ``now()`` and SQL literals.

Read once per model from its metadata (:class:`~serpens.fakes._repository_rows.RowRules`
calls :func:`_evaluator` per column), apart from the row rules that apply them: a default
the fake cannot emulate is refused here, at construction, with a ``ConfigurationError``.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from serpens._rules.repository import DefaultContext, ModelInfo
from serpens.errors import ConfigurationError
from serpens.fakes._repository_values import copy_value

__all__: list[str] = []  # private: RowRules imports _evaluator and _key_sequence

_NOW_NAMES = {"now", "current_timestamp", "localtimestamp", "now()", "current_timestamp()"}


def _evaluator(
    info: ModelInfo, key: str, default: Any, clock: Callable[[], dt.datetime]
) -> Callable[[dict[str, object]], object] | None:
    """A zero-argument callable for a column default, or ``None`` when there is none.

    Python-side defaults are called or copied; of server defaults, ``now()`` (by any of
    its SQL names) reads the fake's clock and a literal (``server_default="new"``,
    ``text("0")``, ``sa.true()``) becomes the value the column reads back; the generated
    key's ``Sequence`` or ``Identity`` is its counter's. Anything else (a sequence on
    another column too) is a ``ConfigurationError``: the fake never guesses what a
    server would compute.
    """
    if default is None:
        return None
    if getattr(default, "is_sequence", False) or getattr(default, "is_identity", False):
        if info.columns[key].autoincrement:
            return None  # the autoincrement counter stands in for its sequence
        raise ConfigurationError(
            f"the in-memory repository cannot emulate the sequence of {info.name}.{key} "
            f"({default!r}): on a column other than the generated key PostgreSQL writes "
            "its next value and SQLite NULL; use a Python-side default, or test it on a "
            "database"
        )
    if getattr(default, "is_scalar", False):
        value = default.arg
        return lambda _row: copy_value(value)
    if getattr(default, "is_callable", False):
        # SQLAlchemy hands it the INSERT's context (a zero-argument default is wrapped to
        # ignore it): ours holds the row, by column key, for get_current_parameters()
        names = {k: c.column.key for k, c in info.columns.items()}
        return lambda row: default.arg(
            DefaultContext({names[k]: v for k, v in row.items() if k in names})
        )
    arg = getattr(default, "arg", None)
    if isinstance(arg, str):  # server_default="new": the literal itself, SQL-quoted by DDL
        literal: Any = _literal(info, key, arg)
    else:
        # a SQL function by its name (now(6) is now); anything else, text() too, as the
        # SQL it compiles to: text("'a\\:b'") is the literal 'a:b', as the DDL writes it
        name = getattr(arg, "name", None)
        sql = (name if isinstance(name, str) and name else str(arg)).strip()
        if sql.lower() in _NOW_NAMES:
            return lambda _row: clock()
        literal = _sql_literal(info, key, sql)
    return lambda _row: literal


def _sql_literal(info: ModelInfo, key: str, sql: str) -> object:
    """The value of the SQL literal *sql* (``'o''neil'``, ``-1.25``, ``true``) in *key*."""
    if len(sql) >= 2 and sql[0] == sql[-1] == "'":  # noqa: PLR2004 - the two quotes
        return _literal(info, key, sql[1:-1].replace("''", "'"))
    if _SQL_WORD.fullmatch(sql):
        return _literal(info, key, sql)
    raise _cannot_emulate(info, key, sql)


_SQL_WORD = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?|true|false", re.IGNORECASE)
_TRUE = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}


def _literal(info: ModelInfo, key: str, text: str) -> object:
    """The value a column of *key*'s type reads back for the SQL literal *text*."""
    column_type = info.columns[key].column.type
    try:
        python_type = getattr(column_type, "impl_instance", column_type).python_type
        if python_type is bool:
            return _TRUE[text.lower()]
        if python_type in (str, int, float, Decimal):
            return python_type(text)
        if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
            return python_type[text]  # SQLAlchemy's Enum stores member names
    except (KeyError, ValueError, ArithmeticError, NotImplementedError) as exc:
        raise _not_a_value(info, key, text) from exc
    raise _not_a_value(info, key, text)


def _not_a_value(info: ModelInfo, key: str, text: str) -> ConfigurationError:
    return ConfigurationError(
        f"the in-memory repository cannot read the server default {text!r} of "
        f"{info.name}.{key} as a value of its column type"
    )


def _cannot_emulate(info: ModelInfo, key: str, default: object) -> ConfigurationError:
    return ConfigurationError(
        f"the in-memory repository cannot emulate the default of {info.name}.{key} "
        f"({default!r}); use a Python-side default, now() or a literal"
    )


def _key_sequence(info: ModelInfo, key: str | None) -> tuple[int, int]:
    """``(start, increment)`` of the sequence generating column *key* (``(1, 1)`` if none).

    ``Identity(start=100, increment=10)`` and ``Sequence("s", start=1000)`` start and step
    there on PostgreSQL.
    """
    if key is None:
        return 1, 1
    column = info.columns[key].column
    source = column.identity
    if source is None and getattr(column.default, "is_sequence", False):
        source = column.default
    start = getattr(source, "start", None)
    step = getattr(source, "increment", None)
    return (1 if start is None else int(start)), (1 if step is None else int(step))
