"""``serpens.envvars``: references to parameters and secrets, and ``.env`` files.

The references are resolved against moto's SSM and Secrets Manager (the session's
server); each test names its own parameter or secret, since both are cached per process.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

import boto3
import pytest

from serpens import envvars
from serpens.errors import ConfigurationError, NotFoundError


def _name() -> str:
    return uuid.uuid4().hex[:10]


class TestResolve:
    def test_a_plain_value_comes_back_as_is(self) -> None:
        assert envvars.resolve("postgresql://h/db") == "postgresql://h/db"
        assert envvars.resolve("") == ""

    def test_a_parameter_reference_reads_the_whole_name_after_the_scheme(
        self, moto_endpoint: str
    ) -> None:
        name = f"/envvars/{_name()}/url"
        boto3.client("ssm", endpoint_url=moto_endpoint).put_parameter(
            Name=name, Value="from-ssm", Type="String"
        )
        assert envvars.resolve(f"parameters://{name}") == "from-ssm"

    def test_a_secret_reference_without_a_key_returns_the_whole_secret(
        self, moto_endpoint: str
    ) -> None:
        secret = f"envvars/{_name()}"
        boto3.client("secretsmanager", endpoint_url=moto_endpoint).create_secret(
            Name=secret, SecretString=json.dumps({"url": "u", "user": "p"})
        )
        assert envvars.resolve(f"secrets://{secret}") == {"url": "u", "user": "p"}
        assert envvars.resolve(f"secrets://{secret}?") == {"url": "u", "user": "p"}
        assert envvars.resolve(f"secrets://{secret}?user") == "p"

    @pytest.mark.parametrize(
        ("reference", "message"),
        [
            ("parameters://", "a parameters:// reference must name a parameter"),
            ("secrets://", "a secrets:// reference must name a secret"),
            ("secrets://?", "a secrets:// reference must name a secret"),
            ("secrets://?url", "a secrets:// reference must name a secret"),
        ],
    )
    def test_a_reference_that_names_nothing_is_a_configuration_error(
        self, reference: str, message: str
    ) -> None:
        with pytest.raises(ConfigurationError) as caught:
            envvars.resolve(reference)
        assert str(caught.value) == message

    def test_a_missing_secret_is_not_found(self, moto_endpoint: str) -> None:
        with pytest.raises(NotFoundError):
            envvars.resolve(f"secrets://envvars/{_name()}")


class TestGet:
    def test_unset_is_none_or_the_resolved_default(
        self, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        name = f"/envvars/{_name()}"
        boto3.client("ssm", endpoint_url=moto_endpoint).put_parameter(
            Name=name, Value="via-default", Type="String"
        )
        monkeypatch.delenv("ENVVARS_UNSET", raising=False)
        assert envvars.get("ENVVARS_UNSET") is None
        assert envvars.get("ENVVARS_UNSET", f"parameters://{name}") == "via-default"
        monkeypatch.setenv("ENVVARS_SET", f"parameters://{name}")
        assert envvars.get("ENVVARS_SET", "ignored") == "via-default"

    def test_get_str_is_none_when_unset_or_empty_and_refuses_a_whole_json_secret(
        self, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("ENVVARS_URL", raising=False)
        assert envvars.get_str("ENVVARS_URL") is None
        monkeypatch.setenv("ENVVARS_URL", "")
        assert envvars.get_str("ENVVARS_URL") is None
        monkeypatch.setenv("ENVVARS_URL", "redis://h:1/0")
        assert envvars.get_str("ENVVARS_URL") == "redis://h:1/0"
        secret = f"envvars/{_name()}"
        boto3.client("secretsmanager", endpoint_url=moto_endpoint).create_secret(
            Name=secret, SecretString=json.dumps({"url": "redis://u:hunter2@h/0"})
        )
        monkeypatch.setenv("ENVVARS_URL", f"secrets://{secret}?url")
        assert envvars.get_str("ENVVARS_URL") == "redis://u:hunter2@h/0"
        monkeypatch.setenv("ENVVARS_URL", f"secrets://{secret}")
        with pytest.raises(ConfigurationError) as caught:
            envvars.get_str("ENVVARS_URL")
        message = str(caught.value)
        assert message == (
            "ENVVARS_URL refers to a value that is not text (dict); "
            "name one key of a JSON secret: secrets://ID?KEY"
        )
        assert "hunter2" not in message


class TestLoadDotenv:
    @pytest.fixture
    def names(self, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        names = [f"ENVVARS_{i}" for i in range(8)]
        for name in [*names, "#ENVVARS_8"]:  # recorded, so undone after the test
            monkeypatch.setenv(name, "")
            monkeypatch.delenv(name)
        return names

    def test_lines_comments_exports_quotes_and_separators(
        self, tmp_path: Path, names: list[str]
    ) -> None:
        dotenv = tmp_path / ".env"
        dotenv.write_text(
            "\n"
            "   # an indented comment\n"
            "ENVVARS_0 = spaced  \n"
            'export    ENVVARS_1="a # not a comment"  # a comment\n'
            "ENVVARS_2=it's\n"
            "ENVVARS_3=\n"
            "=no-name\n"
            "ENVVARS_4\n"
            "ENVVARS_5=one  two\n"
            "#ENVVARS_8=commented out\n",
            encoding="utf-8",
        )
        envvars.load_dotenv(dotenv)
        assert [os.environ.get(name) for name in names] == [
            "spaced",
            "a # not a comment",
            "it's",
            "",
            None,
            "one two",
            None,
            None,
        ]
        assert "#ENVVARS_8" not in os.environ

    def test_the_default_file_is_dot_env_in_the_working_directory(
        self, tmp_path: Path, names: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / ".env").write_text("ENVVARS_0=here\n", encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        envvars.load_dotenv()
        assert os.environ.get("ENVVARS_0") == "here"

    def test_a_directory_loads_nothing(self, tmp_path: Path, names: list[str]) -> None:
        envvars.load_dotenv(tmp_path)

    def test_a_file_that_is_not_utf8_warns_naming_the_file(
        self, tmp_path: Path, names: list[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        dotenv = tmp_path / "latin1.env"
        dotenv.write_bytes("ENVVARS_0=ol\xe1\n".encode("latin-1"))
        with caplog.at_level(logging.WARNING, logger="serpens.envvars"):
            envvars.load_dotenv(dotenv)
        assert "ENVVARS_0" not in os.environ
        assert [r.getMessage() for r in caplog.records] == [
            f"{dotenv} is not UTF-8 text: nothing loaded"
        ]
        assert caplog.records[0].name == "serpens.envvars"
