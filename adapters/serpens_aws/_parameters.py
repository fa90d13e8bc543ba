"""SSM Parameter Store and Secrets Manager adapters (boto3).

Both read configuration, usually while a process starts, so the client an adapter builds
for itself waits a bounded time instead of botocore's 60 s: a 2 s connect and a 5 s read
timeout per attempt. botocore's retries apply on top, as ``AWS_RETRY_MODE`` and
``AWS_MAX_ATTEMPTS`` set them (standard mode: three attempts), so an endpoint that
accepts and never answers, or trickles its answer, ends in about three read timeouts
plus back-off, with :class:`~serpens.errors.BackendTimeoutError` (each attempt's whole
answer must arrive within the read timeout, whoever built the client). ``config=`` is
merged over these defaults; a ready ``client=`` keeps its own configuration (passing
both is a :class:`~serpens.errors.ConfigurationError`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from serpens._rules.parameters import check_names, check_path, check_secret_id, parameter_key
from serpens.errors import ConfigurationError, NotFoundError, ValidationError
from serpens_aws._deadline import bound
from serpens_aws._errors import translate_errors
from serpens_aws._not_found import SecretNotFoundError

if TYPE_CHECKING:
    from types_boto3_secretsmanager import SecretsManagerClient
    from types_boto3_ssm import SSMClient

__all__ = ["SSMParameterStore", "SecretsManagerStore"]

_SSM_CODES = {"ValidationException": ValidationError, "ParameterNotFound": NotFoundError}
_SECRETS_CODES = {
    "ResourceNotFoundException": SecretNotFoundError,
    "InvalidParameterException": ValidationError,
    "InvalidRequestException": ValidationError,
}
_BATCH = 10  # GetParameters takes at most ten names
_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5)
"""The deadlines of a client the adapter builds; retries stay botocore's (``AWS_*``)."""


class _LazyClient:
    """One boto3 client per adapter, created on first use from the AWS environment."""

    def __init__(
        self, service: str, client: Any, endpoint_url: str | None, config: Config | None
    ) -> None:
        if client is not None and config is not None:
            raise ConfigurationError(
                f"{service}: config= applies to the client the adapter builds; "
                "configure the client you pass instead"
            )
        if client is not None:
            bound(client)
        self._service = service
        self._client = client
        self._endpoint_url = endpoint_url
        self._config = _CLIENT_CONFIG if config is None else _CLIENT_CONFIG.merge(config)
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    client = boto3.client(  # type: ignore[call-overload]
                        self._service, endpoint_url=self._endpoint_url, config=self._config
                    )
                    bound(client)
                    self._client = client
        return self._client


class SSMParameterStore:
    """:class:`serpens.ports.ParameterStore` over AWS Systems Manager Parameter Store.

    Takes a ready boto3 SSM *client*, or builds one on first use from the AWS
    environment (``endpoint_url`` or ``AWS_ENDPOINT_URL`` for a local endpoint) with a
    2 s connect and 5 s read timeout per attempt; *config* (a ``botocore`` ``Config``,
    only without *client*) is merged over those, e.g. ``Config(read_timeout=1,
    retries={"total_max_attempts": 1})`` for a one-second deadline. Construction does
    no I/O. A refused or reset
    connection raises :class:`~serpens.errors.BackendUnavailableError`, an attempt past
    its timeout :class:`~serpens.errors.BackendTimeoutError` (after botocore's retries).
    """

    def __init__(
        self,
        client: SSMClient | None = None,
        *,
        endpoint_url: str | None = None,
        config: Config | None = None,
    ) -> None:
        self._client = _LazyClient("ssm", client, endpoint_url, config)

    @property
    def client(self) -> SSMClient:
        """The boto3 SSM client, created on first use."""
        return self._client.get()  # type: ignore[no-any-return]

    def get_parameters(self, names: Sequence[str], *, decrypt: bool = True) -> dict[str, str]:
        """See :meth:`serpens.ports.ParameterStore.get_parameters`."""
        found: dict[str, str] = {}
        unique = check_names(names)
        for start in range(0, len(unique), _BATCH):
            batch = unique[start : start + _BATCH]
            with translate_errors(f"SSM parameters {batch}", _SSM_CODES):
                answer = self.client.get_parameters(Names=batch, WithDecryption=decrypt)
            # keyed by identity: SSM answers ``/plain`` with the ``plain`` it created
            found.update({parameter_key(p["Name"]): p["Value"] for p in answer["Parameters"]})
        keys = {name: parameter_key(name) for name in unique}
        return {name: found[key] for name, key in keys.items() if key in found}

    def get_parameters_by_path(
        self, path: str, *, recursive: bool = True, decrypt: bool = True
    ) -> dict[str, str]:
        """See :meth:`serpens.ports.ParameterStore.get_parameters_by_path`."""
        check_path(path)
        found: dict[str, str] = {}
        with translate_errors(f"SSM path {path!r}", _SSM_CODES):
            paginator = self.client.get_paginator("get_parameters_by_path")
            for page in paginator.paginate(Path=path, Recursive=recursive, WithDecryption=decrypt):
                found.update({p["Name"]: p["Value"] for p in page["Parameters"]})
        return dict(sorted(found.items()))


class SecretsManagerStore:
    """:class:`serpens.ports.SecretStore` over AWS Secrets Manager.

    Takes a ready boto3 Secrets Manager *client*, or builds one on first use as
    :class:`SSMParameterStore` does (2 s connect, 5 s read timeout per attempt, *config*
    merged over them). A refused or reset connection raises
    :class:`~serpens.errors.BackendUnavailableError`, an attempt past its timeout
    :class:`~serpens.errors.BackendTimeoutError`, a missing secret
    :class:`~serpens_aws.SecretNotFoundError` (a :class:`~serpens.errors.NotFoundError`
    and botocore's ``ClientError``, as serpens 2.9 raised).
    """

    def __init__(
        self,
        client: SecretsManagerClient | None = None,
        *,
        endpoint_url: str | None = None,
        config: Config | None = None,
    ) -> None:
        self._client = _LazyClient("secretsmanager", client, endpoint_url, config)

    @property
    def client(self) -> SecretsManagerClient:
        """The boto3 Secrets Manager client, created on first use."""
        return self._client.get()  # type: ignore[no-any-return]

    def get_secret(self, secret_id: str) -> str | bytes:
        """See :meth:`serpens.ports.SecretStore.get_secret`."""
        check_secret_id(secret_id)
        with translate_errors(
            f"secret {secret_id!r}",
            _SECRETS_CODES,
            {"ResourceNotFoundException": f"secret {secret_id!r} does not exist"},
        ):
            answer: dict[str, Any] = dict(self.client.get_secret_value(SecretId=secret_id))
        if "SecretString" in answer:
            return str(answer["SecretString"])
        return bytes(answer["SecretBinary"])
