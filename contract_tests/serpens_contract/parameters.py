"""Contract suites of the ParameterStore and SecretStore ports (``serpens.ports``).

The ports are read-only, so each suite drives a *rig*: the store under test plus a
way to create what a deployment would have created (SSM parameters, Secrets Manager
secrets). Override ``open_parameter_store`` or ``open_secret_store`` to return a
callable ``namespace -> rig``; :class:`FakeParameterRig` and :class:`FakeSecretRig`
are the rigs of serpens' fakes. The outage cases (``ParametersOutageCases``,
``SecretsOutageCases`` in :mod:`serpens_contract.outage`) need ``outage_capabilities``
and an ``outage`` fixture on the cell; without them they are reported skips.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

import pytest

from serpens.errors import NotFoundError, ValidationError
from serpens.fakes import InMemoryParameterStore, InMemorySecretStore
from serpens.ports import ParameterStore, SecretStore
from serpens_contract._suite import ContractSuite
from serpens_contract.capabilities import register_capability, requires
from serpens_contract.outage import ParametersOutageCases, SecretsOutageCases

__all__ = [
    "FakeParameterRig",
    "FakeSecretRig",
    "ParameterKind",
    "ParameterRig",
    "ParameterStoreCapabilities",
    "ParameterStoreContract",
    "SecretRig",
    "SecretStoreCapabilities",
    "SecretStoreContract",
]

ParameterKind = Literal["String", "StringList", "SecureString"]
"""SSM's parameter types."""


class ParameterRig(Protocol):
    """The store under test and a way to create parameters in its backend."""

    store: ParameterStore

    def put(self, name: str, value: str, kind: ParameterKind = "String") -> None:
        """Create or overwrite parameter *name* with *value* of type *kind*."""
        ...


class SecretRig(Protocol):
    """The store under test and a way to create secrets in its backend."""

    store: SecretStore

    def put(self, name: str, value: str | bytes) -> str:
        """Create secret *name*, or give it a new current value; return its ARN."""
        ...


class FakeParameterRig:
    """A rig over :class:`~serpens.fakes.InMemoryParameterStore` (or a subclass)."""

    def __init__(self, store: InMemoryParameterStore | None = None) -> None:
        self.fake = InMemoryParameterStore() if store is None else store
        self.store: ParameterStore = self.fake

    def put(self, name: str, value: str, kind: ParameterKind = "String") -> None:
        """Store the parameter in the fake (``SecureString`` kept as secure)."""
        self.fake.put(name, value, secure=kind == "SecureString")


class FakeSecretRig:
    """A rig over :class:`~serpens.fakes.InMemorySecretStore` (or a subclass)."""

    def __init__(self, store: InMemorySecretStore | None = None) -> None:
        self.fake = InMemorySecretStore() if store is None else store
        self.store: SecretStore = self.fake

    def put(self, name: str, value: str | bytes) -> str:
        """Store the secret in the fake and return its ARN."""
        return self.fake.put(name, value)


@dataclass(frozen=True)
class ParameterStoreCapabilities:
    """Honest differences between parameter stores.

    Attributes:
        opaque_ciphertext: a ``SecureString`` read with ``decrypt=False`` reveals nothing
            of its value (SSM returns KMS ciphertext; moto returns
            ``kms:<key>:<value>``).
    """

    opaque_ciphertext: bool = True


register_capability(
    "parameters",
    "opaque_ciphertext",
    lambda c: c.opaque_ciphertext,
    "a SecureString read without decryption reveals nothing of its value",
)


@dataclass(frozen=True)
class SecretStoreCapabilities:
    """Honest differences between secret stores (none are known today)."""


def _namespace() -> str:
    return f"c{uuid.uuid4().hex[:12]}"


