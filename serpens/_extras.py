"""Lazy imports of optional SDKs with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, cast

from serpens.errors import MissingExtraError, NotFoundError

__all__ = ["aws_not_found", "require"]


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


def aws_not_found(kind: str, exc: NotFoundError, message: str) -> NotFoundError:
    """*exc* as ``serpens_aws.<kind>``: a ``NotFoundError`` that is also botocore's ``ClientError``.

    serpens 2.9 let botocore's ``ClientError`` through for a missing secret or parameter,
    so its callers wrote ``except ClientError``; this error satisfies both clauses. Without
    ``serpens[aws]`` no caller can catch ``ClientError``, so *exc* is returned as it is.
    """
    try:
        module = importlib.import_module("serpens_aws")
    except ImportError:
        return exc
    kind_class: type = getattr(module, kind)
    if isinstance(exc, kind_class):
        return exc
    found: NotFoundError = cast("Any", kind_class).answer(message)
    return found
