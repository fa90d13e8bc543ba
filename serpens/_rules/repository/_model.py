""":class:`ModelInfo`, all the rules of one mapped class, and its per-model cache.

Its parts live one module each (:mod:`._fields`, :mod:`._ordering`, :mod:`._writes`,
:mod:`._pages`); :func:`model_info` builds one per mapped class and keeps it.
"""

from __future__ import annotations

from typing import Any

from serpens._rules.repository._ordering import ModelOrdering
from serpens._rules.repository._pages import ModelPages
from serpens._rules.repository._writes import ModelWrites
from serpens.errors import ConfigurationError


class ModelInfo(ModelPages, ModelWrites, ModelOrdering):
    """Columns, keys, unique constraints and version column of one mapped class."""


_CACHE: dict[type[Any], ModelInfo] = {}


def model_info(model: type[Any]) -> ModelInfo:
    """Return the (cached) :class:`ModelInfo` of *model*."""
    info = _CACHE.get(model)
    if info is None:
        info = _CACHE[model] = ModelInfo(model)
    return info


_REFUSED: set[type[Any]] = set()


def supported_model_info(model: type[Any]) -> ModelInfo | None:
    """*model*'s :class:`ModelInfo`, or ``None`` for a model the rules refuse.

    For the objects of any mapped class a session shared by repositories may hold, which
    the service writes itself: a model the rules refuse (``ConfigurationError``, as for
    joined-table inheritance) has no repository, and SQLAlchemy flushes its objects as it
    always did. The refusal is remembered, so a flush does not build the rules again.
    """
    if model in _REFUSED:
        return None
    try:
        return model_info(model)
    except ConfigurationError:
        _REFUSED.add(model)
        return None
