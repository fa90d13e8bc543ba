"""The ParameterStore and SecretStore contracts: the fakes, SSM and Secrets Manager on moto.

The adapters build their own clients (with the cells' deadlines) on a FaultProxy in front
of moto's server, so the outage cases take that server down for real; the rigs create
parameters and secrets straight on moto, as a deployment would, with botocore's waits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import boto3
import pytest

from serpens.fakes import InMemoryParameterStore, InMemorySecretStore
from serpens.ports import ParameterStore, SecretStore
from serpens.testing import FaultProxy
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
from serpens_contract.outage import (
    ALL_KINDS,
    FakeOutages,
    OutageCapabilities,
    OutageHook,
    proxy_outage,
)
from tests.contract._moto_deadlines import MOTO_CONFIG, moto_outage

# every fault, a trickling server too: each read ends by its deadline, not by each read's
KINDS = ALL_KINDS | {"trickled"}
FAKE_OUTAGE = OutageCapabilities(kinds=KINDS, deadline=0.0)
# the adapters' own client through a FaultProxy, with the deadlines of _moto_deadlines.py
AWS_OUTAGE = moto_outage(KINDS)


class SSMRig:
    """SSMParameterStore, with parameters created through boto3 as a deployment would."""

    def __init__(self, store: SSMParameterStore, client: Any) -> None:
        self.store: ParameterStore = store
        self._client = client

    def put(self, name: str, value: str, kind: ParameterKind = "String") -> None:
        self._client.put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)


class SecretsManagerRig:
    """SecretsManagerStore, with secrets created through boto3 as a deployment would."""

    def __init__(self, store: SecretsManagerStore, client: Any) -> None:
        self.store: SecretStore = store
        self._client = client

    def put(self, name: str, value: str | bytes) -> str:
        field = "SecretString" if isinstance(value, str) else "SecretBinary"
        try:
            created = self._client.create_secret(Name=name, **{field: value})
        except self._client.exceptions.ResourceExistsException:
            return str(self._client.put_secret_value(SecretId=name, **{field: value})["ARN"])
        return str(created["ARN"])


def _proxied(proxy: FaultProxy) -> str:
    return f"http://{proxy.host}:{proxy.port}"


class TestInMemoryParameterStore(ParameterStoreContract):
    outage_capabilities = FAKE_OUTAGE

    @pytest.fixture
    def open_parameter_store(self, fake_outages: FakeOutages) -> Callable[[str], ParameterRig]:
        return lambda namespace: FakeParameterRig(fake_outages.track(InMemoryParameterStore()))

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage


# moto "encrypts" a SecureString as kms:<key>:<value>; SSM returns opaque ciphertext
MOTO_SSM = ParameterStoreCapabilities(opaque_ciphertext=False)


@pytest.mark.aws
class TestSSMParameterStore(ParameterStoreContract):
    capabilities: ClassVar[ParameterStoreCapabilities] = MOTO_SSM
    outage_capabilities = AWS_OUTAGE

    @pytest.fixture
    def open_parameter_store(
        self, moto_endpoint: str, moto_proxy: FaultProxy
    ) -> Callable[[str], ParameterRig]:
        store = SSMParameterStore(endpoint_url=_proxied(moto_proxy), config=MOTO_CONFIG)
        client = boto3.client("ssm", endpoint_url=moto_endpoint)
        return lambda namespace: SSMRig(store, client)

    @pytest.fixture
    def outage(self, moto_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(moto_proxy)


class TestInMemorySecretStore(SecretStoreContract):
    outage_capabilities = FAKE_OUTAGE

    @pytest.fixture
    def open_secret_store(self, fake_outages: FakeOutages) -> Callable[[str], SecretRig]:
        return lambda namespace: FakeSecretRig(fake_outages.track(InMemorySecretStore()))

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage


@pytest.mark.aws
class TestSecretsManagerStore(SecretStoreContract):
    outage_capabilities = AWS_OUTAGE

    @pytest.fixture
    def open_secret_store(
        self, moto_endpoint: str, moto_proxy: FaultProxy
    ) -> Callable[[str], SecretRig]:
        store = SecretsManagerStore(endpoint_url=_proxied(moto_proxy), config=MOTO_CONFIG)
        client = boto3.client("secretsmanager", endpoint_url=moto_endpoint)
        return lambda namespace: SecretsManagerRig(store, client)

    @pytest.fixture
    def outage(self, moto_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(moto_proxy)
