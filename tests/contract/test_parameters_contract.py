"""The ParameterStore and SecretStore contracts: the fakes, SSM and Secrets Manager on moto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import boto3
import pytest

from serpens_aws import SecretsManagerStore, SSMParameterStore
from serpens_contract import (
    FakeParameterRig,
    FakeSecretRig,
    ParameterKind,
    ParameterRig,
    ParameterStoreCapabilities,
    ParameterStoreContract,
    SecretRig,
    SecretStoreContract,
)


class SSMRig:
    """SSMParameterStore, with parameters created through boto3 as a deployment would."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.store = SSMParameterStore(client)

    def put(self, name: str, value: str, kind: ParameterKind = "String") -> None:
        self._client.put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)


class SecretsManagerRig:
    """SecretsManagerStore, with secrets created through boto3 as a deployment would."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.store = SecretsManagerStore(client)

    def put(self, name: str, value: str | bytes) -> str:
        field = "SecretString" if isinstance(value, str) else "SecretBinary"
        try:
            created = self._client.create_secret(Name=name, **{field: value})
        except self._client.exceptions.ResourceExistsException:
            return str(self._client.put_secret_value(SecretId=name, **{field: value})["ARN"])
        return str(created["ARN"])


class TestInMemoryParameterStore(ParameterStoreContract):
    @pytest.fixture
    def open_parameter_store(self) -> Callable[[str], ParameterRig]:
        return lambda namespace: FakeParameterRig()


# moto "encrypts" a SecureString as kms:<key>:<value>; SSM returns opaque ciphertext
MOTO_SSM = ParameterStoreCapabilities(opaque_ciphertext=False)


@pytest.mark.aws
class TestSSMParameterStore(ParameterStoreContract):
    capabilities: ClassVar[ParameterStoreCapabilities] = MOTO_SSM

    @pytest.fixture
    def open_parameter_store(self, moto_endpoint: str) -> Callable[[str], ParameterRig]:
        client = boto3.client("ssm", endpoint_url=moto_endpoint)
        return lambda namespace: SSMRig(client)


class TestInMemorySecretStore(SecretStoreContract):
    @pytest.fixture
    def open_secret_store(self) -> Callable[[str], SecretRig]:
        return lambda namespace: FakeSecretRig()


@pytest.mark.aws
class TestSecretsManagerStore(SecretStoreContract):
    @pytest.fixture
    def open_secret_store(self, moto_endpoint: str) -> Callable[[str], SecretRig]:
        client = boto3.client("secretsmanager", endpoint_url=moto_endpoint)
        return lambda namespace: SecretsManagerRig(client)
