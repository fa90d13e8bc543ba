""":class:`ModelInfo`, all the rules of one mapped class, and its per-model cache.

Its parts live one module each (:mod:`._fields`, :mod:`._ordering`, :mod:`._writes`,
:mod:`._pages`); :func:`model_info` builds one per mapped class and keeps it.
"""

from __future__ import annotations

from typing import Any

from serpens._rules.repository._ordering import ModelOrdering
from serpens._rules.repository._pages import ModelPages
from serpens._rules.repository._writes import ModelWrites


class ModelInfo(ModelPages, ModelWrites, ModelOrdering):
    """Columns, keys, unique constraints and version column of one mapped class."""


_CACHE: dict[type[Any], ModelInfo] = {}


def model_info(model: type[Any]) -> ModelInfo:
    """Return the (cached) :class:`ModelInfo` of *model*."""
    info = _CACHE.get(model)
    if info is None:
        info = _CACHE[model] = ModelInfo(model)
    return info
