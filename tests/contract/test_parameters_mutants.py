"""Mutant parameter and secret stores: the suites must fail when behaviour drifts.

Each mutant is one of the in-memory fakes with one deliberate bug, run through the
suite in a pytester sandbox; the tests pinning the broken behaviour must fail.
"""

import pytest

HEADER = """
import pytest
from serpens.fakes import InMemoryParameterStore, InMemorySecretStore
from serpens_contract import (
    FakeParameterRig, FakeSecretRig, ParameterStoreContract, SecretStoreContract,
)
from serpens_contract.outage import ALL_KINDS, FakeOutages, OutageCapabilities

OUTAGE = OutageCapabilities(kinds=ALL_KINDS | {"trickled"}, deadline=0.0, recovery=0.3)


@pytest.fixture
def fakes():
    return FakeOutages()

"""

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

PARAMETERS = """
class TestMutant(ParameterStoreContract):
    outage_capabilities = OUTAGE

    @pytest.fixture
    def open_parameter_store(self, fakes):
        return lambda namespace: FakeParameterRig(fakes.track(Mutant()))

    @pytest.fixture
    def outage(self, fakes):
        return fakes.outage
"""

SECRETS = """
class TestMutant(SecretStoreContract):
    outage_capabilities = OUTAGE

    @pytest.fixture
    def open_secret_store(self, fakes):
        return lambda namespace: FakeSecretRig(fakes.track(Mutant()))

    @pytest.fixture
    def outage(self, fakes):
        return fakes.outage
"""

REFUSED_AND_RESET = [
    "test_a_refused_backend_raises_unavailable_in_time",
    "test_a_reset_backend_raises_unavailable_in_time",
]
EVERY_OUTAGE = [
    *REFUSED_AND_RESET,
    "test_a_frozen_backend_raises_timeout_in_time",
    "test_a_trickling_backend_ends_a_read_by_its_deadline",
]

