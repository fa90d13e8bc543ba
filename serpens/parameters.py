"""SSM Parameter Store getters, cached per process.

``get("/app/db/host")`` returns a parameter's value, fetched once and then served from
the in-process ``serpens.cache.cached`` bucket ``"parameters"`` for 15 minutes
(``force_fetch=True`` refreshes it). The store is AWS SSM (``serpens[aws]``) by default;
tests swap in :class:`serpens.fakes.InMemoryParameterStore` with :func:`use_store`.
Errors name the parameter, never its value. With ``serpens[aws]`` installed, :func:`get`
of a missing parameter raises ``serpens_aws.ParameterNotFoundError``: a ``NotFoundError``
that is also the botocore ``ClientError`` (code ``ParameterNotFound``) serpens 2.9 let
through, so its callers' ``except ClientError`` still catches it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal

from serpens._extras import aws_not_found
from serpens._rules.parameters import check_names, check_path
from serpens._slot import Slot
from serpens.cache import cached, clear_cache
from serpens.errors import NotFoundError, SerializationError

if TYPE_CHECKING:
    from serpens.ports import ParameterStore

__all__ = [
    "CACHE_BUCKET",
    "CACHE_TTL",
    "aget",
    "aget_by_path",
    "aget_many",
    "get",
    "get_by_path",
    "get_many",
    "get_store",
    "set_store",
    "use_store",
]

CACHE_BUCKET = "parameters"
CACHE_TTL = 900.0
"""Seconds a fetched parameter is served from the process cache."""


def _ssm_store() -> ParameterStore:
    from serpens_aws import SSMParameterStore  # noqa: PLC0415 - needs serpens[aws]

    return SSMParameterStore()


def _forget() -> None:
    clear_cache(CACHE_BUCKET)


_store: Slot[ParameterStore] = Slot(_ssm_store, on_change=_forget)


def get_store() -> ParameterStore:
    """Return the process-wide parameter store (SSM unless replaced)."""
    return _store.get()


def set_store(store: ParameterStore | None) -> None:
    """Use *store* from now on (``None``: SSM again); the cache is cleared."""
    _store.set(store)


def use_store(store: ParameterStore) -> AbstractContextManager[ParameterStore]:
    """Use *store* inside the ``with`` block; the cache is cleared on entry and exit."""
    return _store.use(store)


@cached(CACHE_BUCKET, CACHE_TTL)
def _fetch_many(names: tuple[str, ...], decrypt: bool) -> dict[str, str]:
    found = get_store().get_parameters(names, decrypt=decrypt)
    missing = [name for name in names if name not in found]
    if missing:
        raise NotFoundError(f"parameters do not exist: {', '.join(missing)}")
    return found


@cached(CACHE_BUCKET, CACHE_TTL)
def _fetch_path(path: str, recursive: bool, decrypt: bool) -> dict[str, str]:
    return get_store().get_parameters_by_path(path, recursive=recursive, decrypt=decrypt)


def _transformed(name: str, value: str, transform: Literal["json"] | None) -> Any:
    if transform is None:
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        # ``from None``: the decode error carries the whole document, i.e. the value
        raise SerializationError(f"parameter {name!r} is not valid JSON") from None


def get(
    name: str,
    *,
    decrypt: bool = True,
    transform: Literal["json"] | None = None,
    force_fetch: bool = False,
) -> Any:
    """Return parameter *name*'s value (parsed when ``transform="json"``).

    ``force_fetch=True`` empties the ``"parameters"`` cache bucket first, so this and
    later reads fetch fresh values.

    Raises:
        NotFoundError: the parameter does not exist (the message names it); with
            ``serpens[aws]`` a ``serpens_aws.ParameterNotFoundError``, also botocore's
            ``ClientError`` (``ParameterNotFound``), as serpens 2.9 raised.
        SerializationError: ``transform="json"`` and the value is not JSON.
    """
    try:
        found = get_many([name], decrypt=decrypt, transform=transform, force_fetch=force_fetch)
    except NotFoundError as exc:
        error = aws_not_found("ParameterNotFoundError", exc, str(exc))
        if error is exc:
            raise
        raise error from exc
    return found[name]


def get_many(
    names: Sequence[str],
    *,
    decrypt: bool = True,
    transform: Literal["json"] | None = None,
    force_fetch: bool = False,
) -> dict[str, Any]:
    """Return ``{name: value}`` for every name, fetched in batches of ten.

    Raises:
        ValidationError: *names* is not a collection of names (``None``, one str) or a
            name is not a str of 1 to 2,048 characters, before the cache or any I/O.
        NotFoundError: one or more parameters do not exist (the message lists them).
    """
    unique = check_names(names)  # also reads a generator once
    if force_fetch:
        _forget()
    found = _fetch_many(tuple(unique), decrypt)
    return {name: _transformed(name, found[name], transform) for name in unique}


def get_by_path(
    path: str,
    *,
    recursive: bool = True,
    decrypt: bool = True,
    transform: Literal["json"] | None = None,
    force_fetch: bool = False,
) -> dict[str, Any]:
    """Return ``{full name: value}`` for the parameters under *path* (may be empty).

    Raises:
        ValidationError: *path* is not a str starting with ``/``, before the cache or I/O.
    """
    check_path(path)
    if force_fetch:
        _forget()
    found = _fetch_path(path, recursive, decrypt)
    return {name: _transformed(name, value, transform) for name, value in found.items()}


async def aget(
    name: str,
    *,
    decrypt: bool = True,
    transform: Literal["json"] | None = None,
    force_fetch: bool = False,
) -> Any:
    """:func:`get` in a worker thread, so the event loop never waits on SSM."""
    return await asyncio.to_thread(
        get, name, decrypt=decrypt, transform=transform, force_fetch=force_fetch
    )


async def aget_many(
    names: Sequence[str],
    *,
    decrypt: bool = True,
    transform: Literal["json"] | None = None,
    force_fetch: bool = False,
) -> dict[str, Any]:
    """:func:`get_many` in a worker thread."""
    return await asyncio.to_thread(
        get_many, names, decrypt=decrypt, transform=transform, force_fetch=force_fetch
    )


async def aget_by_path(
    path: str,
    *,
    recursive: bool = True,
    decrypt: bool = True,
    transform: Literal["json"] | None = None,
    force_fetch: bool = False,
) -> dict[str, Any]:
    """:func:`get_by_path` in a worker thread."""
    return await asyncio.to_thread(
        get_by_path,
        path,
        recursive=recursive,
        decrypt=decrypt,
        transform=transform,
        force_fetch=force_fetch,
    )
