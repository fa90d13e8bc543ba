"""The typed environment readers of ``serpens._config``: values, defaults and refusals."""

from __future__ import annotations

import math

import pytest

from serpens._config import env_bool, env_float, env_int, env_str, environ
from serpens.errors import ConfigurationError


def test_environ_is_the_live_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERPENS_TEST_CONFIG_LIVE", "here")
    assert environ()["SERPENS_TEST_CONFIG_LIVE"] == "here"


class TestEnvStr:
    def test_a_set_value_is_returned_as_is(self) -> None:
        assert env_str("NAME", "fallback", {"NAME": " value "}) == " value "

    def test_unset_or_empty_is_the_default(self) -> None:
        assert env_str("NAME", "fallback", {}) == "fallback"
        assert env_str("NAME", "fallback", {"NAME": ""}) == "fallback"
        assert env_str("NAME", env={}) is None

    def test_without_a_mapping_the_process_environment_is_read(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SERPENS_TEST_CONFIG_STR", "from-os")
        assert env_str("SERPENS_TEST_CONFIG_STR") == "from-os"
        monkeypatch.delenv("SERPENS_TEST_CONFIG_STR")
        assert env_str("SERPENS_TEST_CONFIG_STR", "dflt") == "dflt"


class TestEnvInt:
    def test_a_value_is_parsed_with_surrounding_blanks_stripped(self) -> None:
        assert env_int("N", 7, {"N": " 42 "}) == 42

    def test_unset_or_empty_is_the_default(self) -> None:
        assert env_int("N", 7, {}) == 7
        assert env_int("N", 7, {"N": ""}) == 7

    def test_without_a_mapping_the_process_environment_is_read(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SERPENS_TEST_CONFIG_INT", "12")
        assert env_int("SERPENS_TEST_CONFIG_INT", 1) == 12

    def test_a_non_integer_is_a_configuration_error_naming_the_variable_not_the_value(
        self,
    ) -> None:
        with pytest.raises(ConfigurationError) as caught:
            env_int("POOL_SIZE", 1, {"POOL_SIZE": "s3cr3t"})
        assert str(caught.value) == "POOL_SIZE must be an integer"
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__

    def test_the_minimum_is_inclusive(self) -> None:
        assert env_int("N", 7, {"N": "3"}, minimum=3) == 3
        assert env_int("N", 7, {"N": "-5"}) == -5
        with pytest.raises(ConfigurationError) as caught:
            env_int("N", 7, {"N": "2"}, minimum=3)
        assert str(caught.value) == "N must be >= 3"

    def test_the_default_is_not_checked_against_the_minimum(self) -> None:
        assert env_int("N", 0, {}, minimum=3) == 0


class TestEnvFloat:
    def test_a_value_is_parsed_with_surrounding_blanks_stripped(self) -> None:
        assert env_float("F", 1.0, {"F": " 2.5 "}) == 2.5

    def test_unset_or_empty_is_the_default(self) -> None:
        assert env_float("F", 1.5, {}) == 1.5
        assert env_float("F", 1.5, {"F": ""}) == 1.5

    def test_without_a_mapping_the_process_environment_is_read(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SERPENS_TEST_CONFIG_FLOAT", "0.25")
        assert env_float("SERPENS_TEST_CONFIG_FLOAT", 1.0) == 0.25

    def test_a_non_number_is_a_configuration_error_naming_the_variable_not_the_value(
        self,
    ) -> None:
        with pytest.raises(ConfigurationError) as caught:
            env_float("TIMEOUT", 1.0, {"TIMEOUT": "s3cr3t"})
        assert str(caught.value) == "TIMEOUT must be a number"
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__

    @pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "1e999"])
    def test_a_value_that_is_not_finite_is_a_configuration_error(self, raw: str) -> None:
        with pytest.raises(ConfigurationError) as caught:
            env_float("TIMEOUT", 1.0, {"TIMEOUT": raw})
        assert str(caught.value) == "TIMEOUT must be a finite number"

    def test_the_minimum_is_inclusive(self) -> None:
        assert env_float("F", 9.0, {"F": "0.5"}, minimum=0.5) == 0.5
        assert env_float("F", 9.0, {"F": "-0.5"}) == -0.5
        with pytest.raises(ConfigurationError) as caught:
            env_float("F", 9.0, {"F": "0.25"}, minimum=0.5)
        assert str(caught.value) == "F must be >= 0.5"

    def test_the_default_is_not_checked_against_the_minimum_nor_for_finiteness(self) -> None:
        assert env_float("F", 0.0, {}, minimum=1.0) == 0.0
        assert math.isinf(env_float("F", math.inf, {}))


class TestEnvBool:
    @pytest.mark.parametrize("raw", ["1", "true", "yes", "on", " TRUE ", "Yes", "ON"])
    def test_the_true_spellings_in_any_case_and_blanks(self, raw: str) -> None:
        assert env_bool("B", False, {"B": raw}) is True

    @pytest.mark.parametrize("raw", ["0", "false", "no", "off", " FALSE ", "No", "Off", "", " "])
    def test_the_false_spellings_and_an_empty_value_are_false(self, raw: str) -> None:
        assert env_bool("B", True, {"B": raw}) is False

    def test_unset_is_the_default(self) -> None:
        assert env_bool("B", True, {}) is True
        assert env_bool("B", False, {}) is False

    def test_without_a_mapping_the_process_environment_is_read(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SERPENS_TEST_CONFIG_BOOL", "on")
        assert env_bool("SERPENS_TEST_CONFIG_BOOL", False) is True

    @pytest.mark.parametrize("raw", ["2", "truthy", "y", "s3cr3t"])
    def test_any_other_value_is_a_configuration_error_naming_the_variable(self, raw: str) -> None:
        with pytest.raises(ConfigurationError) as caught:
            env_bool("DEBUG", False, {"DEBUG": raw})
        assert str(caught.value) == "DEBUG must be a boolean (true/false)"
