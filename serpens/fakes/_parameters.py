"""In-memory ParameterStore and SecretStore with SSM and Secrets Manager semantics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from serpens.errors import NotFoundError, ValidationError
from serpens.fakes._outage import OutageSwitch

__all__ = ["InMemoryParameterStore", "InMemorySecretStore"]


def _check_path(path: str) -> str:
    if not path.startswith("/"):
        raise ValidationError(f"parameter path {path!r} must start with '/'")
    return path.rstrip("/") + "/"


class InMemoryParameterStore(OutageSwitch):
    """A :class:`serpens.ports.ParameterStore` kept in a dict, for unit tests."""

    def __init__(self, parameters: Mapping[str, str] | None = None) -> None:
        self._values: dict[str, str] = {}
        for name, value in (parameters or {}).items():
            self.put(name, value)

    def put(self, name: str, value: str) -> None:
        """Create or overwrite parameter *name*."""
        if not name or not isinstance(value, str) or not value:
            raise ValidationError(f"parameter {name!r} needs a non-empty name and string value")
        self._values[name] = value

    def get_parameters(self, names: Sequence[str], *, decrypt: bool = True) -> dict[str, str]:  # noqa: ARG002 - stored in clear
        """See :meth:`serpens.ports.ParameterStore.get_parameters`."""
        self._check_outage()
        return {name: self._values[name] for name in names if name in self._values}

    def get_parameters_by_path(
        self,
        path: str,
        *,
        recursive: bool = True,
        decrypt: bool = True,  # noqa: ARG002 - stored in clear
    ) -> dict[str, str]:
        """See :meth:`serpens.ports.ParameterStore.get_parameters_by_path`."""
        prefix = _check_path(path)
        self._check_outage()
        return {
            name: value
            for name, value in sorted(self._values.items())
            if name.startswith(prefix) and (recursive or "/" not in name[len(prefix) :])
        }


class InMemorySecretStore(OutageSwitch):
    """A :class:`serpens.ports.SecretStore` kept in a dict, for unit tests."""

    def __init__(self, secrets: Mapping[str, str | bytes] | None = None) -> None:
        self._values: dict[str, str | bytes] = dict(secrets or {})

    def put(self, secret_id: str, value: str | bytes) -> None:
        """Create or overwrite the secret *secret_id*."""
        self._values[secret_id] = value

    def get_secret(self, secret_id: str) -> str | bytes:
        """See :meth:`serpens.ports.SecretStore.get_secret`."""
        self._check_outage()
        try:
            return self._values[secret_id]
        except KeyError:
            raise NotFoundError(f"secret {secret_id!r} does not exist") from None
