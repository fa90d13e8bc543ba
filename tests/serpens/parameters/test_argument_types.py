"""Arguments of the wrong type and values AWS refuses, on the fakes and on moto alike.

``None`` for the names or the path raised a bare TypeError or AttributeError from deep
inside every store and the ``serpens.parameters`` getters; the in-memory secret store
took an empty secret that Secrets Manager refuses. Each is a ``ValidationError`` now.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ParamValidationError

from serpens import parameters
from serpens.errors import NotFoundError, ValidationError
from serpens.fakes import InMemoryParameterStore, InMemorySecretStore
from serpens_aws import SSMParameterStore


@pytest.fixture(params=["fake", "ssm"])
def store(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.param == "fake":
        chosen: InMemoryParameterStore | SSMParameterStore = InMemoryParameterStore()
    else:
        request.getfixturevalue("moto_endpoint")
        chosen = SSMParameterStore()
    with parameters.use_store(chosen):
        yield


@pytest.mark.usefixtures("store")
@pytest.mark.parametrize("names", [None, 42, "/app/one", {"/app/one": 1}])
def test_get_many_refuses_what_is_not_a_collection_of_names(names: object) -> None:
    with pytest.raises(ValidationError):
        parameters.get_many(names)  # type: ignore[arg-type]


@pytest.mark.usefixtures("store")
def test_get_refuses_a_name_that_is_not_a_str() -> None:
    for name in (None, 42, ""):
        with pytest.raises(ValidationError) as raised:
            parameters.get(name)  # type: ignore[arg-type]
        assert [error.path for error in raised.value.errors] == ["names[0]"]


@pytest.mark.usefixtures("store")
@pytest.mark.parametrize("path", [None, 42, "app", "/" + "p" * 2048])
def test_get_by_path_refuses_what_is_not_an_absolute_path(path: object) -> None:
    with pytest.raises(ValidationError, match="parameter path"):
        parameters.get_by_path(path)  # type: ignore[arg-type]


def test_get_many_reads_a_generator_once() -> None:
    with parameters.use_store(InMemoryParameterStore({"/a": "1", "/b": "2"})):
        assert parameters.get_many(n for n in ["/a", "/b", "/a"]) == {"/a": "1", "/b": "2"}


@pytest.mark.parametrize("value", ["", b"", "s" * 65_537, b"s" * 65_537])
def test_the_fake_secret_store_refuses_a_value_secrets_manager_refuses(
    value: str | bytes,
) -> None:
    """Secrets Manager's model: SecretString and SecretBinary are 1 to 65,536 long."""
    store = InMemorySecretStore()
    with pytest.raises(ValidationError, match="needs a value of 1 to 65,536") as raised:
        store.put("db", value)
    assert "s" * 50 not in str(raised.value)  # never the value
    with pytest.raises(NotFoundError):
        store.get_secret("db")  # nothing was stored


def test_secrets_manager_refuses_an_empty_string_secret_too(moto_endpoint: object) -> None:
    """The reference the fake follows: botocore refuses it before sending.

    (botocore does not check a blob's length, and moto takes an empty SecretBinary; the
    service model, which AWS enforces, gives it the same minimum of 1.)
    """
    client = boto3.client("secretsmanager")
    with pytest.raises(ParamValidationError, match="Invalid length for parameter SecretString"):
        client.create_secret(Name="serpens-empty", SecretString="")


def test_the_longest_secret_is_accepted() -> None:
    store = InMemorySecretStore()
    store.put("s", "s" * 65_536)
    store.put("b", b"\x00" * 65_536)
    assert len(store.get_secret("s")) == len(store.get_secret("b")) == 65_536
