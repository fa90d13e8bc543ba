"""Sans-I/O knowledge about one SQLAlchemy-mapped model, shared by the fake and the adapter.

Both :class:`serpens.fakes.InMemoryRepository` and ``serpens_sqlalchemy.SQLAlchemyRepository``
validate field names, ``order_by``, conflict targets, pages and cursors here, so they reject
bad input with the same :class:`~serpens.errors.ValidationError` before any I/O. SQLAlchemy
is imported lazily: importing this package needs no SDK.

One module per part, each built on those before it: :mod:`._values` (numbers, NaN,
text, hashable stand-ins), :mod:`._batch` (:class:`Batch`, a checked batch of rows),
:mod:`._column_types` (what a SQLAlchemy type allows), :mod:`._columns`
(:class:`ColumnInfo`), :mod:`._terms` (:class:`OrderTerm`, :class:`RawOrder`), then the
parts of :class:`ModelInfo`: :mod:`._fields`, :mod:`._pages`, :mod:`._ordering` and
:mod:`._writes`, joined in :mod:`._model`.
"""

from serpens._rules.repository._batch import Batch, column_values
from serpens._rules.repository._columns import ColumnInfo
from serpens._rules.repository._context import DefaultContext
from serpens._rules.repository._model import _CACHE as _CACHE
from serpens._rules.repository._model import ModelInfo, model_info, supported_model_info
from serpens._rules.repository._pages import MAX_CURSOR_LENGTH as MAX_CURSOR_LENGTH
from serpens._rules.repository._pages import MAX_PAGE_SIZE as MAX_PAGE_SIZE
from serpens._rules.repository._terms import OrderTerm, RawOrder
from serpens._rules.repository._values import (
    DECIMAL_NAN,
    FLOAT_NAN,
    array_rank,
    as_array,
    frozen,
    hashable,
    is_sql_expression,
    same_nan,
)
from serpens._rules.repository._values import round_to_scale as round_to_scale

__all__ = [
    "DECIMAL_NAN",
    "FLOAT_NAN",
    "Batch",
    "ColumnInfo",
    "DefaultContext",
    "ModelInfo",
    "OrderTerm",
    "RawOrder",
    "array_rank",
    "as_array",
    "column_values",
    "frozen",
    "hashable",
    "is_sql_expression",
    "model_info",
    "same_nan",
    "supported_model_info",
]
