"""AWS Secrets Manager getters, cached per process.

``get("prod/db")`` returns a secret's value (parsed when it is JSON, as serpens 2.9
did), fetched once and then served from the
in-process ``serpens.cache.cached`` bucket ``"secrets_manager"`` for 900 s
(``force_fetch=True`` refreshes it). ``get("prod/db", "password")`` reads one key of a
JSON secret. The store is AWS Secrets Manager (``serpens[aws]``) by default; tests swap
in :class:`serpens.fakes.InMemorySecretStore` with :func:`use_store`. Errors name the
secret and key, never a value.

The errors for something missing are also what serpens 2.9 let through, so its callers'
``except`` clauses still catch them: a missing secret is a ``serpens_aws.SecretNotFoundError``
(``NotFoundError`` and botocore's ``ClientError`` with code ``ResourceNotFoundException``;
with ``serpens[aws]`` installed, whichever store is used), a missing key a
:class:`KeyNotFoundError` (``NotFoundError`` and ``KeyError``).
"""

from __future__ import annotations

import asyncio
import json
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal

from serpens._extras import aws_not_found
from serpens._slot import Slot
from serpens.cache import cached, clear_cache
from serpens.errors import NotFoundError, SerializationError, ValidationError

if TYPE_CHECKING:
    from serpens.ports import SecretStore

__all__ = [
    "CACHE_BUCKET",
    "CACHE_TTL",
    "KeyNotFoundError",
    "aget",
    "get",
    "get_store",
    "set_store",
    "use_store",
]

CACHE_BUCKET = "secrets_manager"
CACHE_TTL = 900.0
"""Seconds a fetched secret is served from the process cache."""


class KeyNotFoundError(NotFoundError, KeyError):
    """A key that a JSON secret does not hold.

    Also a ``KeyError``, which serpens 2.9 raised there (``except KeyError`` keeps
    working); ``key`` is the missing key, ``str()`` names the secret and the key.
    """

    def __init__(self, secret_id: str, key: str) -> None:
        super().__init__(f"secret {secret_id!r} has no key {key!r}")
        self.secret_id = secret_id
        self.key = key

    def __str__(self) -> str:  # KeyError's would quote the message
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.secret_id, self.key)


def _aws_store() -> SecretStore:
    from serpens_aws import SecretsManagerStore  # noqa: PLC0415 - needs serpens[aws]

    return SecretsManagerStore()


def _forget() -> None:
    clear_cache(CACHE_BUCKET)


_store: Slot[SecretStore] = Slot(_aws_store, on_change=_forget)


def get_store() -> SecretStore:
    """Return the process-wide secret store (Secrets Manager unless replaced)."""
    return _store.get()


def set_store(store: SecretStore | None) -> None:
    """Use *store* from now on (``None``: Secrets Manager again); the cache is cleared."""
    _store.set(store)


def use_store(store: SecretStore) -> AbstractContextManager[SecretStore]:
    """Use *store* inside the ``with`` block; the cache is cleared on entry and exit."""
    return _store.use(store)


@cached(CACHE_BUCKET, CACHE_TTL)
def _fetch(secret_id: str) -> str | bytes:
    return get_store().get_secret(secret_id)


def _json_or_raw(value: str | bytes) -> Any:
    """2.9.0's rule: a JSON secret string comes back parsed, anything else as stored."""
    if isinstance(value, bytes):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):  # not JSON: the plain string itself
        return value


def _parsed(secret_id: str, value: str | bytes) -> Any:
    try:
        return json.loads(value)
    except (json.JSONDecodeError, UnicodeDecodeError):
        # ``from None``: the decode error carries the whole document, i.e. the secret
        raise SerializationError(f"secret {secret_id!r} is not valid JSON") from None


def get(
    secret_id: str,
    keyname: str | None = None,
    *,
    transform: Literal["json", "raw"] | None = None,
    force_fetch: bool = False,
) -> Any:
    """Return the secret's value, as serpens 2.9 did.

    A secret string holding JSON comes back parsed (``{"user": ..., "password": ...}``
    is a dict); any other string comes back as is, and a binary secret as ``bytes``.
    With *keyname* the secret must be a JSON object and that key's value is returned;
    ``transform="json"`` insists on JSON (an error otherwise) and ``transform="raw"``
    returns the stored string unparsed. ``force_fetch=True`` empties the
    ``"secrets_manager"`` cache bucket first.

    Raises:
        NotFoundError: the secret does not exist (with ``serpens[aws]`` a
            ``serpens_aws.SecretNotFoundError``, also botocore's ``ClientError``, as 2.9
            raised), or *keyname* is not in it (:class:`KeyNotFoundError`, a ``KeyError``).
        SerializationError: the secret is not JSON but *keyname* or ``transform`` needs it.
        ValidationError: *keyname* was given for a secret that is not a JSON object.
    """
    if force_fetch:
        _forget()
    try:
        value = _fetch(secret_id)
    except NotFoundError as exc:
        error = aws_not_found("SecretNotFoundError", exc, f"secret {secret_id!r} does not exist")
        if error is exc:
            raise
        raise error from exc
    if keyname is None:
        if transform == "raw":
            return value
        return _json_or_raw(value) if transform is None else _parsed(secret_id, value)
    document = _parsed(secret_id, value)
    if not isinstance(document, dict):
        raise ValidationError(f"secret {secret_id!r} is not a JSON object; cannot read a key")
    if keyname not in document:
        raise KeyNotFoundError(secret_id, keyname)
    return document[keyname]


async def aget(
    secret_id: str,
    keyname: str | None = None,
    *,
    transform: Literal["json", "raw"] | None = None,
    force_fetch: bool = False,
) -> Any:
    """:func:`get` in a worker thread, so the event loop never waits on AWS."""
    return await asyncio.to_thread(
        get, secret_id, keyname, transform=transform, force_fetch=force_fetch
    )