class ParameterStoreContract(ParametersOutageCases, ContractSuite):
    """Every ParameterStore must pass these tests (SSM Parameter Store semantics).

    Override ``open_parameter_store`` to return a callable ``namespace -> rig``; the
    suite names its parameters ``/<namespace>/...`` (and ``<namespace>-...``).
    """

    contract = "parameters"
    capabilities: ClassVar[ParameterStoreCapabilities] = ParameterStoreCapabilities()

    @pytest.fixture
    def open_parameter_store(self) -> Callable[[str], ParameterRig]:
        pytest.fail("override `open_parameter_store`: return a callable namespace -> rig")

    @pytest.fixture
    def rig(self, open_parameter_store: Callable[[str], ParameterRig]) -> ParameterRig:
        return open_parameter_store(_namespace())

    @pytest.fixture
    def base(self) -> str:
        return f"/{_namespace()}"

    def test_get_parameters_returns_those_that_exist_and_leaves_out_the_rest(
        self, rig: ParameterRig, base: str
    ) -> None:
        rig.put(f"{base}/db/host", "db.internal")
        rig.put(f"{base}/db/port", "5432")
        plain = f"{base[1:]}-plain"  # a name outside any hierarchy
        rig.put(plain, "flat")
        names = [f"{base}/db/host", f"{base}/missing", plain, f"{base}/db/port"]
        assert rig.store.get_parameters(names) == {
            f"{base}/db/host": "db.internal",
            plain: "flat",
            f"{base}/db/port": "5432",
        }
        assert rig.store.get_parameters([f"{base}/missing"]) == {}
        assert rig.store.get_parameters([]) == {}

    def test_names_ssm_refuses_are_validation_errors_naming_each(
        self, rig: ParameterRig, base: str
    ) -> None:
        """A name is a str of 1 to 2,048 characters (boto3 refuses others before sending).

        Each bad name is a ``FieldError`` at ``names[i]``; a bare ``str`` (a sequence of
        one-character names) is refused whole. Nothing is read.
        """
        rig.put(f"{base}/ok", "v")
        with pytest.raises(ValidationError) as caught:
            rig.store.get_parameters([f"{base}/ok", "", "n" * 2049, f"{base}/ok"])
        assert [e.path for e in caught.value.errors] == ["names[1]", "names[2]"]
        for not_names in (f"{base}/ok", None, 42, {f"{base}/ok": 1}):  # TypeError before
            with pytest.raises(ValidationError):
                rig.store.get_parameters(not_names)  # type: ignore[arg-type]
        longest = "/" + "n" * 2047
        assert rig.store.get_parameters([longest, f"{base}/ok"]) == {f"{base}/ok": "v"}
        once = (n for n in [f"{base}/ok"])  # any iterable, read once
        assert rig.store.get_parameters(once) == {f"{base}/ok": "v"}  # type: ignore[arg-type]

    def test_more_names_than_one_ssm_call_takes_are_all_returned(
        self, rig: ParameterRig, base: str
    ) -> None:
        """GetParameters takes ten names; the port takes any number (and repeats)."""
        names = [f"{base}/p{i:02}" for i in range(23)]
        for i, name in enumerate(names):
            rig.put(name, f"v{i}")
        got = rig.store.get_parameters([*names, names[0]])
        assert got == {name: f"v{i}" for i, name in enumerate(names)}

    def test_values_round_trip_unchanged(self, rig: ParameterRig, base: str) -> None:
        values = {
            f"{base}/text": "çé ü, with spaces and = signs",
            f"{base}/json": '{"retries": 3, "hosts": ["a", "b"]}',
            f"{base}/list": "a,b,c",
        }
        for name, value in values.items():
            rig.put(name, value, "StringList" if name.endswith("list") else "String")
        assert rig.store.get_parameters(list(values)) == values

    def test_an_overwritten_parameter_reads_its_new_value(
        self, rig: ParameterRig, base: str
    ) -> None:
        rig.put(f"{base}/flag", "off")
        rig.put(f"{base}/flag", "on")
        assert rig.store.get_parameters([f"{base}/flag"]) == {f"{base}/flag": "on"}

    def test_secure_strings_are_decrypted_unless_asked_not_to(
        self, rig: ParameterRig, base: str
    ) -> None:
        rig.put(f"{base}/password", "hunter2", "SecureString")
        rig.put(f"{base}/user", "app")
        assert rig.store.get_parameters([f"{base}/password"]) == {f"{base}/password": "hunter2"}
        hidden = rig.store.get_parameters([f"{base}/password", f"{base}/user"], decrypt=False)
        assert hidden[f"{base}/user"] == "app"
        assert hidden[f"{base}/password"] not in ("", "hunter2")
        by_path = rig.store.get_parameters_by_path(base, decrypt=False)
        assert by_path[f"{base}/password"] not in ("", "hunter2")
        assert rig.store.get_parameters_by_path(base)[f"{base}/password"] == "hunter2"

    @requires("opaque_ciphertext")
    def test_an_undecrypted_secure_string_reveals_nothing_of_its_value(
        self, rig: ParameterRig, base: str
    ) -> None:
        rig.put(f"{base}/password", "hunter2", "SecureString")
        hidden = rig.store.get_parameters([f"{base}/password"], decrypt=False)
        assert "hunter2" not in hidden[f"{base}/password"]
        by_path = rig.store.get_parameters_by_path(base, decrypt=False)
        assert "hunter2" not in by_path[f"{base}/password"]

    def test_by_path_is_recursive_or_direct_children_sorted_by_name(
        self, rig: ParameterRig, base: str
    ) -> None:
        rig.put(f"{base}/b", "2")
        rig.put(f"{base}/a/deep/x", "3")
        rig.put(f"{base}/a/y", "4")
        rig.put(f"{base}/ab", "5")  # a sibling sharing the prefix "a", not a child of /a
        everything = rig.store.get_parameters_by_path(base)
        assert list(everything) == sorted(everything)
        assert everything == {
            f"{base}/a/deep/x": "3",
            f"{base}/a/y": "4",
            f"{base}/ab": "5",
            f"{base}/b": "2",
        }
        assert rig.store.get_parameters_by_path(base, recursive=False) == {
            f"{base}/ab": "5",
            f"{base}/b": "2",
        }
        assert rig.store.get_parameters_by_path(f"{base}/a") == {
            f"{base}/a/deep/x": "3",
            f"{base}/a/y": "4",
        }
        assert rig.store.get_parameters_by_path(f"{base}/a/") == {
            f"{base}/a/deep/x": "3",
            f"{base}/a/y": "4",
        }

    def test_by_path_matches_the_path_as_given_to_its_last_character(
        self, rig: ParameterRig, base: str
    ) -> None:
        """``/TAX`` is not ``/TA``: names are case-sensitive; only a trailing ``/`` is dropped."""
        rig.put(f"{base}/TAX/rate", "0.2")
        rig.put(f"{base}/TA/other", "x")
        rig.put(f"{base}/tax/lower", "y")
        assert rig.store.get_parameters_by_path(f"{base}/TAX") == {f"{base}/TAX/rate": "0.2"}
        assert rig.store.get_parameters_by_path(f"{base}/TAX/") == {f"{base}/TAX/rate": "0.2"}

    def test_by_path_returns_every_page(self, rig: ParameterRig, base: str) -> None:
        """SSM answers at most ten parameters per call; the port returns them all."""
        for i in range(25):
            rig.put(f"{base}/many/p{i:02}", f"v{i}")
        got = rig.store.get_parameters_by_path(f"{base}/many")
        assert got == {f"{base}/many/p{i:02}": f"v{i}" for i in range(25)}

    def test_an_empty_path_result_is_not_an_error(self, rig: ParameterRig, base: str) -> None:
        assert rig.store.get_parameters_by_path(f"{base}/nothing") == {}

    def test_a_top_level_name_is_found_with_or_without_its_leading_slash(
        self, rig: ParameterRig, base: str
    ) -> None:
        """``plain`` and ``/plain`` are one parameter; each name asked for is answered.

        SSM answers ``/plain`` with the ``plain`` it created: an adapter filtering the
        answer by the names it sent would drop it. The path ``/`` holds top-level names.
        """
        plain, slashed = f"{base[1:]}-plain", f"{base}-top"
        rig.put(plain, "flat")
        rig.put(slashed, "top")
        asked = [f"/{plain}", plain, slashed[1:]]
        assert rig.store.get_parameters(asked) == {
            f"/{plain}": "flat",
            plain: "flat",
            slashed[1:]: "top",
        }
        top = rig.store.get_parameters_by_path("/", recursive=False)
        assert (top.get(plain), top.get(slashed)) == ("flat", "top")

    def test_a_relative_path_is_a_validation_error(self, rig: ParameterRig, base: str) -> None:
        """A path is a str of at most 2,048 characters starting with ``/``.

        ``None`` raised AttributeError; botocore refuses a longer path before sending.
        """
        for path in (base.lstrip("/"), None, 42, b"/app", "/" + "p" * 2048):
            with pytest.raises(ValidationError):
                rig.store.get_parameters_by_path(path)  # type: ignore[arg-type]