MUTANTS = {
    "empty_names_read_as_missing": (
        # a store that leaves a bad name out, as a missing one, instead of refusing it
        """
class Mutant(InMemoryParameterStore):
    def get_parameters(self, names, *, decrypt=True):
        good = [n for n in names if isinstance(n, str) and 0 < len(n) <= 2048]
        return super().get_parameters(good, decrypt=decrypt)
""",
        PARAMETERS,
        ["test_names_ssm_refuses_are_validation_errors_naming_each"],
    ),
    "an_empty_secret_id_is_not_found": (
        """
from serpens.errors import NotFoundError

class Mutant(InMemorySecretStore):
    def get_secret(self, secret_id):
        if not secret_id:
            raise NotFoundError("secret '' does not exist")
        return super().get_secret(secret_id)
""",
        SECRETS,
        ["test_a_secret_id_secrets_manager_refuses_is_a_validation_error"],
    ),
    "only_the_first_ten_names": (
        """
class Mutant(InMemoryParameterStore):
    def get_parameters(self, names, *, decrypt=True):
        return super().get_parameters(list(dict.fromkeys(names))[:10], decrypt=decrypt)
""",
        PARAMETERS,
        ["test_more_names_than_one_ssm_call_takes_are_all_returned"],
    ),
    "by_path_matches_a_bare_prefix": (
        """
class Mutant(InMemoryParameterStore):
    def get_parameters_by_path(self, path, *, recursive=True, decrypt=True):
        prefix = path.rstrip("/")
        return {
            name: value
            for name, value in sorted(self.get_parameters(list(self._values)).items())
            if name.startswith(prefix) and (recursive or "/" not in name[len(prefix) + 1 :])
        }
""",
        PARAMETERS,
        ["test_by_path_is_recursive_or_direct_children_sorted_by_name"],
    ),
    "secure_strings_always_decrypted": (
        """
class Mutant(InMemoryParameterStore):
    def get_parameters(self, names, *, decrypt=True):
        return super().get_parameters(names)

    def get_parameters_by_path(self, path, *, recursive=True, decrypt=True):
        return super().get_parameters_by_path(path, recursive=recursive)
""",
        PARAMETERS,
        [
            "test_secure_strings_are_decrypted_unless_asked_not_to",
            "test_an_undecrypted_secure_string_reveals_nothing_of_its_value",
        ],
    ),
    "secrets_by_name_only": (
        """
class Mutant(InMemorySecretStore):
    def get_secret(self, secret_id):
        if secret_id.startswith("arn:"):
            from serpens.errors import NotFoundError
            raise NotFoundError(f"secret {secret_id!r} does not exist")
        return super().get_secret(secret_id)
""",
        SECRETS,
        ["test_a_secret_is_found_by_its_arn_too"],
    ),
    "partial_arns_not_found": (
        # the fake before it resolved an ARN without its random suffix
        """
class Mutant(InMemorySecretStore):
    def get_secret(self, secret_id):
        if secret_id.startswith("arn:") and secret_id not in self._arns:
            from serpens.errors import NotFoundError
            raise NotFoundError(f"secret {secret_id!r} does not exist")
        return super().get_secret(secret_id)
""",
        SECRETS,
        ["test_a_secret_is_found_by_its_partial_arn"],
    ),
    "top_level_names_by_exact_spelling": (
        # the adapter that filtered SSM's answer by the names it sent: "/plain" -> {}
        """
class Mutant(InMemoryParameterStore):
    def get_parameters(self, names, *, decrypt=True):
        found = super().get_parameters(names, decrypt=decrypt)
        return {name: value for name, value in found.items() if name in self._values}
""",
        PARAMETERS,
        ["test_a_top_level_name_is_found_with_or_without_its_leading_slash"],
    ),
    "binary_secrets_decoded": (
        """
class Mutant(InMemorySecretStore):
    def get_secret(self, secret_id):
        value = super().get_secret(secret_id)
        return value.decode("latin-1") if isinstance(value, bytes) else value
""",
        SECRETS,
        ["test_a_binary_secret_is_returned_as_bytes"],
    ),
    "by_path_answers_during_an_outage": (
        """
class Mutant(InMemoryParameterStore):
    def get_parameters_by_path(self, path, *, recursive=True, decrypt=True):
        kind, self._outage_kind = self._outage_kind, None  # served from a stale copy
        try:
            return super().get_parameters_by_path(path, recursive=recursive, decrypt=decrypt)
        finally:
            self._outage_kind = kind
""",
        PARAMETERS,
        REFUSED_AND_RESET,
    ),
    "parameters_empty_during_an_outage": (
        """
class Mutant(InMemoryParameterStore):
    def get_parameters(self, names, *, decrypt=True):
        if self.in_outage:
            return {}
        return super().get_parameters(names, decrypt=decrypt)
""",
        PARAMETERS,
        EVERY_OUTAGE,
    ),
    "a_frozen_parameter_store_is_unavailable": (
        """
class Mutant(InMemoryParameterStore):
    def start_outage(self, *, timeout=False):
        super().start_outage()
""",
        PARAMETERS,
        [
            "test_a_frozen_backend_raises_timeout_in_time",
            "test_a_trickling_backend_ends_a_read_by_its_deadline",
        ],
    ),
    "parameters_lost_after_an_outage": (
        """
class Mutant(InMemoryParameterStore):
    def end_outage(self):
        super().end_outage()
        self._values.clear()
""",
        PARAMETERS,
        EVERY_OUTAGE,
    ),
    "missing_secret_not_found_during_an_outage": (
        """
class Mutant(InMemorySecretStore):
    def get_secret(self, secret_id):
        if self.in_outage and secret_id not in self._values:
            from serpens.errors import NotFoundError
            raise NotFoundError(f"secret {secret_id!r} does not exist")
        return super().get_secret(secret_id)
""",
        SECRETS,
        REFUSED_AND_RESET,
    ),
    "secret_store_never_recovers": (
        """
class Mutant(InMemorySecretStore):
    def end_outage(self):
        pass
""",
        SECRETS,
        EVERY_OUTAGE,
    ),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_the_suite_catches_the_mutant(pytester: pytest.Pytester, mutant: str) -> None:
    code, footer, must_fail = MUTANTS[mutant]
    pytester.makeini(INI)
    pytester.makepyfile(test_mutant=HEADER + code + footer)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-k", " or ".join(must_fail))
    failed = {
        report.nodeid.split("::")[-1].split("[")[0]
        for report in result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
        if report.failed and report.when == "call"  # a broken set-up catches nothing
    }
    assert set(must_fail) <= failed, f"{mutant} slipped through; failed only {sorted(failed)}"


def test_the_genuine_fakes_pass(pytester: pytest.Pytester) -> None:
    genuine = (
        "\nclass Mutant(InMemoryParameterStore):\n    pass\n"
        + PARAMETERS.replace("TestMutant", "TestP")
        + "\nclass Mutant2(InMemorySecretStore):\n    pass\n"
        + SECRETS.replace("TestMutant", "TestS").replace("Mutant()", "Mutant2()")
    )
    pytester.makeini(INI)
    pytester.makepyfile(test_genuine=HEADER + genuine)
    pytester.runpytest("-p", "no:cacheprovider", "-q").assert_outcomes(passed=28)
