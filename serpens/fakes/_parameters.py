"""In-memory ParameterStore and SecretStore with SSM and Secrets Manager semantics."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping, Sequence

from serpens._rules.parameters import check_names, check_path, check_secret_id, parameter_key
from serpens.errors import NotFoundError, ValidationError
from serpens.fakes._outage import OutageSwitch

__all__ = ["InMemoryParameterStore", "InMemorySecretStore"]

_MAX_SECRET_LENGTH = 65_536
"""``SecretString`` and ``SecretBinary``: 1 to 65,536 (botocore's CreateSecret model)."""


def _check_path(path: str) -> str:
    return check_path(path).rstrip("/") + "/"


def _ciphertext(name: str, value: str) -> str:
    """An opaque stand-in for KMS ciphertext: it never reveals the value."""
    digest = hashlib.sha256(f"{name}\0{value}".encode()).digest()
    return base64.b64encode(b"serpens-fake-kms" + digest).decode("ascii")


class InMemoryParameterStore(OutageSwitch):
    """A :class:`serpens.ports.ParameterStore` kept in a dict, for unit tests.

    ``put(name, value, secure=True)`` stores a ``SecureString``: read with
    ``decrypt=False`` it comes back as opaque ciphertext, never the value, as on SSM.
    A top-level name is one parameter with or without its leading ``/`` (``plain`` is
    ``/plain``), keeps the name it was created with, and is under the path ``/``.
    """

    def __init__(self, parameters: Mapping[str, str] | None = None) -> None:
        self._values: dict[str, str] = {}
        self._names: dict[str, str] = {}  # parameter_key -> the name it was created with
        self._secure: set[str] = set()
        for name, value in (parameters or {}).items():
            self.put(name, value)

    def put(self, name: str, value: str, *, secure: bool = False) -> None:
        """Create or overwrite parameter *name* (a ``SecureString`` when *secure*)."""
        if not name or not isinstance(value, str) or not value:
            raise ValidationError(f"parameter {name!r} needs a non-empty name and string value")
        name = self._names.setdefault(parameter_key(name), name)
        self._values[name] = value
        if secure:
            self._secure.add(name)
        else:
            self._secure.discard(name)

    def _read(self, name: str, decrypt: bool) -> str:
        value = self._values[name]
        return _ciphertext(name, value) if name in self._secure and not decrypt else value

    def get_parameters(self, names: Sequence[str], *, decrypt: bool = True) -> dict[str, str]:
        """See :meth:`serpens.ports.ParameterStore.get_parameters`."""
        unique = check_names(names)
        self._check_outage()
        stored = {name: self._names.get(parameter_key(name)) for name in unique}
        return {name: self._read(own, decrypt) for name, own in stored.items() if own is not None}

    def get_parameters_by_path(
        self, path: str, *, recursive: bool = True, decrypt: bool = True
    ) -> dict[str, str]:
        """See :meth:`serpens.ports.ParameterStore.get_parameters_by_path`."""
        prefix = _check_path(path)
        self._check_outage()
        found: dict[str, str] = {}
        for name in sorted(self._values):
            full = name if name.startswith("/") else f"/{name}"  # ``plain`` is under ``/``
            if full.startswith(prefix) and (recursive or "/" not in full[len(prefix) :]):
                found[name] = self._read(name, decrypt)
        return found


class InMemorySecretStore(OutageSwitch):
    """A :class:`serpens.ports.SecretStore` kept in a dict, for unit tests.

    Secrets are addressed by name or by the ARN :meth:`put` returns, as on Secrets
    Manager (``arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>``).
    """

    def __init__(
        self,
        secrets: Mapping[str, str | bytes] | None = None,
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
    ) -> None:
        self._values: dict[str, str | bytes] = {}
        self._arns: dict[str, str] = {}  # ARN -> name
        self._prefix = f"arn:aws:secretsmanager:{region}:{account}:secret:"
        for secret_id, value in (secrets or {}).items():
            self.put(secret_id, value)

    def put(self, secret_id: str, value: str | bytes) -> str:
        """Create or overwrite the secret *secret_id*; return its ARN."""
        if not isinstance(value, str | bytes):
            raise ValidationError(f"secret {secret_id!r} needs a str or bytes value")
        if not 1 <= len(value) <= _MAX_SECRET_LENGTH:
            # Secrets Manager (botocore, before sending) takes 1 to 65,536 of either
            raise ValidationError(
                f"secret {secret_id!r} needs a value of 1 to {_MAX_SECRET_LENGTH:,} "
                f"{'characters' if isinstance(value, str) else 'bytes'}, got {len(value):,}"
            )
        name = self._arns.get(secret_id, secret_id)
        if name not in self._values:
            self._arns[f"{self._prefix}{name}-{secrets.token_hex(3)}"] = name
        self._values[name] = value
        return next(arn for arn, owner in self._arns.items() if owner == name)

    def get_secret(self, secret_id: str) -> str | bytes:
        """See :meth:`serpens.ports.SecretStore.get_secret`."""
        check_secret_id(secret_id)
        self._check_outage()
        name = self._arns.get(secret_id, secret_id)
        if name not in self._values and secret_id.startswith(self._prefix):
            # a partial ARN (no "-" and 6 random characters): Secrets Manager finds the
            # secret by the name it ends with
            name = secret_id[len(self._prefix) :]
        try:
            return self._values[name]
        except KeyError:
            raise NotFoundError(f"secret {secret_id!r} does not exist") from None
