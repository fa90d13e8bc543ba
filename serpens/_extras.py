"""Lazy imports of optional SDKs with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from serpens.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import *module* or raise :class:`MissingExtraError` naming ``serpens[extra]``.

    Only a missing top-level distribution is translated; an ImportError raised
    inside an installed SDK propagates unchanged so real bugs stay visible.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name.split(".")[0]):
            raise MissingExtraError(module, extra) from exc
        raise
