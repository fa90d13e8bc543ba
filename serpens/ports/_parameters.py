"""Ports for configuration held outside the process: parameters and secrets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["ParameterStore", "SecretStore"]


class ParameterStore(Protocol):
    """Named string parameters in a hierarchy (AWS SSM Parameter Store semantics).

    Names are absolute paths (``/app/db/host``) or plain names. Values are strings
    (a ``StringList`` stays comma-separated); a ``SecureString`` read with
    ``decrypt=False`` is its ciphertext, never its value. Any number of names may be
    asked for (SSM's ten per call and ten per page are the adapter's business). A path
    matches whole segments (``/app/a`` does not hold ``/app/ab``); a path that does not
    start with ``/`` raises :class:`serpens.errors.ValidationError` (pinned by
    ``serpens_contract.ParameterStoreContract``). Errors: an unreachable service raises
    :class:`serpens.errors.BackendUnavailableError`; a timeout
    :class:`serpens.errors.BackendTimeoutError` (never an empty answer, which would pass
    for missing parameters). Messages name parameters, never values.
    """

    def get_parameters(self, names: Sequence[str], *, decrypt: bool = True) -> dict[str, str]:
        """Return ``{name: value}`` for the *names* that exist; missing ones are left out.

        ``decrypt`` decrypts ``SecureString`` values (otherwise their ciphertext returns).
        A name that is not a str of 1 to 2,048 characters raises
        :class:`serpens.errors.ValidationError` with a ``FieldError`` at ``names[i]``
        for each, and *names* that are not a collection of names (a bare ``str``,
        ``None``, a mapping) are refused, before any I/O; any iterable is read once.
        """
        ...

    def get_parameters_by_path(
        self, path: str, *, recursive: bool = True, decrypt: bool = True
    ) -> dict[str, str]:
        """Return ``{full name: value}`` for the parameters under *path*, sorted by name.

        Without ``recursive`` only the direct children of *path* are returned. An empty
        result is not an error. A *path* that is not a str of at most 2,048 characters
        starting with ``/`` (``None`` included) raises
        :class:`serpens.errors.ValidationError` before any I/O.
        """
        ...


class SecretStore(Protocol):
    """Secrets addressed by name or ARN (AWS Secrets Manager semantics).

    The current value is returned: a string secret as ``str``, a binary one as
    ``bytes`` (pinned by ``serpens_contract.SecretStoreContract``). Errors: a secret
    that does not exist raises :class:`serpens.errors.NotFoundError` naming it; an
    unreachable service :class:`serpens.errors.BackendUnavailableError`; a timeout
    :class:`serpens.errors.BackendTimeoutError`. During an outage a missing secret raises
    the outage's error, not ``NotFoundError``. Messages never contain a secret's value.
    """

    def get_secret(self, secret_id: str) -> str | bytes:
        """Return the current value: the string, or the bytes of a binary secret.

        A *secret_id* that is not a str of 1 to 2,048 characters raises
        :class:`serpens.errors.ValidationError` (field ``secret_id``) before any I/O.
        """
        ...