class SecretStoreContract(SecretsOutageCases, ContractSuite):
    """Every SecretStore must pass these tests (AWS Secrets Manager semantics).

    Override ``open_secret_store`` to return a callable ``namespace -> rig``; the suite
    names its secrets ``<namespace>/...``.
    """

    contract = "secrets"
    capabilities: ClassVar[SecretStoreCapabilities] = SecretStoreCapabilities()

    @pytest.fixture
    def open_secret_store(self) -> Callable[[str], SecretRig]:
        pytest.fail("override `open_secret_store`: return a callable namespace -> rig")

    @pytest.fixture
    def rig(self, open_secret_store: Callable[[str], SecretRig]) -> SecretRig:
        return open_secret_store(_namespace())

    @pytest.fixture
    def base(self) -> str:
        return _namespace()

    def test_a_string_secret_is_returned_as_stored(self, rig: SecretRig, base: str) -> None:
        value = '{"user": "app", "password": "hunter2 ç"}'
        rig.put(f"{base}/db", value)
        got = rig.store.get_secret(f"{base}/db")
        assert (type(got), got) == (str, value)

    def test_a_binary_secret_is_returned_as_bytes(self, rig: SecretRig, base: str) -> None:
        rig.put(f"{base}/key", b"\x00\x01\xffkey")
        assert rig.store.get_secret(f"{base}/key") == b"\x00\x01\xffkey"

    def test_a_secret_is_found_by_its_arn_too(self, rig: SecretRig, base: str) -> None:
        arn = rig.put(f"{base}/by-arn", "v1")
        # arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>
        shape = (
            rf"arn:aws:secretsmanager:[a-z]{{2}}(-[a-z]+)+-\d:\d{{12}}:secret:{base}/by-arn-\w{{6}}"
        )
        assert re.fullmatch(shape, arn), arn
        assert rig.store.get_secret(arn) == "v1"

    def test_a_secret_is_found_by_its_partial_arn(self, rig: SecretRig, base: str) -> None:
        """The ARN without ``-`` and its 6 random characters names the secret too."""
        arn = rig.put(f"{base}/partial", "v1")
        assert rig.store.get_secret(arn[:-7]) == "v1"

    def test_the_current_value_is_returned_after_an_update(self, rig: SecretRig, base: str) -> None:
        first = rig.put(f"{base}/rotated", "v1")
        second = rig.put(f"{base}/rotated", "v2")
        assert first == second  # a new value, same secret
        assert rig.store.get_secret(f"{base}/rotated") == "v2"
        assert rig.store.get_secret(second) == "v2"

    def test_a_secret_id_secrets_manager_refuses_is_a_validation_error(
        self, rig: SecretRig, base: str
    ) -> None:
        """A secret id is a str of 1 to 2,048 characters; an empty one is not "not found"."""
        for bad in ("", "s" * 2049):
            with pytest.raises(ValidationError) as caught:
                rig.store.get_secret(bad)
            assert [e.path for e in caught.value.errors] == ["secret_id"]

    def test_a_missing_secret_is_not_found_and_named(self, rig: SecretRig, base: str) -> None:
        rig.put(f"{base}/present", "hunter2")
        with pytest.raises(NotFoundError) as raised:
            rig.store.get_secret(f"{base}/absent")
        assert f"{base}/absent" in str(raised.value)
        assert "hunter2" not in str(raised.value)
