"""SSM Parameter Store and Secrets Manager adapters (boto3)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import boto3

from serpens.errors import NotFoundError, ValidationError
from serpens_aws._errors import translate_errors

if TYPE_CHECKING:
    from types_boto3_secretsmanager import SecretsManagerClient
    from types_boto3_ssm import SSMClient

__all__ = ["SSMParameterStore", "SecretsManagerStore"]

_SSM_CODES = {"ValidationException": ValidationError, "ParameterNotFound": NotFoundError}
_SECRETS_CODES = {
    "ResourceNotFoundException": NotFoundError,
    "InvalidParameterException": ValidationError,
    "InvalidRequestException": ValidationError,
}
_BATCH = 10  # GetParameters takes at most ten names


class _LazyClient:
    """One boto3 client per adapter, created on first use from the AWS environment."""

    def __init__(self, service: str, client: Any, endpoint_url: str | None) -> None:
        self._service = service
        self._client = client
        self._endpoint_url = endpoint_url
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = boto3.client(self._service, endpoint_url=self._endpoint_url)  # type: ignore[call-overload]
        return self._client


class SSMParameterStore:
    """:class:`serpens.ports.ParameterStore` over AWS Systems Manager Parameter Store."""

    def __init__(self, client: SSMClient | None = None, *, endpoint_url: str | None = None) -> None:
        self._client = _LazyClient("ssm", client, endpoint_url)

    @property
    def client(self) -> SSMClient:
        """The boto3 SSM client, created on first use."""
        return self._client.get()  # type: ignore[no-any-return]

    def get_parameters(self, names: Sequence[str], *, decrypt: bool = True) -> dict[str, str]:
        """See :meth:`serpens.ports.ParameterStore.get_parameters`."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(names))
        for start in range(0, len(unique), _BATCH):
            batch = unique[start : start + _BATCH]
            with translate_errors(f"SSM parameters {batch}", _SSM_CODES):
                answer = self.client.get_parameters(Names=batch, WithDecryption=decrypt)
            found.update({p["Name"]: p["Value"] for p in answer["Parameters"]})
        return {name: found[name] for name in unique if name in found}

    def get_parameters_by_path(
        self, path: str, *, recursive: bool = True, decrypt: bool = True
    ) -> dict[str, str]:
        """See :meth:`serpens.ports.ParameterStore.get_parameters_by_path`."""
        if not path.startswith("/"):
            raise ValidationError(f"parameter path {path!r} must start with '/'")
        found: dict[str, str] = {}
        with translate_errors(f"SSM path {path!r}", _SSM_CODES):
            paginator = self.client.get_paginator("get_parameters_by_path")
            for page in paginator.paginate(Path=path, Recursive=recursive, WithDecryption=decrypt):
                found.update({p["Name"]: p["Value"] for p in page["Parameters"]})
        return dict(sorted(found.items()))


class SecretsManagerStore:
    """:class:`serpens.ports.SecretStore` over AWS Secrets Manager."""

    def __init__(
        self, client: SecretsManagerClient | None = None, *, endpoint_url: str | None = None
    ) -> None:
        self._client = _LazyClient("secretsmanager", client, endpoint_url)

    @property
    def client(self) -> SecretsManagerClient:
        """The boto3 Secrets Manager client, created on first use."""
        return self._client.get()  # type: ignore[no-any-return]

    def get_secret(self, secret_id: str) -> str | bytes:
        """See :meth:`serpens.ports.SecretStore.get_secret`."""
        with translate_errors(
            f"secret {secret_id!r}",
            _SECRETS_CODES,
            {"ResourceNotFoundException": f"secret {secret_id!r} does not exist"},
        ):
            answer: dict[str, Any] = dict(self.client.get_secret_value(SecretId=secret_id))
        if "SecretString" in answer:
            return str(answer["SecretString"])
        return bytes(answer["SecretBinary"])
